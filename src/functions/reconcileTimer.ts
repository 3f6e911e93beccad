import { app, type InvocationContext, type Timer } from '@azure/functions';
import { reconcileScheduleFrom } from '../config/schedules.js';
import { failLoudly } from './failLoudly.js';
import { invocationLogger } from './invocationLogger.js';
import { loadAppCore } from './loadAppCore.js';

/** Timer: keeps the JIT requester role at least privilege even when no event arrives. */
export async function reconcileTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  try {
    const { reconcileRole, runtimeFromEnvironment } = await loadAppCore();
    const report = await reconcileRole(
      { dryRun: false, trigger: 'timer' },
      runtimeFromEnvironment().reconcileDeps(log),
    );
    log.info(`role '${report.roleName}': ${report.status}`);
  } catch (error) {
    // Logged, then rethrown (redacted) so the invocation fails and is retried or shows as failed.
    failLoudly(error, log);
  }
}

export function registerReconcileTimer(): void {
  app.timer('reconcileTimer', {
    schedule: reconcileScheduleFrom(process.env),
    runOnStartup: false,
    handler: reconcileTimer,
  });
}
