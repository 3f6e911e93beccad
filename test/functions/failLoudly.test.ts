import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { failLoudly } from '../../src/functions/failLoudly.js';
import { InvalidEventError } from '../../src/lib/events/parseGuardEvent.js';

const SECRET = 'Zm9vYmFyc2VjcmV0MTIzNDU2Nzg5';

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  return { lines, log: { debug: keep, info: keep, warn: keep, error: keep } };
}

describe('errors handed to the Functions host', () => {
  it('are redacted along the cause chain, and keep their class and retryability', () => {
    const cause = new Error(`POST https://prod.logic.azure.com/workflows/x?sv=1.0&sig=${SECRET} failed`);
    const error = new InvalidEventError(`header x-functions-key: ${SECRET}`, { cause });
    const { log, lines } = capture();
    const thrown = (() => {
      try {
        failLoudly(error, log);
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBe(error);
    expect(thrown).toBeInstanceOf(InvalidEventError);
    expect((thrown as InvalidEventError).retryable).toBe(false);
    const everything = [
      (thrown as Error).message,
      (thrown as Error).stack,
      ((thrown as Error).cause as Error).message,
      ((thrown as Error).cause as Error).stack,
    ].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).toContain('sig=REDACTED');
    expect(lines).toHaveLength(1);
  });

  it('a thrown non-Error becomes a redacted Error', () => {
    const { log } = capture();
    expect(() => failLoudly(`Bearer ${SECRET}`, log)).toThrow(/^Bearer REDACTED$/);
  });
});

describe('errors handed to the Functions host, the odd ones', () => {
  it('a frozen error is handed over as a redacted copy, never with its secret', () => {
    const { log } = capture();
    const frozen = Object.freeze(new Error(`frozen sig=${SECRET}`));
    const thrown = (() => {
      try {
        failLoudly(frozen, log);
      } catch (e) {
        return e as Error;
      }
    })()!;
    expect(thrown.message).toBe('frozen sig=REDACTED');
  });

  it('plain-object causes and the errors of an AggregateError are redacted too', () => {
    const { log } = capture();
    const error = new AggregateError([new Error(`one sig=${SECRET}`)], 'several', {
      cause: { message: `Bearer ${SECRET}` },
    });
    try {
      failLoudly(error, log);
    } catch {
      // expected
    }
    expect(
      JSON.stringify([error.errors[0].message, (error.cause as { message: string }).message]),
    ).not.toContain(SECRET);
  });
});
