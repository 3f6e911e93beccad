import { odata } from '@azure/data-tables';
import type { Logger } from '../core/logger.js';
import {
  createMemoryRemovalIntents,
  type RemovalIntent,
  type RemovalIntents,
} from '../core/removalIntents.js';
import type { SecurityRuleDocument } from '../lib/nsg/nsgDocument.js';
import { firstLine, storageStatus, type LazyTable } from './tableStorage.js';

const PARTITION = 'intent';

interface IntentRow {
  partitionKey: string;
  rowKey: string;
  nsgId: string;
  rule: string;
  eventId: string;
  recordedAt: string;
  state: 'open' | 'settled';
}

/**
 * Removal intents as rows of the outbox's table (partition `intent`), written before the DELETE.
 * While the table cannot be reached they are kept in memory, and the removal goes ahead: storage
 * trouble never holds a removal back.
 */
export function createTableRemovalIntents(table: LazyTable, log: () => Logger): RemovalIntents {
  const fallback = createMemoryRemovalIntents();

  const trouble = (what: string, error: unknown) => {
    table.invalidate();
    log().error(
      `removal intents: ${what} failed on Table Storage (${firstLine(error)}); kept in memory on this instance`,
    );
  };

  const readOpen = async (condition: string | undefined, memory: Promise<RemovalIntent[]>) => {
    const fromMemory = await memory;
    try {
      const client = await table.client();
      const rows: RemovalIntent[] = [];
      const filter = [`PartitionKey eq '${PARTITION}'`, "state eq 'open'", ...(condition ? [condition] : [])];
      for await (const row of client.listEntities<IntentRow>({
        queryOptions: { filter: filter.join(' and ') },
      })) {
        rows.push({
          key: row.rowKey,
          nsgId: row.nsgId,
          rule: JSON.parse(row.rule) as SecurityRuleDocument,
          eventId: row.eventId,
          recordedAt: row.recordedAt,
        });
      }
      const known = new Set(rows.map((r) => r.key));
      return [...rows, ...fromMemory.filter((i) => !known.has(i.key))];
    } catch (error) {
      trouble('read', error);
      return fromMemory;
    }
  };

  return {
    async record(intents) {
      try {
        const client = await table.client();
        for (const intent of intents) {
          const row: IntentRow = {
            partitionKey: PARTITION,
            rowKey: intent.key,
            nsgId: intent.nsgId,
            rule: JSON.stringify(intent.rule),
            eventId: intent.eventId,
            recordedAt: intent.recordedAt,
            state: 'open',
          };
          try {
            await client.createEntity(row);
          } catch (error) {
            if (storageStatus(error) !== 409) throw error;
            // Recorded by an earlier look, maybe settled since (its alert said "failed"): open again.
            await client.updateEntity(
              { partitionKey: PARTITION, rowKey: intent.key, state: 'open' },
              'Merge',
            );
          }
        }
      } catch (error) {
        trouble('record', error);
        await fallback.record(intents);
      }
    },
    openFor: (nsgId) => readOpen(odata`nsgId eq ${nsgId.toLowerCase()}`, fallback.openFor(nsgId)),
    openAll: () => readOpen(undefined, fallback.openAll()),
    async settle(keys) {
      await fallback.settle(keys);
      try {
        const client = await table.client();
        for (const key of keys) {
          try {
            await client.updateEntity({ partitionKey: PARTITION, rowKey: key, state: 'settled' }, 'Merge');
          } catch (error) {
            if (storageStatus(error) !== 404) throw error; // never reached the table
          }
        }
      } catch (error) {
        // An intent left open is found again and its alert deduplicated by the outbox: no harm.
        trouble('settle', error);
      }
    },
  };
}
