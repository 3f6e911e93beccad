import { app, type InvocationContext, type Timer } from '@azure/functions';
import { reconcileScheduleFrom } from '../config/schedules.js';
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
    log.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
}

export function registerReconcileTimer(): void {
  app.timer('reconcileTimer', {
    schedule: reconcileScheduleFrom(process.env),
    runOnStartup: false,
    handler: reconcileTimer,
  });
}
