import type { Logger } from '../core/logger.js';
import { redact } from '../core/redact.js';

/** Causes rarely nest deeper; a cycle must end somewhere. */
const MAX_CAUSE_DEPTH = 5;

/**
 * What a function does with an error it cannot handle: log its reason, then hand it to the host,
 * which fails the invocation (Event Grid redelivers, a timer run shows as failed). The host logs
 * what it is given, so message and stack are redacted first — along the cause chain, in place, so
 * the error keeps its class and whether it is retryable.
 */
export function failLoudly(error: unknown, log: Logger): never {
  log.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < MAX_CAUSE_DEPTH; depth++) {
    current.message = redact(current.message);
    if (current.stack !== undefined) current.stack = redact(current.stack);
    current = current.cause;
  }
  throw error instanceof Error ? error : new Error(redact(String(error)));
}
