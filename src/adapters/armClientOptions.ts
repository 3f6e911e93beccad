import type { GuardrailConfig } from '../config/settings.js';

/** Options shared by every `@azure/arm-*` client: endpoint, extra CA, bounded retries. */
export function armClientOptions(config: GuardrailConfig) {
  return {
    endpoint: config.arm.endpoint,
    $host: config.arm.endpoint,
    ...(config.arm.ca !== undefined ? { tlsOptions: { ca: config.arm.ca } } : {}),
    retryOptions: {
      maxRetries: config.arm.maxRetries,
      retryDelayInMs: config.arm.retryDelayMs,
      maxRetryDelayInMs: Math.max(config.arm.retryDelayMs, 30_000),
    },
    userAgentOptions: { userAgentPrefix: 'jit-guardrail' },
  };
}
