import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactError, redactValue } from '../../src/core/redact.js';

const chars = (set: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...set), minLength, maxLength });
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const base64url = (min: number, max: number) => chars(`${ALNUM}-_`, min, max);
const base64 = fc.uint8Array({ minLength: 16, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'));
const toBase64url = (text: string) => Buffer.from(text).toString('base64url');

/** Secrets as they are written in a header or a connection string: tokens, keys, hex, base64 with padding. */
const rawSecret = fc.oneof(
  base64url(20, 120),
  chars('0123456789abcdef', 32, 64),
  chars(ALNUM, 16, 64),
  base64,
);
/** As they are written in a URL query: the same, with base64 percent-encoded (`%2B`, `%2F`, `%3D`). */
const querySecret = fc.oneof(base64url(20, 120), chars(ALNUM, 16, 64), base64.map(encodeURIComponent));
const jwt = fc
  .tuple(
    fc.constantFrom('HS256', 'RS256', 'ES256'),
    fc.record({ sub: fc.uuid(), oid: fc.uuid(), exp: fc.nat(), upn: fc.emailAddress() }),
    base64url(43, 86),
  )
  .map(
    ([alg, claims, signature]) =>
      `${toBase64url(JSON.stringify({ alg, typ: 'JWT' }))}.${toBase64url(JSON.stringify(claims))}.${signature}`,
  );
/** A key name in any case, as people and serializers write it. */
const anyCase = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

/** How a query is written: plain, percent-encoded once (either hex case), JSON-escaped, HTML-escaped. */
interface QueryEncoding {
  /** The URL up to its query: a Workflows webhook, or one encoded as the parameter of another URL. */
  readonly base: string;
  readonly q: string;
  readonly amp: string;
  readonly eq: string;
  readonly value: (v: string) => string;
}
const WEBHOOK = 'https://prod-12.westeurope.logic.azure.com:443/workflows/0f2b/triggers/manual/paths/invoke';
const WRAPPED = `https://login.example/continue?next=${encodeURIComponent(WEBHOOK)}`;
const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
const queryEncodings: Record<string, QueryEncoding> = {
  plain: { base: WEBHOOK, q: '?', amp: '&', eq: '=', value: (v) => v },
  percent: { base: WRAPPED, q: '%3F', amp: '%26', eq: '%3D', value: encodeURIComponent },
  percentLower: {
    base: lowerHex(WRAPPED),
    q: '%3f',
    amp: '%26',
    eq: '%3d',
    value: (v) => lowerHex(encodeURIComponent(v)),
  },
  json: { base: WEBHOOK, q: '?', amp: '\\u0026', eq: '=', value: (v) => v },
  jsonEquals: { base: WEBHOOK, q: '?', amp: '\\u0026', eq: '\\u003d', value: (v) => v },
  html: { base: WEBHOOK, q: '?', amp: '&amp;', eq: '=', value: (v) => v },
};

/** Where a string leaves the process. */
const contexts: Record<string, (secretBearing: string) => string> = {
  logLine: (s) => `2026-11-25T10:00:00Z warn POST ${s} answered 500 after 3 attempt(s)`,
  jsonString: (s) => `{"level":"error","url":"${s}","attempts":3}`,
  url: (s) => s,
  headerLine: (s) => `Location: ${s}\r\nRetry-After: 10`,
  errorMessage: (s) => `Error: request to ${s} failed: ECONNRESET`,
};

/** Same text with `secret` at the given place or `REDACTED` there: nothing else may differ. */
function expectRedacted(build: (value: string) => string, secret: string): void {
  const out = redact(build(secret));
  expect(out).not.toContain(secret);
  expect(out).toBe(build('REDACTED'));
}

describe('redact: generated secrets in every encoding and context', () => {
  it('a signature or function key in a query', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyCase('sig'), anyCase('code')),
        querySecret,
        fc.constantFrom(...Object.keys(queryEncodings)),
        fc.constantFrom(...Object.keys(contexts)),
        fc.constantFrom('first', 'middle', 'last'),
        (key, secret, encodingName, contextName, position) => {
          const e = queryEncodings[encodingName]!;
          const build = (value: string) => {
            const pair = `${key}${e.eq}${e.value(value)}`;
            const others = [`api-version${e.eq}2016-06-01`, `sv${e.eq}1.0`];
            const params =
              position === 'first'
                ? [pair, ...others]
                : position === 'middle'
                  ? [others[0], pair, others[1]]
                  : [...others, pair];
            return contexts[contextName]!(`${e.base}${e.q}${params.join(e.amp)}`);
          };
          expectRedacted(build, e.value(secret));
        },
      ),
    );
  });

  it('a key by name: header line, connection string, JSON property, log line', () => {
    const shapes: Record<string, (key: string, value: string) => string> = {
      header: (k, v) => `POST /api/reconcile HTTP/1.1\r\n${k}: ${v}\r\nContent-Length: 0`,
      headerEquals: (k, v) => `headers: ${k}=${v}; host=guard.azurewebsites.net`,
      connectionString: (k, v) =>
        `DefaultEndpointsProtocol=https;AccountName=stguard;${k}=${v};EndpointSuffix=core.windows.net`,
      spaced: (k, v) => `using ${k} = ${v} for stguard`,
      json: (k, v) => `{"accountName":"stguard","${k}":"${v}","n":1}`,
      jsonSpaced: (k, v) => `{ "${k}": "${v}" }`,
      jsonInJson: (k, v) => `{"body":"{\\"${k}\\":\\"${v}\\"}"}`,
      jsonEscapedEquals: (k, v) => `"AccountName=stguard;${k}\\u003d${v};EndpointSuffix=core.windows.net"`,
      percent: (k, v) =>
        `conn=AccountName%3Dstguard%3B${k}%3D${encodeURIComponent(v)}%3BEndpointSuffix%3Dcore.windows.net`,
    };
    fc.assert(
      fc.property(
        fc.oneof(anyCase('x-functions-key'), anyCase('AccountKey'), anyCase('SharedAccessKey')),
        rawSecret,
        fc.constantFrom(...Object.keys(shapes)),
        (key, secret, shape) => {
          const write = shapes[shape]!;
          const out = redact(write(key, secret));
          expect(out).not.toContain(shape === 'percent' ? encodeURIComponent(secret) : secret);
          expect(out).toBe(write(key, 'REDACTED'));
        },
      ),
    );
  });

  it('a bearer token or JWT after "Bearer", in any case', () => {
    fc.assert(
      fc.property(
        anyCase('Bearer'),
        fc.oneof(jwt, base64url(20, 200), base64),
        fc.constantFrom(
          (b: string, t: string) => `Authorization: ${b} ${t}\r\nAccept: */*`,
          (b: string, t: string) => `{"headers":{"Authorization":"${b} ${t}"}}`,
          (b: string, t: string) => `auth=${b}%20${t}&x=1`,
          (b: string, t: string) => `Error: 401 for token ${b}\t${t}: expired`,
        ),
        (bearer, token, write) => expectRedacted((value) => write(bearer, value), token),
      ),
    );
  });

  it('a bare JWT anywhere: log line, JSON, URL fragment, percent-encoded, error message', () => {
    fc.assert(
      fc.property(
        jwt,
        fc.constantFrom(
          (t: string) => `token=${t} expired at 10:00`,
          (t: string) => `{"id_token":"${t}","expires_in":3599}`,
          (t: string) => `https://app/#access_token=${t}&token_type=Bearer`,
          (t: string) => `next=%2Fcb%3Fid_token%3D${t}%26state%3D1`,
          (t: string) => `"token\\u003d${t}"`,
          (t: string) => `Error: invalid token ${t}.`,
        ),
        (token, write) => expectRedacted(write, token),
      ),
    );
  });

  it('a whole SAS, in a connection string or as a token', () => {
    fc.assert(
      fc.property(
        querySecret,
        fc.constantFrom(
          (s: string) =>
            `BlobEndpoint=https://stguard.blob.core.windows.net/;SharedAccessSignature=${s};QueueEndpoint=x`,
          (s: string) => `Authorization: SharedAccessSignature ${s}\r\nHost: ns.servicebus.windows.net`,
        ),
        fc.constantFrom(
          (sig: string) => `sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&spr=https&sig=${sig}`,
          (sig: string) => `sr=https%3a%2f%2fns.servicebus.windows.net%2f&sig=${sig}&se=1893456000&skn=Root`,
        ),
        (sig, write, token) => {
          const out = redact(write(token(sig)));
          expect(out).not.toContain(sig);
          expect(out).toBe(write('REDACTED'));
        },
      ),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(querySecret, jwt, (secret, token) => {
        const text = `?sig=${secret} Bearer ${token} ${token} AccountKey=${secret};`;
        expect(redact(redact(text))).toBe(redact(text));
      }),
    );
  });
});

describe('redact: the gaps of issue 11', () => {
  it.each([
    [
      'lowercase bearer',
      'authorization: bearer eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJo.sig-part',
      'authorization: bearer REDACTED',
    ],
    ['Bearer', 'Authorization: Bearer opaque-Token_123', 'Authorization: Bearer REDACTED'],
    [
      '%3Fsig%3D',
      'next=https%3A%2F%2Fx%2Finvoke%3Fsig%3DAbC%2B12%26sv%3D1',
      'next=https%3A%2F%2Fx%2Finvoke%3Fsig%3DREDACTED%26sv%3D1',
    ],
    [
      '%26sig%3D',
      'u=%2Finvoke%3Fsv%3D1%26sig%3Dabc123%26x%3D1',
      'u=%2Finvoke%3Fsv%3D1%26sig%3DREDACTED%26x%3D1',
    ],
    ['lowercase %3fsig%3d', 'u=%2finvoke%3fsig%3dabc123%26x%3d1', 'u=%2finvoke%3fsig%3dREDACTED%26x%3d1'],
    [
      'JSON \\u0026sig=',
      '{"url":"https://x/invoke?api-version=1\\u0026sig=abc123\\u0026sv=1"}',
      '{"url":"https://x/invoke?api-version=1\\u0026sig=REDACTED\\u0026sv=1"}',
    ],
    [
      'HTML &amp;sig=',
      '<a href="https://x/i?a=1&amp;sig=abc123&amp;b=2">',
      '<a href="https://x/i?a=1&amp;sig=REDACTED&amp;b=2">',
    ],
    [
      'bare JWT',
      'id_token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl received',
      'id_token REDACTED received',
    ],
    [
      'x-functions-key: value',
      'x-functions-key: Zm9vYmFyYmF6MTIz==\r\nhost: x',
      'x-functions-key: REDACTED\r\nhost: x',
    ],
    ['x-functions-key=value', 'X-Functions-Key=Zm9vYmFy&x=1', 'X-Functions-Key=REDACTED&x=1'],
    ['accountkey = value', 'accountkey = Zm9v+/bar== ;', 'accountkey = REDACTED ;'],
    ['ACCOUNTKEY=value', 'ACCOUNTKEY=Zm9v+/bar==', 'ACCOUNTKEY=REDACTED'],
    [
      'AccountKey in a connection string',
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFy==;EndpointSuffix=core.windows.net',
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=REDACTED;EndpointSuffix=core.windows.net',
    ],
    [
      '?code=',
      'POST /api/reconcile?code=abcdef0123&dryRun=true',
      'POST /api/reconcile?code=REDACTED&dryRun=true',
    ],
    [
      '%3Fcode%3D',
      'u=%2Fapi%2Freconcile%3Fcode%3Dabc%3D%3D%26dryRun%3Dtrue',
      'u=%2Fapi%2Freconcile%3Fcode%3DREDACTED%26dryRun%3Dtrue',
    ],
    ['%26code%3D', 'u=%2Fapi%3Fx%3D1%26code%3Dabc', 'u=%2Fapi%3Fx%3D1%26code%3DREDACTED'],
    ['JSON \\u0026code=', '"/api?x=1\\u0026code=abc\\u0026y=2"', '"/api?x=1\\u0026code=REDACTED\\u0026y=2"'],
    ['HTML &amp;code=', '/api?x=1&amp;code=abc&amp;y=2', '/api?x=1&amp;code=REDACTED&amp;y=2'],
    [
      'SharedAccessSignature in a connection string',
      'BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=abc%2Bdef%3D;TableEndpoint=x',
      'BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=REDACTED;TableEndpoint=x',
    ],
    [
      'SharedAccessSignature token',
      'Authorization: SharedAccessSignature sr=https%3a%2f%2fns.servicebus.windows.net%2f&sig=abc%3d&se=1&skn=Root',
      'Authorization: SharedAccessSignature REDACTED',
    ],
    [
      'sv=...&sig= SAS URL',
      'GET https://a.blob.core.windows.net/c/b.json?sv=2022-11-02&sr=b&sp=r&se=2030-01-01T00%3A00%3A00Z&sig=abcDEF%2B1%3D 403',
      'GET https://a.blob.core.windows.net/c/b.json?sv=2022-11-02&sr=b&sp=r&se=2030-01-01T00%3A00%3A00Z&sig=REDACTED 403',
    ],
    [
      'Teams Workflows webhook (Logic Apps)',
      'https://prod-1.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbC123_-xyz',
      'https://prod-1.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=REDACTED',
    ],
    [
      'Teams Workflows webhook (Power Platform)',
      'https://default0b1f.48.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/9e2a/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Zx_9-abc',
      'https://default0b1f.48.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/9e2a/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=REDACTED',
    ],
    [
      'SharedAccessKey',
      'Endpoint=sb://ns/;SharedAccessKeyName=Root;SharedAccessKey=abc+/==',
      'Endpoint=sb://ns/;SharedAccessKeyName=Root;SharedAccessKey=REDACTED',
    ],
  ])('%s', (_gap, input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});

describe('redact: spellings an attacker review found', () => {
  it.each([
    ['sig with spaces', 'sig = v1234', 'sig = REDACTED'],
    ['sig as a JSON property', '{"sig":"v1234"}', '{"sig":"REDACTED"}'],
    ['sig as a header', 'sig: v1234', 'sig: REDACTED'],
    ['sig quoted', 'sig="v1234"', 'sig="REDACTED"'],
    ['sig in brackets', 'sig=(v1234) sig=[v1234]', 'sig=(REDACTED) sig=[REDACTED]'],
    ['sig with an HTML entity', 'sig&#61;v1234', 'sig&#61;REDACTED'],
    [
      'a legacy Office 365 connector URL',
      'https://x.webhook.office.com/webhookb2/a@b/IncomingWebhook/0123abcd/c',
      'https://x.webhook.office.com/webhookb2/a@b/IncomingWebhook/REDACTED/c',
    ],
    ['an Event Grid SAS key header', 'aeg-sas-key: v1234', 'aeg-sas-key: REDACTED'],
  ])('%s', (_what, input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});

describe('redact: ordinary text is unchanged', () => {
  const ordinary = [
    '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-prod/providers/Microsoft.Network/networkSecurityGroups/web-nsg/securityRules/MicrosoftDefenderForCloud-JITRule_1234567890_ABCDEF0123456789',
    'removed: MicrosoftDefenderForCloud-JITRule-1-ABC from /subscriptions/x',
    'MicrosoftDefenderForCloud-JITRule_-1534283491_4E6C9C0A9EC04F2BB5B0A8D4A1F1A1C2',
    '8edd93e1-2103-40b4-bd70-6e34e586362d',
    'barbara@contoso.com asked for 22/TCP from 203.0.113.7/32; source was * (0.0.0.0/0, Internet, ::/0)',
    'SignatureDoesNotMatch: the signature, signatures=2, design=x, consign=y, assigned',
    'exit code=1, status code 403, codes=2, ?encode=x, "code":"AuthorizationFailed"',
    '{"error":{"code":"AuthorizationFailed","message":"The client \'barbara@contoso.com\' does not have authorization"}}',
    'token_type=Bearer, the bearer\n of news; AccountKey; x-functions-key missing; SharedAccessSignature authentication failed',
    'https://portal.azure.com/#@contoso.onmicrosoft.com/resource/subscriptions/x/overview?api-version=2024-05-01',
    'https://management.azure.com/subscriptions/x/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies?api-version=2020-01-01',
    'eyJ is how base64 JSON starts; a.b.c is not a token; 1.2.3.4',
  ];
  it.each(ordinary)('%s', (text) => {
    expect(redact(text)).toBe(text);
  });

  it('generated ordinary text', () => {
    const word = fc.oneof(
      fc.uuid(),
      fc.ipV4(),
      fc.ipV6(),
      fc.emailAddress(),
      fc.nat().map((n) => `MicrosoftDefenderForCloud-JITRule_${n}_${n.toString(16).toUpperCase()}`),
      fc.constantFrom('signature', 'Signature', 'design', 'code', 'removed', 'kept', '/subscriptions/x'),
      fc.string({ unit: fc.constantFrom(...`${ALNUM}-_/.:@`), maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 30 }), fc.constantFrom(' ', ', ', '\n', '; '), (words, sep) => {
        // A generated word could by chance be a key followed by a separator; the text has none.
        const text = words.join(sep);
        fc.pre(!/eyJ/.test(text));
        expect(redact(text)).toBe(text);
      }),
    );
  });
});

describe('redact: bounded on adversarial input', () => {
  it.each([
    ['prefixes without values', '?sig=&code=x-functions-key:accountkey=SharedAccessSignature bearer '],
    ['JWT-like runs', 'eyJa.eyJb.'],
    ['percent runs', '%3Fsig%3D%'],
    ['escape runs', '\\u0026sig\\u003d\\'],
    ['keys and spaces', 'x-functions-key    \t  '],
    ['header starts', 'eyJ'],
  ])('1 MB of %s', (_name, unit) => {
    const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
    expect(typeof redact(text)).toBe('string');
  });

  it('one huge value and one huge JWT segment', () => {
    expect(redact(`sig=${'a'.repeat(1_000_000)}`)).toBe('sig=REDACTED');
    expect(redact(`.eyJ${'a'.repeat(1_000_000)}.`)).toContain('eyJ');
  });
});

describe('redactValue', () => {
  it('copies plain data with every string redacted and keys kept; the input is not changed', () => {
    const input = {
      'x-functions-key: k1': 'kept key',
      detail: 'posted to https://x/invoke?sig=abc',
      list: ['Bearer tok', { nested: 'AccountKey=k2;', n: 1, ok: true, none: null, gone: undefined }],
    };
    const snapshot = structuredClone(input);
    const out = redactValue(input);
    expect(out).toEqual({
      'x-functions-key: k1': 'kept key',
      detail: 'posted to https://x/invoke?sig=REDACTED',
      list: [
        'Bearer REDACTED',
        { nested: 'AccountKey=REDACTED;', n: 1, ok: true, none: null, gone: undefined },
      ],
    });
    expect(input).toEqual(snapshot);
    expect(out).not.toBe(input);
  });

  it('redacts a string, keeps other values and class instances, and copes with cycles', () => {
    expect(redactValue('sig=abc')).toBe('sig=REDACTED');
    expect(redactValue(42)).toBe(42);
    const date = new Date(0);
    const cyclic: Record<string, unknown> = { text: 'code=x', date };
    cyclic.self = cyclic;
    const out = redactValue(cyclic);
    expect(out.text).toBe('code=x'); // not in a query: left alone
    expect(out.self).toBe(out);
    expect(out.date).toBe(date);
  });

  it('keeps a "__proto__" key as data', () => {
    const input = JSON.parse('{"__proto__":{"polluted":"sig=x"}}') as Record<string, unknown>;
    const out = redactValue(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 'sig=REDACTED' });
  });
});

describe('redactError', () => {
  class RetryableFailure extends Error {
    readonly statusCode = 503;
    readonly body = 'Bearer leaked-token';
    readonly request = { headers: { authorization: 'Bearer leaked-token' } };
    get retryable(): boolean {
      return true;
    }
  }

  it('redacts message and stack, keeps the name, retryable and primitive props, leaves objects behind', () => {
    const error = new RetryableFailure('POST https://x/invoke?sig=s3cret failed');
    error.name = 'RetryableFailure';
    const out = redactError(error);
    expect(out).toBeInstanceOf(Error);
    expect(out.message).toBe('POST https://x/invoke?sig=REDACTED failed');
    expect(out.name).toBe('RetryableFailure');
    expect(out.stack).toContain('POST https://x/invoke?sig=REDACTED failed');
    expect(out.stack).not.toContain('s3cret');
    expect(out).toMatchObject({ statusCode: 503, body: 'Bearer REDACTED', retryable: true });
    expect(out).not.toHaveProperty('request');
    expect(inspect(out, { depth: 10 })).not.toContain('leaked-token');
  });

  it('redacts the cause chain, bounded on a cycle', () => {
    const inner = new Error('AccountKey=k3y;');
    const outer = new Error('outer x-functions-key: fk', { cause: new Error('middle', { cause: inner }) });
    const out = redactError(outer);
    expect(out.message).toBe('outer x-functions-key: REDACTED');
    expect(((out.cause as Error).cause as Error).message).toBe('AccountKey=REDACTED;');
    expect(inspect(out, { depth: 10 })).not.toMatch(/k3y|fk\b/);

    const cyclic = new Error('sig=abc') as Error & { cause?: unknown };
    cyclic.cause = cyclic;
    let depth = 0;
    for (let e: unknown = redactError(cyclic); e instanceof Error; e = e.cause) depth++;
    expect(depth).toBeGreaterThan(1);
    expect(depth).toBeLessThan(10);
  });

  it('turns anything thrown into a redacted Error; a string or plain cause is redacted too', () => {
    expect(redactError('Bearer abc').message).toBe('Bearer REDACTED');
    expect(redactError({ message: 'sig=abc', name: 'RestError', statusCode: 500 })).toMatchObject({
      message: 'sig=REDACTED',
      name: 'RestError',
      statusCode: 500,
    });
    expect(redactError(new Error('x', { cause: 'code=?code=abc' })).cause).toBe('code=?code=REDACTED');
    expect(redactError(new Error('x', { cause: { body: 'sig=abc' } })).cause).toEqual({
      body: 'sig=REDACTED',
    });
    expect(redactError(Object.create(null)).message).toBe('a thrown value that cannot be shown');
  });
});
