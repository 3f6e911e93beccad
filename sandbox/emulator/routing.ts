import type { Fault } from './faults.js';
import type { EventPublisher, ResourceEventType } from './eventPublisher.js';
import type { Principal } from './principal.js';
import type { ArmState, OperationRecord } from './state.js';

export interface RequestContext {
  readonly method: string;
  /** The path with repeated slashes folded, in the caller's casing. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly apiVersion: string;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly principal: Principal;
  readonly correlationId: string;
  /** Faults for this request that the route itself must play (such as a failing LRO). */
  readonly faults: readonly Fault[];
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext, params: readonly string[]) => Reply;

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
  /** ARM throttles reads, writes and deletes in separate buckets. */
  readonly kind: 'reads' | 'writes' | 'deletes';
}

/** What routes share: the subscription state, the event topic and the LRO machinery. */
export interface EmulatorCore {
  readonly state: ArmState;
  readonly events: EventPublisher;
  readonly baseUrl: () => string;
  readonly pageSize: () => number;
  /** `Retry-After` for answers that say "poll again"; empty when configured to 0 (the SDK ignores 0). */
  retryAfterHeader(): Record<string, string>;
  /** Publishes the event for a write the caller made through ARM. */
  publishCallerEvent(
    ctx: RequestContext,
    type: ResourceEventType,
    subscriptionId: string,
    resourceUri: string,
    operationName: string,
  ): void;
  /**
   * Starts a long-running operation; the returned headers point at the emulator itself. An
   * operation that `updates` a resource holds it until done (see `busy`).
   */
  startOperation(
    ctx: RequestContext,
    subscriptionId: string,
    location: string,
    failure?: Fault,
    updates?: { readonly resourceId: string; readonly name: string },
  ): { operation: OperationRecord; headers: Record<string, string> };
  /**
   * The answer of the network RP to a write on a resource another operation is still updating:
   * 429 `RetryableError` with `RetryableErrorDueToAnotherOperation` in its details. Undefined when free.
   */
  busy(resourceId: string): Reply | undefined;
  /** A poll found the operation done: it no longer holds its resource. */
  finishOperation(operation: OperationRecord): void;
}

export const SEGMENT = '([^/]+)';

export function route(method: string, template: string | RegExp, handler: Handler): Route {
  const pattern =
    typeof template === 'string'
      ? new RegExp(`^${template.replace(/\{[^}]+\}/g, SEGMENT)}/?$`, 'i')
      : template;
  return {
    method,
    pattern,
    handler,
    kind: method === 'GET' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes',
  };
}

export function armError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Reply {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

/** Splits a list into ARM pages; `nextLink` is an absolute URL back to the emulator. */
export function page<T>(items: readonly T[], ctx: RequestContext, core: EmulatorCore): Reply {
  const skip = Number(ctx.query.get('$skiptoken') ?? '0') || 0;
  const size = core.pageSize();
  const value = items.slice(skip, skip + size);
  const body: Record<string, unknown> = { value };
  if (skip + size < items.length) {
    const next = new URL(ctx.path, core.baseUrl());
    next.searchParams.set('api-version', ctx.apiVersion);
    next.searchParams.set('$skiptoken', String(skip + size));
    body.nextLink = next.toString();
  }
  return { status: 200, body };
}

export function decode(segment: string): string {
  return decodeURIComponent(segment);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
