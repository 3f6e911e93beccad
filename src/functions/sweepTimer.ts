import { app, type InvocationContext, type Timer } from '@azure/functions';
import { sweepScheduleFrom } from '../config/schedules.js';
import { failLoudly } from './failLoudly.js';
import { invocationLogger } from './invocationLogger.js';
import { loadAppCore } from './loadAppCore.js';

/** Timer: catches the wildcard JIT rules whose events were missed, and audits JIT policies. */
export async function sweepTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  try {
    const { sweep, sweepExitCode, timerRunStrategy, runtimeFromEnvironment } = await loadAppCore();
    const strategy = timerRunStrategy(new Date());
    const runtime = runtimeFromEnvironment();
    const summary = await sweep(
      {
        subscriptions: runtime.config.guardedSubscriptions,
        reportOnly: false,
        ...(strategy === undefined ? {} : { strategy }),
        ...(runtime.config.guardedManagementGroup === undefined
          ? {}
          : { managementGroup: runtime.config.guardedManagementGroup }),
      },
      runtime.guardDeps(log),
    );
    log.info(`sweep ${summary.runId}: ${JSON.stringify(summary)}`);
    if (sweepExitCode(summary) === 1) {
      // Every NSG was tried; now fail loudly so the run shows as failed.
      throw new Error(
        `sweep ${summary.runId} could not finish everything: ${[summary.incomplete ?? [], ...summary.subscriptions.flatMap((s) => s.errors)].flat().join('; ')}`,
      );
    }
  } catch (error) {
    failLoudly(error, log);
  }
}

export function registerSweepTimer(): void {
  app.timer('sweepTimer', {
    schedule: sweepScheduleFrom(process.env),
    runOnStartup: false,
    handler: sweepTimer,
  });
}
