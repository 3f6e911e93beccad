import type { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableRoleAnchor } from '../../src/adapters/tableRoleAnchor.js';
import type { LazyTable } from '../../src/adapters/tableStorage.js';

const SCOPE = '/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23';
const quiet = () => ({ debug() {}, info() {}, warn() {}, error() {} });

function unreachableTable(): LazyTable & { writes: number } {
  const down = () => Object.assign(new Error('service unavailable'), { statusCode: 503 });
  const table = {
    writes: 0,
    client: async () =>
      ({
        async getEntity() {
          throw down();
        },
        async upsertEntity() {
          table.writes += 1;
          throw down();
        },
      }) as unknown as TableClient,
    invalidate() {},
  };
  return table;
}

describe('role anchor when Table Storage is down', () => {
  it('a read that fails is never taken for "no anchor": it throws, so no second role is created', async () => {
    const anchor = createTableRoleAnchor(unreachableTable(), quiet);
    await expect(anchor.recall(SCOPE, 'JIT Access Requester')).rejects.toThrow(
      /role anchor: read failed on Table Storage \(service unavailable\)/,
    );
  });

  it('what this instance remembered still answers, and a failed write is tried again next time', async () => {
    const table = unreachableTable();
    const anchor = createTableRoleAnchor(table, quiet);
    await anchor.remember(SCOPE, 'JIT Access Requester', 'ABC');
    await anchor.remember(SCOPE, 'JIT Access Requester', 'abc');
    expect(table.writes).toBe(2);
    await expect(anchor.recall(SCOPE, 'JIT Access Requester')).resolves.toBe('abc');
  });
});
