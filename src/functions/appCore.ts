// The heavy part of the app — the Azure SDK clients and everything that uses them — in one module
// that the functions load on their first invocation, not when the host indexes the app.
export { ArmCallError } from '../adapters/armCallError.js';
export { resendDueAlerts } from '../core/alertOutbox.js';
export { guardEvent } from '../core/guardEvent.js';
export { reconcileRole } from '../core/reconcileRole.js';
export { roleEvent } from '../core/roleEvent.js';
export { sweep, sweepExitCode, timerRunStrategy } from '../core/sweep.js';
export { runtimeFromEnvironment } from '../runtime.js';
