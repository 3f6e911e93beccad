import { randomBytes } from 'node:crypto';
import type { AuditRecord, AuditTrail } from '../core/auditTrail.js';
import type { Logger } from '../core/logger.js';
import { redactValue } from '../core/redact.js';
import { firstLine, isPermanentStorageError, type LazyTable } from './tableStorage.js';

const MAX_TIME = 9_999_999_999_999;

/**
 * Audit records on Azure Table Storage, one row per decision. The row key counts down from the end
 * of time, so a plain listing returns the newest first. Records that cannot be written now are kept
 * in memory and written with the next ones.
 */
export function createTableAuditTrail(table: LazyTable, log: () => Logger): AuditTrail {
  let pending: AuditRecord[] = [];
  return {
    async record(records) {
      pending.push(...records.map(redactValue));
      const batch = pending;
      pending = [];
      try {
        const client = await table.client();
        for (const [index, record] of batch.entries()) {
          try {
            await client.createEntity({
              partitionKey: 'decision',
              rowKey: rowKey(record, index),
              ...flatten(record),
            });
          } catch (error) {
            if (isPermanentStorageError(error)) {
              // Refused for good: retrying would block every later record behind it.
              log().error(
                `audit trail: Table Storage refuses a record (${firstLine(error)}); it is logged here instead: ${JSON.stringify(record)}`,
              );
              continue;
            }
            pending.push(...batch.slice(index));
            throw error;
          }
        }
      } catch (error) {
        table.invalidate();
        if (pending.length === 0) pending.push(...batch);
        log().error(
          `audit trail: ${pending.length} record(s) not written to Table Storage yet (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); kept for the next write: ${JSON.stringify(pending.slice(0, 5))}`,
        );
      }
    },
    async recent(limit) {
      const client = await table.client();
      const records: AuditRecord[] = [];
      for await (const row of client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: "PartitionKey eq 'decision'" },
      })) {
        records.push(unflatten(row));
        if (records.length >= limit) break;
      }
      return records;
    },
  };
}

function rowKey(record: AuditRecord, index: number): string {
  const inverted = String(MAX_TIME - Date.parse(record.at)).padStart(13, '0');
  return `${inverted}-${String(index).padStart(4, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Table Storage holds 32 K characters in a string property; longer text is cut with a mark. */
const MAX_TEXT = 30_000;

function flatten(record: AuditRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || value === null) continue;
    const text = String(value);
    out[key] = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} characters)` : text;
  }
  return out;
}

function unflatten(row: Record<string, unknown>): AuditRecord {
  const text = (key: string) => (typeof row[key] === 'string' ? (row[key] as string) : undefined);
  return {
    at: text('at') ?? '',
    kind: text('kind') === 'role' ? 'role' : 'nsg',
    eventId: text('eventId') ?? '',
    correlationId: text('correlationId'),
    resource: text('resource') ?? '',
    rule: text('rule'),
    verdict: text('verdict') ?? '',
    action: text('action') ?? '',
    outcome: (text('outcome') as AuditRecord['outcome'] | undefined) ?? 'done',
    detail: text('detail'),
    who: text('who'),
    requester: text('requester'),
    ...(text('writtenAt') === undefined ? {} : { writtenAt: text('writtenAt') }),
    ...(text('deleteAcceptedAt') === undefined ? {} : { deleteAcceptedAt: text('deleteAcceptedAt') }),
    ...(text('removedAt') === undefined ? {} : { removedAt: text('removedAt') }),
  };
}
