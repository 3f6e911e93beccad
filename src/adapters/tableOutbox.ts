import { createHash } from 'node:crypto';
import type { TableEntityResult } from '@azure/data-tables';
import { retryDelayMs, type AlertOutbox, type OutboxEntry } from '../core/alertOutbox.js';
import type { Logger } from '../core/logger.js';
import type { TeamsMessage } from '../lib/alerts/adaptiveCard.js';
import { storageStatus, type LazyTable } from './tableStorage.js';

const PARTITION = 'alert';
/** A claim older than this is a sender that died; the resend timer takes the alert over. */
const STALE_CLAIM_MS = 5 * 60_000;

interface OutboxRow {
  partitionKey: string;
  rowKey: string;
  key: string;
  eventId: string;
  message: string;
  state: 'unsent' | 'claimed' | 'sent';
  attempts: number;
  nextAttemptAt: string;
  claimedAt: string;
  createdAt: string;
  sentAt: string;
}

const rowKeyOf = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * The alert outbox on Azure Table Storage: an alert is a row written before it is sent (a second
 * write of the same key is refused by the table itself), claimed with an ETag check so two
 * instances never send it both, and marked sent after. When the table cannot be reached, alerts wait
 * in memory and are written as soon as it answers again: storage trouble never holds an alert back.
 */
export function createTableOutbox(
  table: LazyTable,
  log: () => Logger,
  clock: () => Date = () => new Date(),
): AlertOutbox {
  const spilled = new Map<string, OutboxEntry & { state: 'unsent' | 'claimed' | 'sent' }>();

  const flushSpill = async () => {
    for (const [key, entry] of spilled) {
      if (entry.state !== 'unsent') continue;
      await write(entry);
      spilled.delete(key);
    }
  };

  const write = async (entry: OutboxEntry) => {
    const client = await table.client();
    const now = clock().toISOString();
    const row: OutboxRow = {
      partitionKey: PARTITION,
      rowKey: rowKeyOf(entry.key),
      key: entry.key,
      eventId: entry.eventId,
      message: JSON.stringify(entry.message),
      state: 'unsent',
      attempts: 0,
      nextAttemptAt: now,
      claimedAt: '',
      createdAt: now,
      sentAt: '',
    };
    try {
      await client.createEntity(row);
    } catch (error) {
      if (storageStatus(error) !== 409) throw error; // 409: this alert is already in the outbox
    }
  };

  const claim = async (filter: (row: TableEntityResult<OutboxRow>) => boolean): Promise<OutboxEntry[]> => {
    const client = await table.client();
    const claimed: OutboxEntry[] = [];
    for await (const row of client.listEntities<OutboxRow>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}' and state ne 'sent'` },
    })) {
      if (!filter(row)) continue;
      try {
        await client.updateEntity(
          { partitionKey: PARTITION, rowKey: row.rowKey, state: 'claimed', claimedAt: clock().toISOString() },
          'Merge',
          { etag: row.etag },
        );
        claimed.push({
          key: row.key,
          eventId: row.eventId,
          message: JSON.parse(row.message) as TeamsMessage,
        });
      } catch (error) {
        if (storageStatus(error) !== 412) throw error; // 412: another sender claimed it first
      }
    }
    return claimed;
  };

  const update = async (key: string, change: Partial<OutboxRow>) => {
    const client = await table.client();
    await client.updateEntity({ partitionKey: PARTITION, rowKey: rowKeyOf(key), ...change }, 'Merge');
  };

  /** Runs a table step; while the table is unreachable, the in-memory spill carries on. */
  const orSpill = async <T>(what: string, step: () => Promise<T>, fallback: () => T): Promise<T> => {
    try {
      await flushSpill();
      return await step();
    } catch (error) {
      table.invalidate();
      log().error(
        `alert outbox: ${what} failed on Table Storage (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); holding alerts in memory until it answers`,
      );
      return fallback();
    }
  };

  return {
    async enqueue(entry) {
      await orSpill(
        'write',
        () => write(entry),
        () => {
          if (!spilled.has(entry.key)) spilled.set(entry.key, { ...entry, state: 'unsent' });
        },
      );
    },
    async claimUnsent(eventId) {
      const fromTable = await orSpill(
        'claim',
        () => claim((row) => row.eventId === eventId && row.state === 'unsent'),
        () => [],
      );
      const fromSpill = [...spilled.values()].filter((e) => e.eventId === eventId && e.state === 'unsent');
      for (const entry of fromSpill) entry.state = 'claimed';
      return [...fromTable, ...fromSpill];
    },
    async claimDue(now) {
      const stale = now.getTime() - STALE_CLAIM_MS;
      const fromTable = await orSpill(
        'claim',
        () =>
          claim(
            (row) =>
              (row.state === 'unsent' && Date.parse(row.nextAttemptAt) <= now.getTime()) ||
              (row.state === 'claimed' && Date.parse(row.claimedAt) <= stale),
          ),
        () => [],
      );
      const fromSpill = [...spilled.values()].filter((e) => e.state === 'unsent');
      for (const entry of fromSpill) entry.state = 'claimed';
      return [...fromTable, ...fromSpill];
    },
    async markSent(key) {
      const spill = spilled.get(key);
      if (spill) {
        spill.state = 'sent';
        // Write it through as sent, so the table knows once it answers again.
        return orSpill(
          'mark sent',
          async () => {
            await write(spill);
            await update(key, { state: 'sent', sentAt: clock().toISOString() });
            spilled.delete(key);
          },
          () => undefined,
        );
      }
      await update(key, { state: 'sent', sentAt: clock().toISOString() });
    },
    async release(key) {
      const spill = spilled.get(key);
      if (spill) {
        spill.state = 'unsent';
        return;
      }
      const client = await table.client();
      const row = await client.getEntity<OutboxRow>(PARTITION, rowKeyOf(key));
      const attempts = Number(row.attempts ?? 0) + 1;
      await update(key, {
        state: 'unsent',
        attempts,
        nextAttemptAt: new Date(clock().getTime() + retryDelayMs(attempts)).toISOString(),
      });
    },
  };
}
