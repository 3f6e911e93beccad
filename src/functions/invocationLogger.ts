import type { InvocationContext } from '@azure/functions';
import type { Logger } from '../core/logger.js';

export function invocationLogger(context: InvocationContext): Logger {
  return {
    debug: (message) => context.debug(message),
    info: (message) => context.info(message),
    warn: (message) => context.warn(message),
    error: (message) => context.error(message),
  };
}
