import { app, type InvocationContext } from '@azure/functions';
import { failLoudly } from './failLoudly.js';
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
    // Logged, then rethrown (redacted) so the invocation fails and is retried or shows as failed.
    failLoudly(error, log);
  }
}

export function registerGuard(): void {
  app.eventGrid('guard', { handler: guard });
}
