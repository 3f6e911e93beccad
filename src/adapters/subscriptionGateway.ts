import type { TokenCredential } from '@azure/core-auth';
import { ServiceClient } from '@azure/core-client';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { GuardrailConfig } from '../config/settings.js';
import { toArmCallError } from './armCallError.js';
import { armClientOptions } from './armClientOptions.js';

/** The subscriptions API version (Microsoft.Resources, stable since December 2022). */
export const SUBSCRIPTIONS_API_VERSION = '2022-12-01';

/** How long a card waits for the subscription's name before it goes without it. */
export const NAME_READ_TIMEOUT_MS = 3_000;

/** Reads a subscription's display name: the name ops know it by, for cards. */
export interface SubscriptionGateway {
  /** Its display name; throws an `ArmCallError` when ARM does not say. */
  displayName(subscriptionId: string): Promise<string>;
}

/**
 * `GET /subscriptions/{id}` (action `Microsoft.Resources/subscriptions/read`). No `@azure/arm-*`
 * client is needed for one GET: the generic client brings the same pipeline (token, retries, CA).
 */
export function createSubscriptionGateway(
  config: GuardrailConfig,
  credential: TokenCredential,
  timeoutMs = NAME_READ_TIMEOUT_MS,
): SubscriptionGateway {
  const options = armClientOptions(config);
  const client = new ServiceClient({
    ...options,
    // A name is worth less than a prompt alert: one try, soon given up (see NAME_READ_TIMEOUT_MS).
    retryOptions: { maxRetries: 0 },
    credential,
    credentialScopes: [`${config.arm.endpoint}/.default`],
  });
  return {
    async displayName(subscriptionId) {
      const path = `/subscriptions/${encodeURIComponent(subscriptionId)}`;
      try {
        const response = await client.sendRequest(
          createPipelineRequest({
            url: `${config.arm.endpoint}${path}?api-version=${SUBSCRIPTIONS_API_VERSION}`,
            method: 'GET',
            headers: createHttpHeaders({ accept: 'application/json' }),
            // Also ends a body that stalls after its headers (the timeout alone stops at the headers).
            abortSignal: AbortSignal.timeout(timeoutMs),
            timeout: timeoutMs,
          }),
        );
        const body = parse(response.bodyAsText ?? undefined);
        if (response.status !== 200) {
          throw new RestError(body.error?.message ?? `HTTP ${response.status}`, {
            statusCode: response.status,
            code: body.error?.code,
            request: response.request,
            response,
          });
        }
        const name = typeof body.displayName === 'string' ? body.displayName.trim() : '';
        if (name === '') throw new Error('ARM returned the subscription without a display name');
        return name;
      } catch (error) {
        throw toArmCallError('read subscription', path, error);
      }
    },
  };
}

interface SubscriptionBody {
  readonly displayName?: unknown;
  readonly error?: { readonly code?: string; readonly message?: string };
}

function parse(text: string | undefined): SubscriptionBody {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return typeof value === 'object' && value !== null ? (value as SubscriptionBody) : {};
  } catch {
    return {};
  }
}
