import { request } from 'node:https';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** One raw HTTPS call to the emulator, for checks the SDK would hide. */
export function armRequest(
  baseUrl: string,
  ca: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    const base = new URL(baseUrl);
    // The path is sent as given (a doubled leading slash must reach the server as it is).
    const target = path.startsWith('https://') ? new URL(path) : undefined;
    const req = request(
      {
        hostname: base.hostname,
        port: base.port,
        path: target ? `${target.pathname}${target.search}` : path,
        method,
        ca,
        headers: {
          ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? 'test-token'}` }),
          ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: raw === '' ? undefined : JSON.parse(raw),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}
