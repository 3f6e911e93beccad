import type { Logger } from '../core/logger.js';
import { redact, redactError } from '../core/redact.js';

/** Errors nest rarely deeper; a cycle must end somewhere. */
const MAX_ERRORS_VISITED = 20;

/**
 * What a function does with an error it cannot handle: log its reason, then hand it to the host,
 * which fails the invocation (Event Grid redelivers, a timer run shows as failed). The host logs
 * what it is given, so it is redacted first: in place, so it keeps its class and whether it is
 * retryable — or, if it cannot be changed (frozen, read-only), as a redacted copy.
 */
export function failLoudly(error: unknown, log: Logger): never {
  log.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  if (!(error instanceof Error)) throw new Error(redact(String(error)));
  try {
    redactInPlace(error);
  } catch {
    throw redactError(error);
  }
  throw error;
}

function redactInPlace(error: Error): void {
  const pending: unknown[] = [error];
  const seen = new Set<unknown>();
  while (pending.length > 0 && seen.size < MAX_ERRORS_VISITED) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const fields = current as { message?: unknown; stack?: unknown; cause?: unknown; errors?: unknown };
    if (typeof fields.message === 'string') fields.message = redact(fields.message);
    if (typeof fields.stack === 'string') fields.stack = redact(fields.stack);
    pending.push(fields.cause);
    if (Array.isArray(fields.errors)) pending.push(...fields.errors);
  }
}
