import { isRestError } from '@azure/core-rest-pipeline';

export type ArmFailureKind =
  'permission-denied' | 'conflict' | 'throttled' | 'server-error' | 'operation-failed' | 'network' | 'other';

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
    super(
      `${operation} failed for ${target}: ${kind}${statusCode !== undefined ? ` (HTTP ${statusCode}${armCode ? ` ${armCode}` : ''})` : ''}${describeCause(options.cause)}`,
      options,
    );
    this.name = 'ArmCallError';
  }

  /** Event Grid should redeliver: the same call may work later. A 403 will not fix itself. */
  get retryable(): boolean {
    return this.kind !== 'permission-denied';
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error && cause.message) return `: ${cause.message.split('\n')[0]}`;
  return '';
}

/** The HTTP status of an SDK error. By name, not `instanceof`: SDK packages may bundle their own copy. */
export function statusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

export function toArmCallError(operation: string, target: string, error: unknown): ArmCallError {
  const status = statusOf(error);
  const code = isRestError(error) ? error.code : undefined;
  let kind: ArmFailureKind;
  if (status === 403 || status === 401) kind = 'permission-denied';
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
