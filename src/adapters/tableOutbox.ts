import { createHash } from 'node:crypto';
import type { TableEntityResult } from '@azure/data-tables';
import { retryDelayMs, type AlertOutbox, type ClaimedEntry, type OutboxEntry } from '../core/alertOutbox.js';
import type { Logger } from '../core/logger.js';
import { redactValue } from '../core/redact.js';
import type { TeamsMessage } from '../lib/alerts/adaptiveCard.js';
import { firstLine, isPermanentStorageError, storageStatus, type LazyTable } from './tableStorage.js';

const PARTITION = 'alert';
/** Table Storage holds 32 K characters in a string property: a message is kept in chunks below that. */
const CHUNK = 30_000;
/** Chunks a row may carry: a row holds 1 MiB in all, and a character takes two bytes. */
const MAX_CHUNKS = 16;
/** The default lease; the runtime passes one longer than the longest send Teams settings allow. */
export const DEFAULT_LEASE_MS = 10 * 60_000;

interface OutboxRow {
  partitionKey: string;
  rowKey: string;
  /** The alert's key, cut short: for people reading the table (the row key is its hash). */
  key: string;
  eventId: string;
  state: 'unsent' | 'claimed' | 'sent';
  attempts: number;
  nextAttemptAt: string;
  createdAt: string;
  sentAt: string;
  /** The Teams message as JSON, in `message`, `message1`, `message2` … */
  [chunk: `message${string}`]: string;
}

const rowKeyOf = (key: string) => createHash('sha256').update(key).digest('hex');

/** The message as JSON in `message`, `message1` … and their count, each cut between whole characters. */
function messageChunks(message: TeamsMessage): Record<string, string | number> {
  const json = JSON.stringify(redactValue(message));
  const parts: string[] = [];
  for (let start = 0; start < json.length || parts.length === 0;) {
    let end = Math.min(start + CHUNK, json.length);
    // Never split a surrogate pair.
    if (end < json.length && /[\uD800-\uDBFF]/.test(json[end - 1] ?? '')) end -= 1;
    parts.push(json.slice(start, end));
    start = end;
  }
  const chunks: Record<string, string | number> = { messageChunks: parts.length };
  parts.forEach((part, i) => (chunks[i === 0 ? 'message' : `message${i}`] = part));
  return chunks;
}

function messageOf(row: Record<string, unknown>): TeamsMessage {
  const count = Number(row.messageChunks ?? 1);
  let json = '';
  for (let i = 0; i < count; i++) json += String(row[i === 0 ? 'message' : `message${i}`] ?? '');
  return JSON.parse(json) as TeamsMessage;
}

/** A claim names the row and the ETag the claiming write left; any later write by another sender changes it. */
const claimOf = (rowKey: string, etag: string) => `${rowKey} ${etag}`;
const parseClaim = (claim: string) => {
  const at = claim.indexOf(' ');
  return { rowKey: claim.slice(0, at), etag: claim.slice(at + 1) };
};

/**
 * The alert outbox on Azure Table Storage: an alert is a row written before it is sent (a second
 * write of the same key is refused by the table itself), claimed with an ETag check so two
 * instances never send it both, and marked sent or given back only under that same claim. A claim
 * is taken over when this instance has seen it unchanged for longer than the lease — measured on
 * this instance's own clock, so clock skew between instances cannot shorten it. When the table
 * cannot be reached, alerts wait in memory and are written as soon as it answers again; one the
 * table refuses for good stays in memory (and is logged) without holding the others back.
 */
export function createTableOutbox(
  table: LazyTable,
  log: () => Logger,
  options: { clock?: () => Date; leaseMs?: number } = {},
): AlertOutbox {
  const clock = options.clock ?? (() => new Date());
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  type Spilled = OutboxEntry & { state: 'unsent' | 'claimed' | 'sent'; claim: string; memoryOnly: boolean };
  const spilled = new Map<string, Spilled>();
  /** Claims of other senders this instance has seen, by row: the ETag and since when (this clock). */
  const observed = new Map<string, { etag: string; since: number }>();
  let spillClaims = 0;
  const refused = (entry: OutboxEntry, error: unknown) =>
    log().error(
      `alert outbox: Table Storage refuses alert ${entry.key.slice(0, 200)} of ${entry.eventId} (${firstLine(error)}); it is held in memory on this instance only`,
    );

  const flushSpill = async () => {
    for (const [key, entry] of spilled) {
      if (entry.state !== 'unsent' || entry.memoryOnly) continue;
      try {
        await write(entry);
      } catch (error) {
        if (!isPermanentStorageError(error)) throw error;
        entry.memoryOnly = true;
        refused(entry, error);
        continue;
      }
      spilled.delete(key);
    }
  };

  const write = async (entry: OutboxEntry) => {
    const client = await table.client();
    const now = clock().toISOString();
    const chunks = messageChunks(entry.message);
    if (Number(chunks.messageChunks) > MAX_CHUNKS) {
      throw Object.assign(new Error(`message of ${JSON.stringify(entry.message).length} characters`), {
        statusCode: 413,
      });
    }
    const row = {
      partitionKey: PARTITION,
      rowKey: rowKeyOf(entry.key),
      key: entry.key.slice(0, 512),
      eventId: entry.eventId.slice(0, 1024),
      state: 'unsent',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      sentAt: '',
      ...chunks,
    } satisfies Omit<OutboxRow, `message${string}`> & Record<string, unknown>;
    try {
      await client.createEntity(row);
    } catch (error) {
      if (storageStatus(error) !== 409) throw error; // 409: this alert is already in the outbox
    }
  };

  const claim = async (filter: (row: TableEntityResult<OutboxRow>) => boolean): Promise<ClaimedEntry[]> => {
    const client = await table.client();
    const claimed: ClaimedEntry[] = [];
    for await (const row of client.listEntities<OutboxRow>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}' and state ne 'sent'` },
    })) {
      if (!filter(row)) continue;
      try {
        const written = await client.updateEntity(
          { partitionKey: PARTITION, rowKey: row.rowKey, state: 'claimed' },
          'Merge',
          { etag: row.etag },
        );
        observed.delete(row.rowKey);
        if (!written.etag) throw new Error('Table Storage answered a claim without an ETag');
        claimed.push({
          key: row.rowKey,
          eventId: row.eventId,
          message: messageOf(row as unknown as Record<string, unknown>),
          claim: claimOf(row.rowKey, written.etag),
        });
      } catch (error) {
        if (storageStatus(error) !== 412) throw error; // 412: another sender claimed it first
      }
    }
    return claimed;
  };

  /** True once this instance has seen the same claim for longer than the lease. */
  const claimExpired = (row: TableEntityResult<OutboxRow>, now: number) => {
    const seen = observed.get(row.rowKey);
    if (seen === undefined || seen.etag !== row.etag) {
      observed.set(row.rowKey, { etag: row.etag, since: now });
      return false;
    }
    return now - seen.since >= leaseMs;
  };

  /** Changes a claimed row only if the claim still holds; false when another sender took it over. */
  const underClaim = async (entry: ClaimedEntry, change: Partial<OutboxRow>): Promise<boolean> => {
    const { rowKey, etag } = parseClaim(entry.claim);
    const client = await table.client();
    try {
      await client.updateEntity({ partitionKey: PARTITION, rowKey, ...change }, 'Merge', { etag });
      return true;
    } catch (error) {
      if (storageStatus(error) !== 412) throw error;
      log().warn(
        `alert outbox: alert ${entry.key} of ${entry.eventId} was taken over by another sender; left to it`,
      );
      return false;
    }
  };

  /** Runs a table step; while the table is unreachable, the in-memory spill carries on. */
  const orSpill = async <T>(what: string, step: () => Promise<T>, fallback: () => T): Promise<T> => {
    try {
      await flushSpill();
      return await step();
    } catch (error) {
      table.invalidate();
      log().error(
        `alert outbox: ${what} failed on Table Storage (${firstLine(error)}); holding alerts in memory until it answers`,
      );
      return fallback();
    }
  };

  const claimSpilled = (filter: (entry: Spilled) => boolean): ClaimedEntry[] =>
    [...spilled.values()]
      .filter((e) => e.state === 'unsent' && filter(e))
      .map((entry) => {
        entry.state = 'claimed';
        entry.claim = `spill:${++spillClaims}`;
        return { key: entry.key, eventId: entry.eventId, message: entry.message, claim: entry.claim };
      });

  return {
    async enqueue(entry) {
      const hold = (memoryOnly: boolean) => {
        if (!spilled.has(entry.key))
          spilled.set(entry.key, { ...entry, state: 'unsent', claim: '', memoryOnly });
      };
      return orSpill(
        'write',
        async (): Promise<'durable' | 'memory'> => {
          try {
            await write(entry);
            return 'durable';
          } catch (error) {
            if (!isPermanentStorageError(error)) throw error;
            refused(entry, error);
            hold(true);
            return 'memory';
          }
        },
        () => {
          hold(false);
          return 'memory';
        },
      );
    },
    async claimUnsent(eventId) {
      const fromTable = await orSpill(
        'claim',
        () => claim((row) => row.eventId === eventId && row.state === 'unsent'),
        () => [],
      );
      return [...fromTable, ...claimSpilled((e) => e.eventId === eventId)];
    },
    async claimDue(now) {
      const at = now.getTime();
      const fromTable = await orSpill(
        'claim',
        () =>
          claim(
            (row) =>
              (row.state === 'unsent' && Date.parse(row.nextAttemptAt) <= at) ||
              (row.state === 'claimed' && claimExpired(row, at)),
          ),
        () => [],
      );
      return [...fromTable, ...claimSpilled(() => true)];
    },
    async markSent(entry) {
      const spill = spilled.get(entry.key);
      if (spill) {
        if (spill.claim !== entry.claim) return;
        spill.state = 'sent';
        if (spill.memoryOnly) return void spilled.delete(entry.key);
        // Write it through as sent, so the table knows once it answers again.
        return orSpill(
          'mark sent',
          async () => {
            await write(spill);
            const client = await table.client();
            await client.updateEntity(
              {
                partitionKey: PARTITION,
                rowKey: rowKeyOf(spill.key),
                state: 'sent',
                sentAt: clock().toISOString(),
              },
              'Merge',
            );
            spilled.delete(entry.key);
          },
          () => undefined,
        );
      }
      await underClaim(entry, { state: 'sent', sentAt: clock().toISOString() });
    },
    async release(entry) {
      const spill = spilled.get(entry.key);
      if (spill) {
        if (spill.claim === entry.claim) spill.state = 'unsent';
        return;
      }
      const client = await table.client();
      const row = await client.getEntity<OutboxRow>(PARTITION, parseClaim(entry.claim).rowKey);
      const attempts = Number(row.attempts ?? 0) + 1;
      await underClaim(entry, {
        state: 'unsent',
        attempts,
        nextAttemptAt: new Date(clock().getTime() + retryDelayMs(attempts)).toISOString(),
      });
    },
  };
}
