import { isRestError } from '@azure/core-rest-pipeline';
import { redact, redactError } from '../core/redact.js';

/** `contention`: another operation is updating the same resource (the network RP runs one at a time). */
export type ArmFailureKind =
  | 'permission-denied'
  | 'conflict'
  | 'contention'
  | 'throttled'
  | 'server-error'
  | 'operation-failed'
  | 'network'
  /** No token: the identity is missing or its sign-in was refused (not a network fault). */
  | 'sign-in'
  | 'other';

/** An ARM call that did not do what the guardrail needed; the message names subscription, NSG and rule. */
export class ArmCallError extends Error {
  constructor(
    readonly operation: string,
    readonly target: string,
    readonly kind: ArmFailureKind,
    readonly statusCode: number | undefined,
    readonly armCode: string | undefined,
    options: { cause: unknown },
  ) {
    // The cause is kept redacted and without the SDK's request and response (headers, bodies).
    super(
      redact(
        `${operation} failed for ${target}: ${kind}${statusCode !== undefined ? ` (HTTP ${statusCode}${armCode ? ` ${armCode}` : ''})` : ''}${describeCause(options.cause)}`,
      ),
      options.cause === undefined ? undefined : { cause: redactError(options.cause) },
    );
    this.name = 'ArmCallError';
  }

  /** Event Grid should redeliver: the same call may work later. A 403 will not fix itself. */
  get retryable(): boolean {
    return this.kind !== 'permission-denied';
  }
}

function describeCause(cause: unknown): string {
  const detail = contentionDetail(cause);
  if (detail !== undefined) return `: ${detail}`;
  if (cause instanceof Error && cause.message) return `: ${cause.message.split('\n')[0]}`;
  return '';
}

const CONTENTION_CODES = new Set(['anotheroperationinprogress', 'retryableerrorduetoanotheroperation']);

/**
 * The network RP's answer to a write while another operation updates the resource: 429
 * `RetryableError` with `RetryableErrorDueToAnotherOperation` nested in `details` (older answers:
 * 409 `AnotherOperationInProgress`). The detail message names the operation and the wait.
 */
function contentionDetail(error: unknown): string | undefined {
  if (!isRestError(error) || (error.statusCode !== 429 && error.statusCode !== 409)) return undefined;
  if (CONTENTION_CODES.has(String(error.code).toLowerCase())) return firstLine(error.message);
  let details: unknown;
  try {
    details = (JSON.parse(error.response?.bodyAsText ?? '') as { error?: { details?: unknown } }).error
      ?.details;
  } catch {
    return undefined;
  }
  if (!Array.isArray(details)) return undefined;
  for (const detail of details as { code?: unknown; message?: unknown }[]) {
    if (CONTENTION_CODES.has(String(detail?.code).toLowerCase()))
      return firstLine(typeof detail.message === 'string' ? detail.message : String(detail.code));
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** @azure/identity's failures, by name (SDK bundles may hold their own classes). */
const CREDENTIAL_ERRORS = new Set([
  'CredentialUnavailableError',
  'AuthenticationRequiredError',
  'AuthenticationError',
  'AggregateAuthenticationError',
]);

function isCredentialError(error: unknown): boolean {
  return error instanceof Error && CREDENTIAL_ERRORS.has(error.name);
}

/** The HTTP status of an SDK error. By name, not `instanceof`: SDK packages may bundle their own copy. */
export function statusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

export function toArmCallError(operation: string, target: string, error: unknown): ArmCallError {
  const status = statusOf(error);
  const code = isRestError(error) ? error.code : undefined;
  let kind: ArmFailureKind;
  if (isCredentialError(error)) kind = 'sign-in';
  else if (contentionDetail(error) !== undefined) kind = 'contention';
  else if (status === 403 || status === 401) kind = 'permission-denied';
  else if (status === 409 || status === 412) kind = 'conflict';
  else if (status === 429) kind = 'throttled';
  else if (status !== undefined && status >= 500) kind = 'server-error';
  else if (status === undefined && isRestError(error)) kind = 'network';
  else if (
    status === undefined &&
    error instanceof Error &&
    /long-running operation has failed|polling was unsuccessful/i.test(error.message)
  )
    kind = 'operation-failed';
  else kind = status === undefined ? 'network' : 'other';
  return new ArmCallError(operation, target, kind, status, code, { cause: error });
}
