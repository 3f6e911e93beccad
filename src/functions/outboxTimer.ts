import { app, type InvocationContext, type Timer } from '@azure/functions';
import { outboxScheduleFrom } from '../config/schedules.js';
import { failLoudly } from './failLoudly.js';
import { invocationLogger } from './invocationLogger.js';
import { loadAppCore } from './loadAppCore.js';

/** Timer: sends the alerts that could not be sent when they were raised (Teams down, instance gone). */
export async function outboxTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  try {
    const { resendDueAlerts, runtimeFromEnvironment } = await loadAppCore();
    const deps = runtimeFromEnvironment().guardDeps(log);
    const { sent, failed } = await resendDueAlerts(deps.outbox, deps.teams, deps.now());
    if (sent > 0) log.info(`alert outbox: ${sent} alert(s) sent late`);
    if (failed > 0)
      log.warn(`alert outbox: ${failed} alert(s) still not accepted by Teams; tried again later`);
  } catch (error) {
    failLoudly(error, log);
  }
}

export function registerOutboxTimer(): void {
  app.timer('outboxTimer', {
    schedule: outboxScheduleFrom(process.env),
    runOnStartup: false,
    handler: outboxTimer,
  });
}
