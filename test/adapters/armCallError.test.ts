import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { toArmCallError } from '../../src/adapters/armCallError.js';

function armAnswer(status: number, body: unknown, code?: string): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/x' });
  return new RestError('A retryable error occurred.', {
    statusCode: status,
    ...(code !== undefined ? { code } : {}),
    request,
    response: { status, headers: createHttpHeaders(), request, bodyAsText: JSON.stringify(body) },
  });
}

const NSG = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg';

describe('ARM failures are named by what happened', () => {
  it("contention: the network RP's 429 RetryableError with the reason nested in details, its message kept", () => {
    const error = toArmCallError(
      'delete security rule',
      `${NSG}/securityRules/r`,
      armAnswer(
        429,
        {
          error: {
            code: 'RetryableError',
            message: 'A retryable error occurred.',
            details: [
              {
                code: 'RetryableErrorDueToAnotherOperation',
                message: `Operation PutSecurityRuleOperation (4bf85bce) is updating resource ${NSG}. The call can be retried in 2 seconds.`,
              },
            ],
          },
        },
        'RetryableError',
      ),
    );
    expect(error.kind).toBe('contention');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('contention (HTTP 429 RetryableError)');
    expect(error.message).toContain('PutSecurityRuleOperation (4bf85bce) is updating resource');
  });

  it('contention: the older 409 AnotherOperationInProgress', () => {
    const error = toArmCallError(
      'delete security rule',
      NSG,
      armAnswer(
        409,
        { error: { code: 'AnotherOperationInProgress', message: 'busy' } },
        'AnotherOperationInProgress',
      ),
    );
    expect(error.kind).toBe('contention');
  });

  it('a 429 that is not contention is throttling; a 409 that is not contention is a conflict', () => {
    expect(
      toArmCallError(
        'read NSG',
        NSG,
        armAnswer(
          429,
          { error: { code: 'SubscriptionRequestsThrottled', message: 'x' } },
          'SubscriptionRequestsThrottled',
        ),
      ).kind,
    ).toBe('throttled');
    expect(
      toArmCallError(
        'read NSG',
        NSG,
        armAnswer(409, { error: { code: 'Conflict', message: 'x' } }, 'Conflict'),
      ).kind,
    ).toBe('conflict');
    expect(toArmCallError('read NSG', NSG, armAnswer(429, 'not json')).kind).toBe('throttled');
  });
});
