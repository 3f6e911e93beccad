import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTeamsSender, parseRetryAfter, TeamsDeliveryError } from '../../src/adapters/teamsWebhook.js';
import type { TeamsMessage } from '../../src/lib/alerts/adaptiveCard.js';
import { TeamsSink } from '../../sandbox/teamsSink.js';
import { teamsMessage } from '../support/teamsMessage.js';

const message: TeamsMessage = {
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: {
        type: 'AdaptiveCard',
        $schema: 'x',
        version: '1.5',
        fallbackText: 'x',
        body: [],
        actions: [],
        msteams: { width: 'Full' },
      },
    },
  ],
};

describe('Teams webhook sender', () => {
  const sink = new TeamsSink();
  const waits: number[] = [];
  const sender = (overrides: Partial<Parameters<typeof createTeamsSender>[0]> = {}) =>
    createTeamsSender({
      url: sink.url,
      maxAttempts: 4,
      timeoutMs: 300,
      baseDelayMs: 10,
      sleep: async (ms) => void waits.push(ms),
      ...overrides,
    });

  beforeAll(async () => {
    await sink.start();
  });
  afterAll(async () => {
    await sink.stop();
  });
  beforeEach(() => {
    sink.cards.length = 0;
    sink.attempts = 0;
    waits.length = 0;
  });

  it('posts the card once when Workflows answers 202', async () => {
    await sender().send(message);
    expect(sink.cards.map((c) => c.body)).toEqual([message]);
    expect(sink.attempts).toBe(1);
  });

  it('retries 429 honouring Retry-After, and 5xx with exponential backoff', async () => {
    sink.answerNext({ status: 429, retryAfter: '3' }, { status: 500 }, { status: 503 });
    await sender().send(message);
    expect(sink.attempts).toBe(4);
    expect(sink.cards).toHaveLength(1);
    expect(waits).toEqual([3000, 20, 40]);
  });

  it('retries a webhook that never answers, bounded by the timeout', async () => {
    sink.answerNext({ hang: true });
    await sender().send(message);
    expect(sink.attempts).toBe(2);
    expect(sink.cards).toHaveLength(1);
  });

  it('fails after the last attempt, without the URL or its signature in the error', async () => {
    sink.answerNext({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const error = await sender()
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TeamsDeliveryError);
    expect((error as TeamsDeliveryError).attempts).toBe(4);
    expect(String((error as Error).message)).not.toContain('sig=');
    expect(String((error as Error).message)).not.toContain(sink.url);
    expect(sink.cards).toHaveLength(0);
  });

  it('does not retry a refusal such as 400', async () => {
    sink.answerNext({ status: 400 });
    await expect(sender().send(message)).rejects.toThrow(/refused the alert: HTTP 400/);
    expect(sink.attempts).toBe(1);
  });

  it('gives up at once when Teams asks to wait longer than allowed', async () => {
    sink.answerNext({ status: 429, retryAfter: '3600' });
    await expect(sender({ maxRetryAfterMs: 60_000 }).send(message)).rejects.toThrow(
      /asked to wait 3600000 ms/,
    );
  });

  it('refuses a body over 28 KB before sending', async () => {
    const big = {
      ...message,
      attachments: [
        {
          ...message.attachments[0]!,
          content: {
            ...message.attachments[0]!.content,
            body: [
              {
                type: 'RichTextBlock' as const,
                inlines: [{ type: 'TextRun' as const, text: 'x'.repeat(30_000) }],
              },
            ],
          },
        },
      ],
    };
    await expect(sender().send(big)).rejects.toThrow(/over the Teams limit/);
    expect(sink.attempts).toBe(0);
  });

  it('reports a connection refused as a network error', async () => {
    const closed = new TeamsSink();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    await expect(
      createTeamsSender({ url, maxAttempts: 2, timeoutMs: 300, baseDelayMs: 1 }).send(message),
    ).rejects.toThrow(/network error ECONNREFUSED/);
  });
});

describe('Teams webhook sender: nothing secret leaves', () => {
  const SIG = 'Qm9vWmFyQmF6MTIzNDU2Nzg5MA';
  const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ';
  const KEY = 'a2V5LWZvci10aGUtZnVuY3Rpb24';

  it('a secret quoted in card text is redacted in what is posted; the message passed in is unchanged', async () => {
    const sink = new TeamsSink();
    await sink.start();
    try {
      const message = teamsMessage(
        `delete failed: POST https://x/invoke?sv=1.0&sig=${SIG} (Authorization: Bearer ${TOKEN}); x-functions-key: ${KEY}`,
      );
      const before = JSON.stringify(message);
      await createTeamsSender({ url: sink.url, maxAttempts: 1, timeoutMs: 1000 }).send(message);
      const posted = JSON.stringify(sink.cards[0]?.body);
      for (const secret of [SIG, TOKEN, KEY]) expect(posted).not.toContain(secret);
      expect(posted).toContain(
        'delete failed: POST https://x/invoke?sv=1.0&sig=REDACTED (Authorization: Bearer REDACTED); x-functions-key: REDACTED',
      );
      expect(JSON.stringify(message)).toBe(before);
    } finally {
      await sink.stop();
    }
  });

  it('an HTTP error body that quotes a secret does not come out in the error', async () => {
    const body = JSON.stringify({
      error: { code: 'InvalidRequest', message: `flow https://x/invoke?sig=${SIG} rejected Bearer ${TOKEN}` },
    });
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/invoke?sv=1.0&sig=${SIG}`;
      const error = await createTeamsSender({ url, maxAttempts: 2, timeoutMs: 1000 })
        .send(teamsMessage('alert'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TeamsDeliveryError);
      expect((error as Error).message).toBe('Teams webhook refused the alert: HTTP 400');
      const shown = `${inspect(error, { depth: 10 })} ${JSON.stringify(error)} ${(error as Error).stack}`;
      for (const secret of [SIG, TOKEN]) expect(shown).not.toContain(secret);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a delivery error built from any text is redacted', () => {
    const error = new TeamsDeliveryError(
      `response error: socket hang up on /invoke?sig=${SIG}&x=1 with Bearer ${TOKEN}`,
      1,
      undefined,
    );
    expect(error.message).toBe(
      'response error: socket hang up on /invoke?sig=REDACTED&x=1 with Bearer REDACTED',
    );
    expect(error.stack).not.toContain(SIG);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('12')).toBe(12_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
