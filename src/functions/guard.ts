import { app, type InvocationContext } from '@azure/functions';
import { invocationLogger } from './invocationLogger.js';
import { loadAppCore } from './loadAppCore.js';

/** Event Grid trigger: every NSG or security-rule write in the subscription comes through here. */
export async function guard(event: unknown, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  try {
    const { guardEvent, runtimeFromEnvironment } = await loadAppCore();
    const outcome = await guardEvent(event, runtimeFromEnvironment().guardDeps(log));
    log.debug(`guard outcome: ${outcome.status}`);
  } catch (error) {
    // Logged here with its reason, then rethrown so the invocation fails and Event Grid redelivers.
    log.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
}

export function registerGuard(): void {
  app.eventGrid('guard', { handler: guard });
}
