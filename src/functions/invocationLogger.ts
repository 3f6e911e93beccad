import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../core/logger.js';
import { redact } from '../core/redact.js';

export function invocationLogger(context: InvocationContext): Logger {
  return {
    debug: (message) => context.debug(redact(message)),
    info: (message) => context.info(redact(message)),
    warn: (message) => context.warn(redact(message)),
    error: (message) => context.error(redact(message)),
  };
}
