import { inspect } from 'node:util';
import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { ArmCallError, toArmCallError } from '../../src/adapters/armCallError.js';

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

  it('no token is a sign-in failure, not a network one; it stays retryable (an identity endpoint may come back)', () => {
    const unavailable = Object.assign(new Error('ManagedIdentityCredential: no managed identity endpoint'), {
      name: 'CredentialUnavailableError',
    });
    const failure = toArmCallError('read NSG', '/subscriptions/s', unavailable);
    expect(failure.kind).toBe('sign-in');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toBe(
      'read NSG failed for /subscriptions/s: sign-in: ManagedIdentityCredential: no managed identity endpoint',
    );
    const chained = Object.assign(new Error('ChainedTokenCredential authentication failed'), {
      name: 'AggregateAuthenticationError',
    });
    expect(toArmCallError('read NSG', '/subscriptions/s', chained).kind).toBe('sign-in');
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

describe('ARM failures keep no secret', () => {
  const SIG = 'Qm9vWmFyQmF6MTIzNDU2Nzg5MA';
  const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ';
  /** Everything a log of the error could show: message, stack, own properties, the cause chain. */
  const shown = (error: Error) => `${inspect(error, { depth: 10 })} ${JSON.stringify(error)} ${error.stack}`;

  function answer(status: number, message: string, body: unknown, code: string): RestError {
    const request = createPipelineRequest({
      url: `https://management.azure.com/x?api-version=2024-05-01&sig=${SIG}`,
      headers: createHttpHeaders({ authorization: `Bearer ${TOKEN}` }),
    });
    return new RestError(message, {
      statusCode: status,
      code,
      request,
      response: { status, headers: createHttpHeaders(), request, bodyAsText: JSON.stringify(body) },
    });
  }

  it('a secret in the ARM error body is not kept in the message, the cause or the stack', () => {
    const error = toArmCallError(
      'delete security rule',
      `${NSG}/securityRules/r`,
      answer(
        429,
        'A retryable error occurred.',
        {
          error: {
            code: 'RetryableError',
            details: [
              {
                code: 'RetryableErrorDueToAnotherOperation',
                message: `Operation PutSecurityRuleOperation is updating resource ${NSG}; callback https://x/invoke?sv=1.0&sig=${SIG}`,
              },
            ],
          },
        },
        'RetryableError',
      ),
    );
    expect(error.kind).toBe('contention');
    expect(error.message).toContain('callback https://x/invoke?sv=1.0&sig=REDACTED');
    expect(shown(error)).not.toContain(SIG);
    expect(shown(error)).not.toContain(TOKEN);
    expect(error.cause).toMatchObject({ name: 'RestError', statusCode: 429, code: 'RetryableError' });
    expect(error.cause).not.toHaveProperty('response');
    expect(error.cause).not.toHaveProperty('request');
  });

  it("a secret in the SDK's message is redacted; the failure keeps its kind and retryable", () => {
    const error = toArmCallError(
      'read NSG',
      NSG,
      answer(403, `The access token Bearer ${TOKEN} is not authorized`, {}, 'AuthorizationFailed'),
    );
    expect(error).toBeInstanceOf(ArmCallError);
    expect(error.kind).toBe('permission-denied');
    expect(error.retryable).toBe(false);
    expect(error.armCode).toBe('AuthorizationFailed');
    expect(error.message).toBe(
      `read NSG failed for ${NSG}: permission-denied (HTTP 403 AuthorizationFailed): The access token Bearer REDACTED is not authorized`,
    );
    expect(shown(error)).not.toContain(TOKEN);
    expect(shown(error)).not.toContain(SIG);
  });
});
