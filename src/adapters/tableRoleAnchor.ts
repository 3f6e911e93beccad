import { createHash } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import { anchorKey, createMemoryRoleAnchor, type RoleAnchor } from '../core/roleAnchor.js';
import { firstLine, storageStatus, type LazyTable } from './tableStorage.js';

const PARTITION = 'role-anchor';

interface AnchorRow {
  partitionKey: string;
  rowKey: string;
  guid: string;
}

/**
 * The role anchor as a row of the outbox's table (partition `role-anchor`). A write that fails is
 * kept in memory on this instance and logged. A read that fails is never taken for "no anchor": it
 * throws (unless this instance knows the anchor), so a reconcile about to create the role fails
 * loudly and is retried rather than creating a second role beside a renamed one.
 */
export function createTableRoleAnchor(table: LazyTable, log: () => Logger): RoleAnchor {
  const fallback = createMemoryRoleAnchor();
  /** What this instance has written to the table, so an unchanged anchor is not written again. */
  const stored = new Map<string, string>();
  const rowKey = (scope: string, roleName: string) =>
    createHash('sha256').update(anchorKey(scope, roleName)).digest('hex');
  return {
    async recall(scope, roleName) {
      try {
        const client = await table.client();
        const row = await client.getEntity<AnchorRow>(PARTITION, rowKey(scope, roleName));
        return row.guid;
      } catch (error) {
        const known = await fallback.recall(scope, roleName);
        if (storageStatus(error) === 404 || known !== undefined) return known;
        table.invalidate();
        throw new Error(`role anchor: read failed on Table Storage (${firstLine(error)})`, { cause: error });
      }
    },
    async remember(scope, roleName, guid) {
      const key = rowKey(scope, roleName);
      await fallback.remember(scope, roleName, guid);
      // Written once per instance: the reconcile remembers the role it finds on every run.
      if (stored.get(key) === guid.toLowerCase()) return;
      try {
        const client = await table.client();
        await client.upsertEntity<AnchorRow>(
          { partitionKey: PARTITION, rowKey: key, guid: guid.toLowerCase() },
          'Replace',
        );
        stored.set(key, guid.toLowerCase());
      } catch (error) {
        table.invalidate();
        log().error(
          `role anchor: write failed on Table Storage (${firstLine(error)}); kept in memory, tried again next run`,
        );
      }
    },
  };
}
