import { listenOnLoopback, type LoopbackServer } from '../loopbackServer.js';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLoopbackCertificate } from './certificate.js';
import { EventPublisher, type EventListener, type EventSchemaName } from './eventPublisher.js';
import { FaultInjector, type Fault } from './faults.js';
import { unregisteredApiVersion } from './apiVersions.js';
import { authorizationRoutes, RoleDefinitionStore } from './authorizationRoutes.js';
import { computeRoutes } from './computeRoutes.js';
import { subscriptionRoutes } from './subscriptionRoutes.js';
import { resourceGraphRoutes } from './resourceGraphRoutes.js';
import { networkRoutes, nsgId } from './networkRoutes.js';
import { displayOf, guidFrom, principalFromToken, principalKey, type Principal } from './principal.js';
import { armError, type EmulatorCore, type Reply, type RequestContext, type Route } from './routing.js';
import { policyId, securityRoutes } from './securityRoutes.js';
import { ArmState, key, type NsgJson, type OperationRecord } from './state.js';
import { ARM_LIMITS, TokenBuckets, type BucketLimits, type CallKind } from './throttle.js';

export interface ArmEmulatorOptions {
  /** Items per list page before a `nextLink`; default 100. */
  readonly pageSize?: number;
  /** How many polls an LRO answers InProgress before it is done; default 1. */
  readonly lroPollsUntilDone?: number;
  /**
   * Retry-After (seconds) on 202s and InProgress polls; default 1, as recorded real security-rule
   * DELETEs answer (another recording has 10). 0 omits the header (tests that want speed).
   */
  readonly lroRetryAfterSeconds?: number;
  /** Added to every request; default 0. */
  readonly latencyMs?: number;
  /** ARM's token buckets; `false` turns throttling off. Default: ARM's published limits. */
  readonly throttling?: false | Record<CallKind, BucketLimits>;
  readonly tenantId?: string;
  /** How JIT's rule writes show up as events; default one NSG write. */
  readonly jitWriteStyle?: 'nsg' | 'rule';
  /**
   * How long the NSG stays busy after JIT's own write (its event is sent when ARM accepts the PUT,
   * while the network RP still applies it); default 1000. Recorded: an NSG or rule PUT answers 201
   * with `Retry-After: 1` and its operation has Succeeded at the first poll.
   */
  readonly jitWriteHoldMs?: number;
  /**
   * How long role definition lists lag a write (they leave the role out meanwhile); default 2000.
   * Recorded: two lists 0 and 1 s after an update were both empty; how long it lasts is not.
   */
  readonly roleReadLagMs?: number;
  /**
   * How long a change takes to reach Resource Graph (ms); default 5000. Documented only as "seconds
   * to minutes"; seeded NSGs are indexed from the start.
   */
  readonly resourceGraphLagMs?: number;
  /** Resource Graph's per-user quota; default 15 queries per 5 s window (its documented default). */
  readonly resourceGraphQuota?: { readonly queries: number; readonly windowMs: number };
}

export interface LoggedRequest {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  readonly principal: string;
  /** Epoch milliseconds when the request arrived. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The parsed JSON body of writes, as the emulator received it. */
  readonly body: unknown;
}

export interface SeededVm {
  readonly vmId: string;
  readonly nsgId: string;
}

/**
 * A local Azure Resource Manager for NSGs, security rules and JIT policies, served over HTTPS on
 * 127.0.0.1 with a certificate made at start. The real `@azure/arm-*` clients talk to it.
 */
export class ArmEmulator {
  readonly state: ArmState;
  readonly events = new EventPublisher();
  readonly faults = new FaultInjector();
  readonly requests: LoggedRequest[] = [];
  readonly roles: RoleDefinitionStore;
  private server: LoopbackServer | undefined;
  private certificate: string | undefined;
  private readonly routes: Route[];
  private readonly buckets: TokenBuckets | undefined;
  private seq = 0;
  /** Live settings; tests may change them between requests. */
  options: {
    -readonly [K in keyof Omit<ArmEmulatorOptions, 'throttling' | 'tenantId'>]-?: NonNullable<
      ArmEmulatorOptions[K]
    >;
  };

  constructor(options: ArmEmulatorOptions = {}) {
    this.options = {
      pageSize: options.pageSize ?? 100,
      lroPollsUntilDone: options.lroPollsUntilDone ?? 1,
      lroRetryAfterSeconds: options.lroRetryAfterSeconds ?? 1,
      latencyMs: options.latencyMs ?? 0,
      jitWriteStyle: options.jitWriteStyle ?? 'nsg',
      jitWriteHoldMs: options.jitWriteHoldMs ?? 1_000,
      roleReadLagMs: options.roleReadLagMs ?? 2_000,
      resourceGraphLagMs: options.resourceGraphLagMs ?? 5_000,
      resourceGraphQuota: options.resourceGraphQuota ?? { queries: 15, windowMs: 5_000 },
    };
    this.roles = new RoleDefinitionStore({ readLagMs: () => this.options.roleReadLagMs });
    this.state = new ArmState(options.tenantId ?? guidFrom('tenant'));
    this.buckets =
      options.throttling === false ? undefined : new TokenBuckets(options.throttling ?? ARM_LIMITS);
    const core: EmulatorCore = {
      state: this.state,
      events: this.events,
      baseUrl: () => this.url,
      pageSize: () => this.options.pageSize,
      retryAfterHeader: () => this.retryAfterHeader(),
      startOperation: (ctx, subscriptionId, location, failure, updates) =>
        this.startOperation(ctx, subscriptionId, location, failure, updates),
      busy: (resourceId) => this.busy(resourceId),
      finishOperation: (operation) => this.state.finishOperation(operation),
      publishCallerEvent: (ctx, type, subscriptionId, resourceUri, operationName) =>
        this.events.publish({
          type,
          subscriptionId,
          tenantId: this.state.tenantId,
          resourceUri,
          operationName,
          principal: ctx.principal,
          correlationId: ctx.correlationId,
          httpMethod: ctx.method,
          url: `${this.url}${ctx.path}`,
        }),
    };
    this.routes = [
      ...networkRoutes(core),
      ...securityRoutes(core, {
        writeStyle: () => this.options.jitWriteStyle,
        writeHoldMs: () => this.options.jitWriteHoldMs,
        holdNsg: (nsgId, ms, operationName) => this.holdNsg(nsgId, ms, operationName),
      }),
      ...authorizationRoutes(core, this.roles),
      ...computeRoutes(core),
      ...subscriptionRoutes(core),
      ...resourceGraphRoutes(core, {
        lagMs: () => this.options.resourceGraphLagMs,
        quota: () => this.options.resourceGraphQuota,
      }),
    ];
  }

  /** Base URL, e.g. `https://127.0.0.1:40123`. */
  get url(): string {
    const address = this.server;
    if (!address) throw new Error('the ARM emulator is not started');
    return `https://127.0.0.1:${address.port}`;
  }

  /** PEM of the self-signed certificate: give it to SDK clients as `tlsOptions.ca`. */
  get ca(): string {
    if (this.certificate === undefined) throw new Error('the ARM emulator is not started');
    return this.certificate;
  }

  async start(port = 0): Promise<this> {
    if (this.server) return this;
    const tls = await createLoopbackCertificate();
    this.certificate = tls.cert;
    const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => void this.handle(req, res));
    this.server = await listenOnLoopback(server, port);
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await this.events.idle();
    await server.close();
  }

  subscribe(deliver: EventListener, schema: EventSchemaName = 'EventGridSchema'): () => void {
    return this.events.subscribe({ deliver, schema });
  }

  /**
   * Delivers events to an HTTP endpoint as Event Grid does: a POST of a JSON array with the
   * `aeg-event-type: Notification` header; a non-2xx answer counts as a failed delivery.
   */
  subscribeWebhook(
    url: string,
    schema: EventSchemaName = 'EventGridSchema',
    operations?: readonly string[],
  ): () => void {
    return this.events.subscribe({
      schema,
      ...(operations === undefined ? {} : { operations }),
      deliver: async (event) => {
        const cloud = schema === 'CloudEventSchemaV1_0';
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': cloud ? 'application/cloudevents-batch+json; charset=utf-8' : 'application/json',
            'aeg-event-type': 'Notification',
          },
          body: JSON.stringify([event]),
        });
        if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
      },
    });
  }

  /**
   * Subscribes a webhook the way Event Grid does on creation: first the validation handshake
   * (SubscriptionValidation event, or the CloudEvents OPTIONS request), then deliveries.
   */
  async subscribeWebhookValidated(
    url: string,
    schema: EventSchemaName = 'EventGridSchema',
    operations?: readonly string[],
  ): Promise<() => void> {
    if (schema === 'CloudEventSchemaV1_0') {
      const answer = await fetch(url, {
        method: 'OPTIONS',
        headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
      });
      if (!answer.ok || !answer.headers.get('webhook-allowed-origin'))
        throw new Error(`webhook validation failed: HTTP ${answer.status}`);
    } else {
      const validationCode = randomUUID();
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' },
        body: JSON.stringify([
          {
            id: randomUUID(),
            topic: `/subscriptions/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`,
            subject: '',
            data: { validationCode, validationUrl: `${this.url}/validate?code=${validationCode}` },
            eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
            eventTime: new Date().toISOString(),
            metadataVersion: '1',
            dataVersion: '2',
          },
        ]),
      });
      const body = (await answer.json().catch(() => ({}))) as { validationResponse?: string };
      if (!answer.ok || body.validationResponse !== validationCode)
        throw new Error(`webhook validation failed: HTTP ${answer.status}`);
    }
    return this.subscribeWebhook(url, schema, operations);
  }

  injectFault(fault: Fault, where: { method?: string; path?: string | RegExp; times?: number } = {}): void {
    this.faults.add({ ...where, fault });
  }

  countRequests(filter: { method?: string; path?: string | RegExp } = {}): number {
    return this.requests.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false;
      if (filter.path === undefined) return true;
      return typeof filter.path === 'string'
        ? r.path.toLowerCase().includes(filter.path.toLowerCase())
        : filter.path.test(r.path);
    }).length;
  }

  clearRequestLog(): void {
    this.requests.length = 0;
  }

  /** Adds a VM with its own NSG (holding the usual default rules and any `rules` given). */
  seedVm(spec: {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    location?: string;
    nsgName?: string;
    rules?: unknown[];
    tags?: Record<string, string>;
  }): SeededVm {
    const location = spec.location ?? 'westeurope';
    const id = nsgId(spec.subscriptionId, spec.resourceGroup, spec.nsgName ?? `${spec.name}-nsg`);
    if (!this.state.getNsg(id)) {
      this.state.putNsg(id, {
        location,
        ...(spec.tags ? { tags: spec.tags } : {}),
        properties: { securityRules: spec.rules ?? [] },
      });
      // Seeded: there before anyone looked, so Resource Graph has it already.
      this.state.modifiedAt.set(key(id), 0);
    }
    const vmId = `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${spec.name}`;
    const nicId = `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.resourceGroup}/providers/Microsoft.Network/networkInterfaces/${spec.name}-nic`;
    this.state.vms.set(key(vmId), {
      id: vmId,
      name: spec.name,
      subscriptionId: spec.subscriptionId,
      resourceGroup: spec.resourceGroup,
      location,
      nsgId: id,
      nicId,
      privateIp: `10.0.${this.state.vms.size % 250}.4`,
    });
    return { vmId, nsgId: id };
  }

  /** Adds an NSG as ARM would return it (for example a recorded one), without events. */
  seedNsg(
    id: string,
    body: { location?: string; tags?: Record<string, string>; properties?: { securityRules?: unknown[] } },
  ): NsgJson {
    const nsg = this.state.putNsg(id, body);
    this.state.modifiedAt.set(key(id), 0);
    return nsg;
  }

  /**
   * Adds a role definition directly (no name check, no event): for drift and duplicates. With
   * `visibleAfterMs`, lists do not show it for that long (someone else's create, still settling).
   */
  seedRoleDefinition(
    scope: string,
    guid: string,
    properties: Record<string, unknown>,
    visibleAfterMs = 0,
  ): void {
    this.roles.write(
      guid,
      {
        id: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
        name: guid,
        type: 'Microsoft.Authorization/roleDefinitions',
        properties: { type: 'CustomRole', ...properties },
      },
      visibleAfterMs,
    );
  }

  /** Puts a subscription below a management group (as Resource Graph's scope sees it). */
  placeSubscription(managementGroupId: string, subscriptionId: string): void {
    const group = managementGroupId.toLowerCase();
    const below = this.state.managementGroups.get(group) ?? new Set<string>();
    below.add(subscriptionId.toLowerCase());
    this.state.managementGroups.set(group, below);
  }

  /** Makes a subscription known by this display name (`GET /subscriptions/{id}` answers it). */
  nameSubscription(subscriptionId: string, displayName: string): void {
    this.state.subscriptionNames.set(subscriptionId.toLowerCase(), displayName);
  }

  getNsg(id: string): NsgJson | undefined {
    return this.state.getNsg(id);
  }

  /** Someone else changes a rule at this very moment (for races): properties merged, a new etag, no event. */
  changeRule(nsgId: string, ruleName: string, properties: Record<string, unknown>): void {
    const nsg = this.state.getNsg(nsgId);
    const rule = nsg?.properties.securityRules.find((r) => r.name.toLowerCase() === ruleName.toLowerCase());
    if (!nsg || !rule) throw new Error(`no rule ${ruleName} in ${nsgId}`);
    Object.assign(rule.properties, properties);
    this.state.touch(nsg);
  }

  jitPolicyId(subscriptionId: string, resourceGroup: string, location: string, name = 'default'): string {
    return policyId(subscriptionId, resourceGroup, location, name);
  }

  private retryAfterHeader(): Record<string, string> {
    const seconds = this.options.lroRetryAfterSeconds;
    return seconds > 0 ? { 'Retry-After': String(seconds) } : {};
  }

  /**
   * Someone else's write to this NSG is under way for `ms` (as the network RP runs one operation per
   * NSG at a time): the guardrail's writes to it meanwhile meet contention.
   */
  holdNsg(nsgId: string, ms: number, operationName = 'PutSecurityRuleOperation'): void {
    const nsg = this.state.getNsg(nsgId);
    if (!nsg) throw new Error(`no NSG ${nsgId}`);
    this.state.startOperation({
      id: randomUUID(),
      pollsLeft: 0,
      outcome: 'Succeeded',
      error: undefined,
      apiVersion: '2025-05-01',
      location: nsg.location,
      subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(nsgId)?.[1] ?? '',
      name: operationName,
      resourceKey: key(nsgId),
      holdsUntil: Date.now() + ms,
    });
  }

  private busy(resourceId: string): Reply | undefined {
    const now = Date.now();
    const operation = this.state.operationUpdating(resourceId, now);
    if (!operation) return undefined;
    const seconds = Math.max(1, Math.ceil((operation.holdsUntil - now) / 1000));
    // As the network RP answers it (a 429 quoted in Azure/azure-sdk-for-python#556: the reason
    // nested in `details`, the wait in the message; not in our recordings). Retry-After is our
    // choice: without it the SDK does not retry (the guard then names it contention and fails).
    return {
      status: 429,
      headers: { 'Retry-After': String(seconds) },
      body: {
        error: {
          code: 'RetryableError',
          message: 'A retryable error occurred.',
          details: [
            {
              code: 'RetryableErrorDueToAnotherOperation',
              message: `Operation ${operation.name} (${operation.id}) is updating resource ${resourceId}. The call can be retried in ${seconds} seconds.`,
            },
          ],
        },
      },
    };
  }

  private startOperation(
    ctx: RequestContext,
    subscriptionId: string,
    location: string,
    failure?: Fault,
    updates?: { readonly resourceId: string; readonly name: string },
  ) {
    const id = randomUUID();
    const error =
      failure?.kind === 'lro-failed'
        ? { code: failure.code ?? 'InternalServerError', message: failure.message ?? 'The operation failed.' }
        : undefined;
    const operation: OperationRecord = {
      id,
      pollsLeft: this.options.lroPollsUntilDone,
      outcome: error ? 'Failed' : 'Succeeded',
      error,
      apiVersion: ctx.apiVersion,
      location,
      subscriptionId,
      name: updates?.name ?? 'Operation',
      resourceKey: updates ? key(updates.resourceId) : undefined,
      // As long as a caller obeying Retry-After takes to see it done (its InProgress polls, then the
      // last); it ends then, polled or not.
      holdsUntil:
        Date.now() +
        (this.options.lroPollsUntilDone + 1) * Math.max(0, this.options.lroRetryAfterSeconds) * 1000,
    };
    this.state.startOperation(operation);
    const base = `${this.url}/subscriptions/${subscriptionId}/providers/Microsoft.Network/locations/${location}`;
    const version = encodeURIComponent(ctx.apiVersion);
    return {
      operation,
      headers: {
        'Azure-AsyncOperation': `${base}/operations/${id}?api-version=${version}`,
        // Recorded: a DELETE's 202 points at both; a PUT's 201 or 200 only at Azure-AsyncOperation.
        ...(ctx.method === 'DELETE'
          ? { Location: `${base}/operationResults/${id}?api-version=${version}` }
          : {}),
        'Azure-AsyncNotification': 'Enabled',
        ...this.retryAfterHeader(),
      },
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const seq = ++this.seq;
    // The SDK turns a leading `/` in a scope into `//`: ARM folds repeated slashes, and so do we
    // (before parsing, or `//subscriptions/…` would read as a host name).
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'https://127.0.0.1');
    const path = url.pathname.replace(/\/{2,}/g, '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const principal = principalOf(req);
    let loggedBody: unknown;
    const log = (status: number) =>
      this.requests.push({
        body: loggedBody,
        seq,
        method,
        path,
        query: url.search,
        status,
        principal: principal ? displayOf(principal) : 'anonymous',
        startedAt: started,
        durationMs: Date.now() - started,
      });

    const faults = this.faults.take(method, path);
    const latency =
      this.options.latencyMs + faults.reduce((sum, f) => sum + (f.kind === 'latency' ? f.ms : 0), 0);
    const rawBody = await readBody(req);
    if (method !== 'GET' && rawBody.trim() !== '') {
      try {
        loggedBody = JSON.parse(rawBody);
      } catch {
        loggedBody = rawBody;
      }
    }
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));

    for (const fault of faults) if (fault.kind === 'before') fault.run();
    if (faults.some((f) => f.kind === 'reset')) {
      log(0);
      req.socket.destroy();
      return;
    }
    const reply = this.answer(method, path, url, req, rawBody, principal, faults);
    log(reply.status);
    if (faults.some((f) => f.kind === 'lost-answer')) {
      req.socket.destroy();
      return;
    }
    send(res, reply, req);
  }

  private answer(
    method: string,
    path: string,
    url: URL,
    req: IncomingMessage,
    rawBody: string,
    principal: Principal | undefined,
    faults: Fault[],
  ): Reply {
    if (!principal) {
      return armError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
      );
    }
    const forced = faults.find((f) => f.kind === 'status');
    if (forced?.kind === 'status') {
      return armError(
        forced.status,
        forced.code ?? defaultCode(forced.status),
        forced.message ?? `Injected fault ${forced.status}.`,
        forced.retryAfter !== undefined ? { 'Retry-After': String(forced.retryAfter) } : undefined,
      );
    }
    const match = this.match(method, path);
    if (!match) {
      return this.routes.some((r) => r.pattern.test(path))
        ? armError(405, 'MethodNotAllowed', `The requested method ${method} is not allowed for ${path}.`)
        : armError(
            404,
            'InvalidResourceType',
            `The resource type for '${path}' could not be found in the emulator.`,
          );
    }
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      return armError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const unregistered = unregisteredApiVersion(path, apiVersion);
    if (unregistered) return unregistered;
    let rateLimitHeaders: Record<string, string> = {};
    if (this.buckets) {
      const kind = match.route.kind;
      const subscription = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1] ?? 'tenant';
      const admission = this.buckets.admit(subscription, principalKey(principal), kind);
      if (!admission.admitted) {
        // As ARM answers it: its own code, the kind of call, the subscription and the wait.
        return armError(
          429,
          'SubscriptionRequestsThrottled',
          `Number of '${kind.replace(/s$/, '')}' requests for subscription '${subscription}' actor '${principalKey(principal)}' exceeded. Please try again after '${admission.retryAfterSeconds}' seconds after the additional tokens are available.`,
          { 'Retry-After': String(admission.retryAfterSeconds) },
        );
      }
      rateLimitHeaders = { [`x-ms-ratelimit-remaining-subscription-${kind}`]: String(admission.remaining) };
    }
    let body: unknown;
    if (rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return armError(
          400,
          'InvalidRequestContent',
          'The request content was invalid and could not be deserialized.',
        );
      }
    }
    const correlation = req.headers['x-ms-correlation-request-id'];
    const ctx: RequestContext = {
      method,
      path,
      query: url.searchParams,
      apiVersion,
      body,
      headers: req.headers,
      principal,
      correlationId: typeof correlation === 'string' ? correlation : randomUUID(),
      faults,
    };
    const reply = match.route.handler(ctx, match.params);
    return { ...reply, headers: { ...rateLimitHeaders, ...reply.headers } };
  }

  private match(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (m) return { route, params: m.slice(1) };
    }
    return undefined;
  }
}

function principalOf(req: IncomingMessage): Principal | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !/^bearer\s+\S+/i.test(header)) return undefined;
  return principalFromToken(header.replace(/^bearer\s+/i, '').trim());
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function send(res: ServerResponse, reply: Reply, req: IncomingMessage): void {
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id':
      typeof req.headers['x-ms-correlation-request-id'] === 'string'
        ? req.headers['x-ms-correlation-request-id']
        : requestId,
    'Cache-Control': 'no-cache',
    ...reply.headers,
  };
  if (reply.body === undefined) {
    res.writeHead(reply.status, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function defaultCode(status: number): string {
  switch (status) {
    case 403:
      return 'AuthorizationFailed';
    case 409:
      return 'AnotherOperationInProgress';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    default:
      return status >= 500 ? 'InternalServerError' : 'BadRequest';
  }
}

export { nsgId, policyId, key };
