import { app, type InvocationContext } from '@azure/functions';
import { failLoudly } from './failLoudly.js';
import { invocationLogger } from './invocationLogger.js';
import { loadAppCore } from './loadAppCore.js';

/** Event Grid trigger of the reconciler app: a role definition was written in the subscription. */
export async function roleEvents(event: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  try {
    const { roleEvent, runtimeFromEnvironment } = await loadAppCore();
    const outcome = await roleEvent(event, runtimeFromEnvironment().reconcileDeps(log));
    if (outcome.status === 'role-reconciled') {
      log.info(`role '${outcome.report.roleName}': ${outcome.report.status}`);
    }
  } catch (error) {
    // Logged, then rethrown (redacted) so the invocation fails and is retried or shows as failed.
    failLoudly(error, log);
  }
}

export function registerRoleEvents(): void {
  app.eventGrid('roleEvents', { handler: roleEvents });
}
