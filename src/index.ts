// Entry point the Functions host loads: registers the functions of this app's duty (guard or reconcile).
import { dutyFrom, hostsGuard, hostsReconcile } from './config/duty.js';
import { registerGuard } from './functions/guard.js';
import { registerOutboxTimer } from './functions/outboxTimer.js';
import { registerReconcileHttp } from './functions/reconcileHttp.js';
import { registerReconcileTimer } from './functions/reconcileTimer.js';
import { registerRoleEvents } from './functions/roleEvents.js';
import { registerSweepTimer } from './functions/sweepTimer.js';

const duty = dutyFrom(process.env);
if (hostsGuard(duty)) {
  registerGuard();
  registerSweepTimer();
}
if (hostsReconcile(duty)) {
  registerRoleEvents();
  registerReconcileTimer();
  registerReconcileHttp();
}
// Both apps raise alerts, so both send what Teams did not accept at once.
registerOutboxTimer();
