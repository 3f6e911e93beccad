import type { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableAuditTrail } from '../../src/adapters/tableAuditTrail.js';
import { createTableOutbox } from '../../src/adapters/tableOutbox.js';
import type { LazyTable } from '../../src/adapters/tableStorage.js';
import { createMemoryAuditTrail, type AuditRecord } from '../../src/core/auditTrail.js';
import { adaptiveCard, paragraph, toTeamsMessage } from '../../src/lib/alerts/adaptiveCard.js';

const SIG = 'Qm9vWmFyQmF6MTIzNDU2Nzg5MA';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ';

/** A table that keeps the rows written to it, or fails every write. */
function fakeTable(fail = false): LazyTable & { rows: Record<string, unknown>[] } {
  const rows: Record<string, unknown>[] = [];
  const client = {
    async createEntity(entity: Record<string, unknown>) {
      if (fail) throw Object.assign(new Error('service unavailable'), { statusCode: 503 });
      rows.push(entity);
      return {};
    },
  } as unknown as TableClient;
  return { rows, client: async () => client, invalidate() {} };
}

const logged: string[] = [];
const log = () => ({
  debug() {},
  info() {},
  warn: (m: string) => void logged.push(m),
  error: (m: string) => void logged.push(m),
});

const record: AuditRecord = {
  at: '2026-11-25T10:00:00.000Z',
  kind: 'nsg',
  eventId: 'e',
  correlationId: 'c',
  resource: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n',
  rule: 'MicrosoftDefenderForCloud-JITRule_1_AB',
  verdict: 'remove',
  action: 'removed',
  outcome: 'failed',
  detail: `alert not sent: POST https://x/invoke?sv=1.0&sig=${SIG} refused (Bearer ${TOKEN})`,
  who: 'JIT',
  requester: 'barbara@contoso.com',
};

describe('what is stored keeps no secret', () => {
  it('an audit record is written redacted, and the record passed in is unchanged', async () => {
    const table = fakeTable();
    const before = JSON.stringify(record);
    await createTableAuditTrail(table, log).record([record]);
    const written = JSON.stringify(table.rows);
    expect(written).not.toContain(SIG);
    expect(written).not.toContain(TOKEN);
    expect(table.rows[0]).toMatchObject({
      detail: 'alert not sent: POST https://x/invoke?sv=1.0&sig=REDACTED refused (Bearer REDACTED)',
      rule: 'MicrosoftDefenderForCloud-JITRule_1_AB',
      requester: 'barbara@contoso.com',
    });
    expect(JSON.stringify(record)).toBe(before);
  });

  it('an audit record held back while the table is down is logged redacted', async () => {
    logged.length = 0;
    await createTableAuditTrail(fakeTable(true), log).record([record]);
    expect(logged.join('\n')).toContain('sig=REDACTED');
    expect(logged.join('\n')).not.toContain(SIG);
  });

  it('the memory audit trail reads back redacted records', async () => {
    const trail = createMemoryAuditTrail();
    await trail.record([record]);
    const [read] = await trail.recent(1);
    expect(read?.detail).toBe(
      'alert not sent: POST https://x/invoke?sv=1.0&sig=REDACTED refused (Bearer REDACTED)',
    );
  });

  it('an alert in the outbox is stored redacted', async () => {
    const table = fakeTable();
    const outbox = createTableOutbox(table, log);
    // Built by hand: the card builders redact already, and this shows the outbox does too.
    const raw = (text: string) =>
      toTeamsMessage(adaptiveCard('alert', [paragraph([{ type: 'TextRun', text }])], []));
    const message = raw(`delete failed for callback https://x/invoke?sig=${SIG}; token ${TOKEN}`);
    expect(await outbox.enqueue({ key: 'k', eventId: 'e', message })).toBe('durable');
    const stored = String(table.rows[0]?.message);
    expect(stored).not.toContain(SIG);
    expect(stored).not.toContain(TOKEN);
    expect(JSON.parse(stored)).toEqual(
      raw('delete failed for callback https://x/invoke?sig=REDACTED; token REDACTED'),
    );
  });
});
