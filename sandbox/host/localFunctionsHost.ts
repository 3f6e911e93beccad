import { listenOnLoopback, type LoopbackServer } from '../loopbackServer.js';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type {
  HttpRequest,
  HttpRequestInit,
  HttpResponseInit,
  InvocationContext,
  InvocationContextInit,
} from '@azure/functions';
import { nextOccurrence } from './ncrontab.js';

/** What `app.*` handed the host for one function (captured by the functions-core preload). */
export interface Registration {
  readonly metadata: { readonly name: string; readonly bindings: Record<string, Record<string, unknown>> };
  readonly callback: (...args: unknown[]) => unknown;
}

/** The library classes the host builds invocations with (taken from the loaded `@azure/functions`). */
export interface FunctionsLibrary {
  readonly InvocationContext: new (init: InvocationContextInit) => InvocationContext;
  readonly HttpRequest: new (init: HttpRequestInit) => HttpRequest;
}

export interface LocalHostOptions {
  readonly port: number;
  /** The key `authLevel: 'function'` endpoints require (`?code=` or `x-functions-key`). */
  readonly functionKey: string;
  /** The `eventgrid_extension` system key the Event Grid webhook requires (`?code=`), as in Azure. */
  readonly eventGridKey: string;
  readonly log: (line: string) => void;
  /** Told after each invocation that succeeded, with its trigger input (the sandbox explains outcomes). */
  readonly onInvoked?: (functionName: string, input: unknown) => void;
  /**
   * Stands in for App Service authentication (authsettingsV2, as infra configures it for the
   * reconciler): `/api/*` needs a signed-in caller — here `Authorization: Bearer <adminToken>`,
   * which signs in as an admin holding `adminAppRole` — and any `x-ms-client-*` header the caller
   * sent is dropped, so only the platform's own reaches the function.
   */
  readonly easyAuth?: { readonly adminToken: string; readonly adminAppRole: string };
}

const CLIENT_PRINCIPAL_HEADER = /^x-ms-client-/i;

/**
 * A small stand-in for the Functions host on 127.0.0.1: serves the Event Grid webhook (with the
 * subscription validation handshake, both schemas), the HTTP triggers at /api/<route>, and runs
 * timers on their schedules — all through the app's real registrations.
 */
export class LocalFunctionsHost {
  private server: LoopbackServer | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly registrations: readonly Registration[],
    private readonly lib: FunctionsLibrary,
    private readonly options: LocalHostOptions,
  ) {}

  get url(): string {
    const address = this.server;
    if (!address) throw new Error('the local host is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  eventGridUrl(functionName: string): string {
    return `${this.url}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(functionName)}&code=${this.options.eventGridKey}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = await listenOnLoopback(server, this.options.port);
    for (const registration of this.registrations) {
      const timer = this.trigger(registration, 'timerTrigger');
      if (timer) this.scheduleTimer(registration, String(timer.schedule));
    }
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await server.close();
  }

  /** Runs a timer function now, as the schedule would. */
  async runTimer(name: string): Promise<void> {
    const registration = this.registrations.find(
      (r) => r.metadata.name === name && this.trigger(r, 'timerTrigger'),
    );
    if (!registration) throw new Error(`no timer function named ${name}`);
    await this.invoke(registration, [
      { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } },
    ]);
  }

  private trigger(registration: Registration, type: string): Record<string, unknown> | undefined {
    return Object.values(registration.metadata.bindings).find((b) => b.type === type && b.direction === 'in');
  }

  private scheduleTimer(registration: Registration, schedule: string): void {
    if (this.stopped) return;
    const next = nextOccurrence(schedule, new Date());
    const wait = Math.min(next.getTime() - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      void this.invoke(registration, [{ isPastDue: false, scheduleStatus: { next: next.toISOString() } }])
        .catch(() => undefined)
        .finally(() => this.scheduleTimer(registration, schedule));
    }, wait);
    timer.unref();
    this.timers.set(registration.metadata.name, timer);
  }

  private async invoke(registration: Registration, inputs: unknown[]): Promise<unknown> {
    const name = registration.metadata.name;
    const context = new this.lib.InvocationContext({
      functionName: name,
      invocationId: randomUUID(),
      logHandler: (level, ...args) => this.options.log(`[${name}] ${level}: ${args.map(String).join(' ')}`),
    });
    let result: unknown;
    try {
      result = await registration.callback(...inputs, context);
    } catch (error) {
      this.options.log(`[${name}] failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    try {
      this.options.onInvoked?.(name, inputs[0]);
    } catch (error) {
      this.options.log(`[host] after ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return result;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    try {
      if (url.pathname === '/runtime/webhooks/eventgrid') return await this.eventGrid(req, res, url, body);
      if (url.pathname.startsWith('/api/')) return await this.http(req, res, url, body);
      send(res, 404, { error: 'not found' });
    } catch {
      if (!res.headersSent) send(res, 500, { error: 'the function failed; see the host log' });
    }
  }

  private async eventGrid(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const keyProblem = wrongOrMissingKey(url.searchParams.get('code'), this.options.eventGridKey);
    if (keyProblem !== undefined)
      return send(res, 401, { error: `the Event Grid system key ${keyProblem} (?code=)` });
    const registration = this.registrations.find(
      (r) => r.metadata.name === url.searchParams.get('functionName') && this.trigger(r, 'eventGridTrigger'),
    );
    if (!registration)
      return send(res, 404, {
        error: `no Event Grid function named ${url.searchParams.get('functionName')}`,
      });
    // CloudEvents webhook validation (abuse protection): echo the origin back.
    if (req.method === 'OPTIONS') {
      res.writeHead(200, {
        'WebHook-Allowed-Origin': String(req.headers['webhook-request-origin'] ?? '*'),
        'WebHook-Allowed-Rate': '*',
      });
      return void res.end();
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
    let events: unknown;
    try {
      events = JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'the body is not JSON' });
    }
    const list = Array.isArray(events) ? events : [events];
    if (req.headers['aeg-event-type'] === 'SubscriptionValidation') {
      const code = (list[0] as { data?: { validationCode?: string } })?.data?.validationCode;
      return code
        ? send(res, 200, { validationResponse: code })
        : send(res, 400, { error: 'no validationCode' });
    }
    for (const event of list) await this.invoke(registration, [event]);
    res.writeHead(200).end();
  }

  private async http(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const route = url.pathname.slice('/api/'.length);
    const registration = this.registrations.find((r) => {
      const trigger = this.trigger(r, 'httpTrigger');
      return (
        trigger !== undefined &&
        String(trigger.route ?? r.metadata.name).toLowerCase() === route.toLowerCase()
      );
    });
    if (!registration) return send(res, 404, { error: `no HTTP function at /api/${route}` });
    const trigger = this.trigger(registration, 'httpTrigger')!;
    const methods = ((trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) =>
      m.toUpperCase(),
    );
    if (!methods.includes(req.method ?? 'GET'))
      return send(res, 404, { error: 'no such route for this method' });
    if (trigger.authLevel !== 'anonymous') {
      const header = req.headers['x-functions-key'];
      const key = url.searchParams.get('code') ?? (typeof header === 'string' ? header : null);
      const keyProblem = wrongOrMissingKey(key, this.options.functionKey);
      if (keyProblem !== undefined)
        return send(res, 401, {
          error:
            keyProblem === 'is required'
              ? 'a function key is required (?code= or x-functions-key)'
              : 'the function key is wrong: use the code the sandbox printed (functionKey in sandbox.json)',
        });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const easyAuth = this.options.easyAuth;
    if (easyAuth !== undefined) {
      for (const name of Object.keys(headers)) if (CLIENT_PRINCIPAL_HEADER.test(name)) delete headers[name];
      if (req.headers.authorization !== `Bearer ${easyAuth.adminToken}`) {
        return send(res, 401, {
          error:
            'App Service authentication: sign in first (sandbox: -H "Authorization: Bearer <adminToken from sandbox.json>")',
        });
      }
      headers['x-ms-client-principal-idp'] = 'aad';
      headers['x-ms-client-principal-name'] = 'sandbox-admin';
      headers['x-ms-client-principal'] = Buffer.from(
        JSON.stringify({
          auth_typ: 'aad',
          name_typ: 'name',
          role_typ: 'roles',
          claims: [
            { typ: 'name', val: 'sandbox-admin' },
            { typ: 'roles', val: easyAuth.adminAppRole },
          ],
        }),
      ).toString('base64');
    }
    const request = new this.lib.HttpRequest({
      method: req.method ?? 'GET',
      url: url.toString(),
      headers,
      query: Object.fromEntries(url.searchParams),
      body: { bytes: new Uint8Array(body) },
    });
    const response = (await this.invoke(registration, [request])) as HttpResponseInit | undefined;
    const status = response?.status ?? 200;
    const extraHeaders = (response?.headers ?? {}) as Record<string, string>;
    if (response?.jsonBody !== undefined) return send(res, status, response.jsonBody, extraHeaders);
    res.writeHead(status, extraHeaders).end(typeof response?.body === 'string' ? response.body : undefined);
  }
}

/** Why a key does not open an endpoint: none given, or not the expected one; undefined when it does. */
function wrongOrMissingKey(given: string | null, expected: string): 'is required' | 'is wrong' | undefined {
  if (given === null || given === '') return 'is required';
  return given === expected ? undefined : 'is wrong';
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    })
    .end(text);
}
