import { app, type InvocationContext } from '@azure/functions';
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
    // Logged here with its reason, then rethrown so the invocation fails and Event Grid redelivers.
    log.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
}

export function registerRoleEvents(): void {
  app.eventGrid('roleEvents', { handler: roleEvents });
}
