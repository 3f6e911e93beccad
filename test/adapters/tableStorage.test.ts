import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenCredential } from '@azure/core-auth';
import { createTableAuditTrail } from '../../src/adapters/tableAuditTrail.js';
import { createTableOutbox } from '../../src/adapters/tableOutbox.js';
import { createTableRemovalIntents } from '../../src/adapters/tableRemovalIntents.js';
import { createTableRoleAnchor } from '../../src/adapters/tableRoleAnchor.js';
import { findingKey, trimRule } from '../../src/core/removalIntents.js';
import { lazyTable } from '../../src/adapters/tableStorage.js';
import type { TeamsSender } from '../../src/adapters/teamsWebhook.js';
import { resendDueAlerts, sendPendingAlerts } from '../../src/core/alertOutbox.js';
import type { AuditRecord } from '../../src/core/auditTrail.js';
import { Azurite } from '../support/azurite.js';
import { teamsMessage } from '../support/teamsMessage.js';
import { runCliCaptured } from '../support/runCliCaptured.js';

const noCredential = {} as TokenCredential;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const message = teamsMessage;
const record = (at: string, rule: string): AuditRecord => ({
  at,
  kind: 'nsg',
  eventId: 'e',
  correlationId: 'c',
  resource: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n',
  rule,
  verdict: 'remove',
  action: 'removed',
  outcome: 'done',
  detail: undefined,
  who: 'JIT',
  requester: 'barbara@contoso.com',
});

describe('Table Storage (a real Azurite, started here)', () => {
  const azurite = new Azurite();
  beforeAll(async () => {
    await azurite.start();
  }, 30_000);
  afterAll(() => azurite.stop());

  const target = () => ({ kind: 'connection-string' as const, value: azurite.connectionString });

  it('audit trail: records survive a new client and list newest first', async () => {
    const table = `Audit${Date.now()}`;
    await createTableAuditTrail(lazyTable(target(), table, noCredential), () => quiet).record([
      record('2026-11-25T10:00:00.000Z', 'a'),
      record('2026-11-25T11:00:00.000Z', 'b'),
    ]);
    const reader = createTableAuditTrail(lazyTable(target(), table, noCredential), () => quiet);
    expect((await reader.recent(10)).map((r) => r.rule)).toEqual(['b', 'a']);
    expect((await reader.recent(1))[0]).toMatchObject({
      rule: 'b',
      requester: 'barbara@contoso.com',
      action: 'removed',
      outcome: 'done',
    });
  });

  it('role anchor: remembered by one instance, recalled by another; none before', async () => {
    const table = `Anchor${Date.now()}`;
    const scope = '/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23';
    const first = createTableRoleAnchor(lazyTable(target(), table, noCredential), () => quiet);
    expect(await first.recall(scope, 'JIT Access Requester')).toBeUndefined();
    await first.remember(scope, 'JIT Access Requester', '0C3F1D6E-0000-4000-8000-00000000BEEF');
    const second = createTableRoleAnchor(lazyTable(target(), table, noCredential), () => quiet);
    expect(await second.recall(`${scope}/`, 'jit access requester')).toBe(
      '0c3f1d6e-0000-4000-8000-00000000beef',
    );
    expect(await second.recall(scope, 'Another role')).toBeUndefined();
    // Once written, an unchanged anchor is not written again by the same instance.
    await first.remember(scope, 'JIT Access Requester', '0c3f1d6e-0000-4000-8000-00000000beef');
  });

  it('removal intents: recorded once, found by NSG by another instance, gone once settled', async () => {
    const table = `Intents${Date.now()}`;
    const nsg = '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/N1';
    const intent = (name: string, nsgId = nsg.toLowerCase()) => ({
      key: findingKey(nsgId, { name, etag: 'W/"1"' }),
      nsgId,
      rule: trimRule({
        name,
        etag: 'W/"1"',
        properties: { sourceAddressPrefix: '*', destinationPortRange: '22' },
      }),
      eventId: 'e1',
      recordedAt: '2026-12-02T10:00:00.000Z',
    });
    const a = createTableRemovalIntents(lazyTable(target(), table, noCredential), () => quiet);
    await a.record([intent('jit-1'), intent('jit-2'), intent('jit-3', `${nsg.toLowerCase()}x`)]);
    await a.record([intent('jit-1')]); // a redelivery records the same again: no error, no copy
    const b = createTableRemovalIntents(lazyTable(target(), table, noCredential), () => quiet);
    expect((await b.openFor(nsg)).map((i) => i.rule.name).sort()).toEqual(['jit-1', 'jit-2']);
    expect((await b.openFor(nsg))[0]!.rule.properties).toMatchObject({ sourceAddressPrefix: '*' });
    expect(await b.openAll()).toHaveLength(3);
    await b.settle([intent('jit-1').key, 'never-recorded']);
    expect((await a.openFor(nsg)).map((i) => i.rule.name)).toEqual(['jit-2']);
  });

  it('removal intents: while storage is down they are kept in memory, and the removal is not held up', async () => {
    const errors: string[] = [];
    const down = {
      kind: 'connection-string' as const,
      value:
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Zm9v;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
    };
    const intents = createTableRemovalIntents(lazyTable(down, 'Down', noCredential), () => ({
      ...quiet,
      error: (m: string) => errors.push(m),
    }));
    const nsgId = '/subscriptions/s/resourcegroups/r/providers/microsoft.network/networksecuritygroups/n';
    const key = findingKey(nsgId, { name: 'jit' });
    await intents.record([{ key, nsgId, rule: { name: 'jit' }, eventId: 'e', recordedAt: '' }]);
    expect((await intents.openFor(nsgId)).map((i) => i.key)).toEqual([key]);
    await intents.settle([key]);
    expect(await intents.openFor(nsgId)).toEqual([]);
    expect(errors[0]).toMatch(/removal intents: record failed on Table Storage/);
  }, 30_000);

  it('outbox: another instance takes a claim over only after the lease on its own clock (skew cannot shorten it), and the old claim then changes nothing', async () => {
    const table = `Lease${Date.now()}`;
    const warnings: string[] = [];
    const log = () => ({ ...quiet, warn: (m: string) => warnings.push(m) });
    const start = Date.parse('2026-12-02T10:00:00Z');
    const a = createTableOutbox(lazyTable(target(), table, noCredential), log, { leaseMs: 60_000 });
    const b = createTableOutbox(lazyTable(target(), table, noCredential), log, { leaseMs: 60_000 });
    await a.enqueue({ key: 'k', eventId: 'e', message: message('one') });
    const [heldByA] = await a.claimUnsent('e');
    expect(heldByA).toBeDefined();
    // B's clock runs an hour ahead of A's: the claim still has to sit unchanged for the lease, as B sees it.
    const skewed = start + 3_600_000;
    expect(await b.claimDue(new Date(skewed))).toEqual([]);
    expect(await b.claimDue(new Date(skewed + 59_000))).toEqual([]);
    const [heldByB] = await b.claimDue(new Date(skewed + 61_000));
    expect(heldByB?.message).toEqual(message('one'));
    // A wakes up: its send failed, it gives the alert back — but the claim is B's now.
    await a.release(heldByA!);
    await a.markSent(heldByA!);
    expect(warnings.filter((w) => /taken over by another sender/.test(w))).toHaveLength(2);
    await b.markSent(heldByB!);
    expect(await a.claimDue(new Date(skewed + 10 * 3_600_000))).toEqual([]);
    expect(await b.claimDue(new Date(skewed + 10 * 3_600_000))).toEqual([]);
  });

  it('outbox: a claim that keeps changing (a live sender) is never taken over', async () => {
    const table = `Live${Date.now()}`;
    const a = createTableOutbox(lazyTable(target(), table, noCredential), () => quiet, { leaseMs: 60_000 });
    const b = createTableOutbox(lazyTable(target(), table, noCredential), () => quiet, { leaseMs: 60_000 });
    await a.enqueue({ key: 'k', eventId: 'e', message: message('one') });
    const [first] = await a.claimUnsent('e');
    expect(await b.claimDue(new Date(0))).toEqual([]);
    await a.release(first!); // A gives it back and claims it again: a new claim
    const [again] = await a.claimDue(new Date(Date.now() + 3_600_000));
    expect(again).toBeDefined();
    expect(await b.claimDue(new Date(61_000))).toEqual([]); // B has not seen this claim for a lease yet
  });

  it('outbox: an alert longer than a table property is stored in chunks and read back whole', async () => {
    const table = `Big${Date.now()}`;
    const big = message('x'.repeat(100_000));
    await createTableOutbox(lazyTable(target(), table, noCredential), () => quiet).enqueue({
      key: 'big',
      eventId: 'e',
      message: big,
    });
    const reader = createTableOutbox(lazyTable(target(), table, noCredential), () => quiet);
    const [claimed] = await reader.claimUnsent('e');
    expect(claimed?.message).toEqual(big);
  });

  it('outbox: an alert the table refuses for good stays in memory and holds nothing back', async () => {
    const table = `Refused${Date.now()}`;
    const errors: string[] = [];
    const outbox = createTableOutbox(lazyTable(target(), table, noCredential), () => ({
      ...quiet,
      error: (m: string) => errors.push(m),
    }));
    await outbox.enqueue({ key: 'huge', eventId: 'e', message: message('y'.repeat(1_000_000)) });
    await outbox.enqueue({ key: 'next', eventId: 'e2', message: message('next') });
    expect(errors.some((e) => /refuses alert huge of e/.test(e))).toBe(true);
    const other = createTableOutbox(lazyTable(target(), table, noCredential), () => quiet);
    expect((await other.claimUnsent('e2')).map((c) => c.message)).toEqual([message('next')]);
    const sent: unknown[] = [];
    expect(await sendPendingAlerts('e', outbox, { send: async (m) => void sent.push(m) })).toBe(1);
    expect(sent).toHaveLength(1);
  });

  it('outbox: an alert is stored once, claimed by one sender only, and marked sent', async () => {
    const table = `Outbox${Date.now()}`;
    const a = createTableOutbox(lazyTable(target(), table, noCredential), () => quiet);
    const b = createTableOutbox(lazyTable(target(), table, noCredential), () => quiet);
    await a.enqueue({ key: 'event-1|nsg|rule:removed', eventId: 'event-1', message: message('one') });
    await b.enqueue({ key: 'event-1|nsg|rule:removed', eventId: 'event-1', message: message('one again') });
    const sent: string[] = [];
    const teams: TeamsSender = { send: async (m) => void sent.push(JSON.stringify(m)) };
    const counts = await Promise.all([
      sendPendingAlerts('event-1', a, teams),
      sendPendingAlerts('event-1', b, teams),
    ]);
    expect(counts.reduce((x, y) => x + y)).toBe(1);
    expect(sent).toEqual([JSON.stringify(message('one'))]);
    expect(await sendPendingAlerts('event-1', a, teams)).toBe(0);
  });

  it('outbox: an alert Teams refused waits, and the resend timer delivers it once Teams is back', async () => {
    const table = `Retry${Date.now()}`;
    const outbox = createTableOutbox(lazyTable(target(), table, noCredential), () => quiet);
    await outbox.enqueue({ key: 'k', eventId: 'e', message: message('late') });
    let up = false;
    const sent: string[] = [];
    const teams: TeamsSender = {
      send: async (m) => {
        if (!up) throw new Error('Teams down');
        sent.push(JSON.stringify(m));
      },
    };
    await expect(sendPendingAlerts('e', outbox, teams)).rejects.toThrow('Teams down');
    expect(await resendDueAlerts(outbox, teams, new Date())).toEqual({ sent: 0, failed: 0 }); // backing off
    up = true;
    const hoursLater = new Date(Date.now() + 3 * 3_600_000);
    expect(await resendDueAlerts(outbox, teams, hoursLater)).toEqual({ sent: 1, failed: 0 });
    expect(await resendDueAlerts(outbox, teams, hoursLater)).toEqual({ sent: 0, failed: 0 });
    expect(sent).toHaveLength(1);
  });

  it('storage down: alerts and audit records wait in memory and are written once it answers', async () => {
    const down = new Azurite();
    await down.start();
    const table = `Spill${Date.now()}`;
    const port = down.port;
    const conn = { kind: 'connection-string' as const, value: down.connectionString };
    const outbox = createTableOutbox(lazyTable(conn, table, noCredential), () => quiet);
    const trail = createTableAuditTrail(lazyTable(conn, table, noCredential), () => quiet);
    await down.stop();
    await outbox.enqueue({ key: 'k1', eventId: 'e1', message: message('while down') });
    await trail.record([record('2026-11-25T12:00:00.000Z', 'spilled')]);
    const sent: string[] = [];
    const teams: TeamsSender = { send: async (m) => void sent.push(JSON.stringify(m)) };
    expect(await sendPendingAlerts('e1', outbox, teams)).toBe(1); // delivered from memory at once
    await down.start(port);
    await trail.record([]);
    expect((await trail.recent(5)).map((r) => r.rule)).toEqual(['spilled']);
    expect(await resendDueAlerts(outbox, teams, new Date(Date.now() + 3_600_000))).toEqual({
      sent: 0,
      failed: 0,
    });
    expect(sent).toHaveLength(1);
    await down.stop();
  }, 60_000);

  it('npx jit-guardrail audit list reads them back, newest first; without storage it says so', async () => {
    const table = `Cli${Date.now()}`;
    await createTableAuditTrail(lazyTable(target(), table, noCredential), () => quiet).record([
      record('2026-11-25T10:00:00.000Z', 'MicrosoftDefenderForCloud-JITRule-1-AAAA'),
      {
        ...record('2026-11-25T10:05:00.000Z', 'MicrosoftDefenderForCloud-JITRule-2-BBBB'),
        action: 'failed',
        outcome: 'failed',
        detail: 'permission-denied (HTTP 403)',
      },
    ]);
    const env = {
      GUARDRAIL_STORAGE_CONNECTION_STRING: azurite.connectionString,
      GUARDRAIL_AUDIT_TABLE: table,
    };
    const listed = await runCliCaptured(['audit', 'list', '--limit', '5'], { env });
    expect(listed.code).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^2026-11-25T10:05:00.000Z +nsg +failed +failed +n \/ MicrosoftDefenderForCloud-JITRule-2-BBBB +requested by barbara@contoso.com +written by JIT +\(permission-denied \(HTTP 403\)\)$/,
    );
    expect(lines[1]).toContain('JITRule-1-AAAA');
    const json = await runCliCaptured(['audit', 'list', '--json'], { env });
    expect(JSON.parse(json.stdout)).toHaveLength(2);
    expect((await runCliCaptured(['audit', 'list'], { env: {} })).code).toBe(2);
  });
});
