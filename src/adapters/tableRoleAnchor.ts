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
 * The role anchor as a row of the outbox's table (partition `role-anchor`). While the table cannot
 * be reached it is kept in memory on this instance; a failed read is never taken for "no anchor"
 * silently (logged), and the reconcile still finds the role by name.
 */
export function createTableRoleAnchor(table: LazyTable, log: () => Logger): RoleAnchor {
  const fallback = createMemoryRoleAnchor();
  const rowKey = (scope: string, roleName: string) =>
    createHash('sha256').update(anchorKey(scope, roleName)).digest('hex');
  return {
    async recall(scope, roleName) {
      try {
        const client = await table.client();
        const row = await client.getEntity<AnchorRow>(PARTITION, rowKey(scope, roleName));
        return row.guid;
      } catch (error) {
        if (storageStatus(error) === 404) return fallback.recall(scope, roleName);
        table.invalidate();
        log().error(`role anchor: read failed on Table Storage (${firstLine(error)}); using this instance's`);
        return fallback.recall(scope, roleName);
      }
    },
    async remember(scope, roleName, guid) {
      await fallback.remember(scope, roleName, guid);
      try {
        const client = await table.client();
        await client.upsertEntity<AnchorRow>(
          { partitionKey: PARTITION, rowKey: rowKey(scope, roleName), guid: guid.toLowerCase() },
          'Replace',
        );
      } catch (error) {
        table.invalidate();
        log().error(`role anchor: write failed on Table Storage (${firstLine(error)}); kept in memory`);
      }
    },
  };
}
