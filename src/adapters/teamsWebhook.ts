import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { redact, redactValue } from '../core/redact.js';
import { TEAMS_MAX_BODY_BYTES, type TeamsMessage } from '../lib/alerts/adaptiveCard.js';

export interface TeamsSender {
  send(message: TeamsMessage): Promise<void>;
}

export interface TeamsSenderOptions {
  readonly url: string;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  /** First backoff step when Teams gives no Retry-After; doubles per attempt. */
  readonly baseDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the invocation fails and Event Grid retries. */
  readonly maxRetryAfterMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The longest one `send` can take: every attempt timing out, the longest wait between them. */
export function longestSendMs(
  options: Pick<TeamsSenderOptions, 'maxAttempts' | 'timeoutMs' | 'maxRetryAfterMs'>,
): number {
  return (
    options.maxAttempts * options.timeoutMs + (options.maxAttempts - 1) * (options.maxRetryAfterMs ?? 60_000)
  );
}

/** Teams could not be reached or refused the alert; the message never contains the webhook URL. */
export class TeamsDeliveryError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly lastStatus: number | undefined,
  ) {
    super(redact(message));
    this.name = 'TeamsDeliveryError';
  }
}

interface Attempt {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly problem: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Posts cards to a Teams Workflows webhook. 429, 5xx, timeouts and network errors are retried with
 * exponential backoff (Retry-After honoured), a bounded number of times; any other answer fails at once.
 */
export function createTeamsSender(options: TeamsSenderOptions): TeamsSender {
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const sleep = options.sleep ?? defaultSleep;
  const url = new URL(options.url);

  return {
    async send(message) {
      // A card quotes what it reports (rule descriptions, ARM errors): nothing secret leaves with it.
      const body = JSON.stringify(redactValue(message));
      const size = Buffer.byteLength(body);
      if (size > TEAMS_MAX_BODY_BYTES) {
        throw new TeamsDeliveryError(
          `alert body is ${size} bytes, over the Teams limit of ${TEAMS_MAX_BODY_BYTES}`,
          0,
          undefined,
        );
      }
      let last: Attempt | undefined;
      for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
        last = await post(url, body, options.timeoutMs);
        if (last.status !== undefined && last.status >= 200 && last.status < 300) return;
        const retryable = last.status === undefined || last.status === 429 || last.status >= 500;
        if (!retryable) {
          throw new TeamsDeliveryError(
            `Teams webhook refused the alert: ${last.problem}`,
            attempt,
            last.status,
          );
        }
        if (attempt === options.maxAttempts) break;
        const backoff = Math.min(baseDelayMs * 2 ** (attempt - 1), 30_000);
        const wait = last.retryAfterMs ?? backoff;
        if (wait > maxRetryAfterMs) {
          throw new TeamsDeliveryError(
            `Teams asked to wait ${wait} ms (${last.problem}); giving up for now`,
            attempt,
            last.status,
          );
        }
        await sleep(wait);
      }
      throw new TeamsDeliveryError(
        `Teams webhook still failing after ${options.maxAttempts} attempts: ${last?.problem ?? 'no attempt'}`,
        options.maxAttempts,
        last?.status,
      );
    },
  };
}

function post(url: URL, body: string, timeoutMs: number): Promise<Attempt> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () =>
          finish({
            status: res.statusCode,
            retryAfterMs: parseRetryAfter(res.headers['retry-after']),
            problem: `HTTP ${res.statusCode}`,
          }),
        );
        res.on('error', (error) =>
          finish({ status: undefined, retryAfterMs: undefined, problem: `response error: ${error.message}` }),
        );
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: undefined, retryAfterMs: undefined, problem: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    // Node's messages for connection errors name host and port but never the path or query (the signature).
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({
        status: undefined,
        retryAfterMs: undefined,
        problem: `network error ${error.code ?? error.message}`,
      }),
    );
    req.end(body);
  });
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
