import { describe, expect, it } from 'vitest';
import {
  TEAMS_MAX_BODY_BYTES,
  teamsBodyBytes,
  toTeamsMessage,
  type AdaptiveCard,
} from '../../../src/lib/alerts/adaptiveCard.js';
import { buildNsgAlertCard } from '../../../src/lib/alerts/nsgAlertCard.js';
import type { GuardAlert, RuleFinding } from '../../../src/lib/alerts/guardAlert.js';
import { adaptiveCardValidator } from '../../support/adaptiveCardSchema.js';
import { cardFacts, cardHeadline, cardText } from '../../support/cardText.js';
import { fixture } from '../../support/fixtures.js';

const finding = (overrides: Partial<RuleFinding> = {}): RuleFinding => ({
  ruleName: 'MicrosoftDefenderForCloud-JITRule-1170687618-8C18BF8921F041989344B4F1E3A0C370',
  vmName: 'vm1',
  ports: ['22'],
  sources: ['*'],
  action: 'removed',
  failure: undefined,
  request: {
    requestor: 'barbara@contoso.com',
    justification: 'debugging',
    startTimeUtc: '2026-11-25T10:00:00Z',
    endTimeUtc: '2026-11-25T13:00:00Z',
  },
  ...overrides,
});

const alert = (overrides: Partial<GuardAlert> = {}): GuardAlert => ({
  subscriptionId: '20ff7fc3-e762-44dd-bd96-b71116dcdc23',
  resourceGroup: 'myRg1',
  nsgName: 'vm1-nsg',
  nsgId:
    '/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/myRg1/providers/Microsoft.Network/networkSecurityGroups/vm1-nsg',
  writer: {
    kind: 'jit',
    display: 'Defender for Cloud JIT (Security RP)',
    appId: '8edd93e1-2103-40b4-bd70-6e34e586362d',
    objectId: undefined,
  },
  eventId: 'event-1',
  correlationId: 'corr-1',
  occurredAt: '2026-11-25T10:00:05.000Z',
  mode: 'enforce',
  findings: [finding()],
  requesterLookupProblem: undefined,
  permissionProblem: undefined,
  ...overrides,
});

const validate = adaptiveCardValidator();
/** The 1.5 schema does not know Teams' `msteams` extension: it is checked apart. */
const schemaValid = (card: AdaptiveCard) => {
  const { msteams, ...standard } = card;
  expect(msteams).toEqual({ width: 'Full' });
  return validate(standard) ? true : JSON.stringify(validate.errors);
};
const PORTAL = 'https://portal.azure.com';

describe('buildNsgAlertCard', () => {
  it('names a wildcard cut into pieces by how many pieces, not by 256 lines; a specific source beside a wildcard is not the problem', () => {
    const split = buildNsgAlertCard(
      alert({ findings: [finding({ sources: Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`) })] }),
      PORTAL,
    );
    expect(cardFacts(split).Source).toBe('256 ranges that together are this broad (0.0.0.0/8, 1.0.0.0/8, …)');
    const withTag = buildNsgAlertCard(
      alert({ findings: [finding({ sources: ['VirtualNetwork', '10.0.0.0/8', '11.0.0.0/8'] })] }),
      PORTAL,
    );
    expect(cardFacts(withTag).Source).toBe('2 ranges that together are this broad (10.0.0.0/8, 11.0.0.0/8)');
    const odd = buildNsgAlertCard(alert({ findings: [finding({ sources: ['0.0.0.00/0'] })] }), PORTAL);
    expect(cardFacts(odd).Source).toBe('a source that is no address it can read (0.0.0.00/0)');
    const mixed = buildNsgAlertCard(
      alert({ findings: [finding({ sources: ['203.0.113.7', '*'] })] }),
      PORTAL,
    );
    expect(cardFacts(mixed).Source).toBe('any address (*)');
  });

  it.each([
    ['removed', alert()],
    ['report mode', alert({ mode: 'report', findings: [finding({ action: 'would-remove' })] })],
    ['already removed', alert({ findings: [finding({ action: 'already-removed' })] })],
    [
      'permission denied',
      alert({
        findings: [finding({ action: 'failed', failure: 'permission-denied (HTTP 403)' })],
        permissionProblem: 'delete security rule failed: permission-denied (HTTP 403)',
      }),
    ],
    [
      'requester unknown',
      alert({
        findings: [finding({ request: undefined })],
        requesterLookupProblem: 'JIT policy could not be read',
      }),
    ],
    [
      'exempt',
      alert({ findings: [finding({ action: 'kept-exempt', exemptUntil: '2026-12-10T00:00:00.000Z' })] }),
    ],
  ])('%s: valid Adaptive Card 1.5 in the Teams envelope, with fallback text, full width', (_label, input) => {
    const card = buildNsgAlertCard(input, PORTAL);
    expect(schemaValid(card)).toBe(true);
    expect(card.fallbackText).toBe(`${cardHeadline(card)}. ${cardText(card).split('\n')[1]}`);
    const message = toTeamsMessage(card);
    const envelope = fixture<{ type: string; attachments: { contentType: string }[] }>(
      'azure/teams-webhook-adaptive-card-envelope.example.json',
    );
    expect(message.type).toBe(envelope.type);
    expect(message.attachments[0]!.contentType).toBe(envelope.attachments[0]!.contentType);
    // No text in markdown-rendering elements: every element is a RichTextBlock of TextRuns.
    expect(new Set(card.body.map((e) => e.type))).toEqual(new Set(['RichTextBlock']));
  });

  it('the schema check has teeth: msteams, a numeric version or Action.Submit are rejected', () => {
    const { msteams, ...card } = buildNsgAlertCard(alert(), PORTAL);
    expect(validate({ ...card })).toBe(true);
    expect(validate({ ...card, msteams })).toBe(false);
    expect(validate({ ...card, msteams: { width: 'Full' } })).toBe(false);
    expect(validate({ ...card, version: 1.5 })).toBe(false);
    expect(validate({ ...card, body: [{ type: 'FactSet', facts: [{ title: 'n', value: 5 }] }] })).toBe(false);
  });

  it('leads with what happened to which VM and port, then how long it was open, who asked, why, the cause and the next step', () => {
    const card = buildNsgAlertCard(
      alert({
        findings: [
          finding({
            writtenAt: '2026-11-25T10:00:01.000Z',
            removedAt: '2026-11-25T10:00:05.000Z',
            policyAllowsAnySource: true,
          }),
        ],
      }),
      PORTAL,
    );
    expect(cardHeadline(card)).toBe('Closed: vm1 port 22 (SSH) was open to the internet');
    expect(card.body[0]!.inlines[0]).toMatchObject({ weight: 'Bolder', color: 'Default' });
    expect(cardText(card).split('\n')[1]).toBe(
      'Open for 4 s: opened at 10:00:01, removed at 10:00:05 UTC, 25 Nov 2026.',
    );
    expect(cardFacts(card)).toMatchObject({
      'Requested by': 'barbara@contoso.com (through JIT)',
      Justification: 'debugging',
      VM: 'vm1 (resource group myRg1)',
      Port: '22 (SSH)',
      Source: 'any address (*)',
      'Root cause': 'the JIT policy of vm1 allows requests from any source',
      Action: 'removed',
      Next: expect.stringMatching(/^restrict the allowed source in the JIT policy of vm1/),
      NSG: 'vm1-nsg',
      Rule: 'MicrosoftDefenderForCloud-JITRule-1170687618-8C18BF8921F041989344B4F1E3A0C370',
      'Written by': 'Defender for Cloud JIT (Security RP)',
      Subscription: '20ff7fc3-e762-44dd-bd96-b71116dcdc23',
      'Alert time': '10:00:05 UTC, 25 Nov 2026',
      Event: 'event-1',
      Correlation: 'corr-1',
    });
    // The ids come last, small and subtle.
    const last = card.body.at(-1)!;
    expect(last.separator).toBe(true);
    expect(last.inlines.every((r) => r.size === 'Small' && r.isSubtle === true)).toBe(true);
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Fix JIT policy',
        url: `${PORTAL}/#view/Microsoft_Azure_Security/JitVmsBlade`,
      },
      { type: 'Action.OpenUrl', title: 'Open NSG', url: `${PORTAL}/#resource${alert().nsgId}/overview` },
    ]);
  });

  it.each([
    [
      'report mode',
      { mode: 'report' as const, findings: [finding({ action: 'would-remove' })] },
      /^STILL OPEN: vm1 port 22 \(SSH\) is open to the internet \(report mode\)$/,
      'Attention',
    ],
    [
      'a failed removal',
      { findings: [finding({ action: 'failed', failure: 'conflict (HTTP 409)' })] },
      /^NOT CLOSED: vm1 port 22 \(SSH\) is open/,
      'Attention',
    ],
    [
      'an exemption',
      { findings: [finding({ action: 'kept-exempt', exemptUntil: '2026-12-10T00:00:00.000Z' })] },
      /^Kept open until 00:00:00 UTC, 10 Dec 2026 \(NSG exempt\): vm1 port 22/,
      'Attention',
    ],
  ])('%s says so in the headline, in the colour that fits', (_what, overrides, headline, color) => {
    const card = buildNsgAlertCard(alert(overrides), PORTAL);
    expect(cardHeadline(card)).toMatch(headline);
    expect(card.body[0]!.inlines[0]!.color).toBe(color);
  });

  it('says both exposure times, and in report mode when JIT closes the port by itself', () => {
    const removed = buildNsgAlertCard(
      alert({
        findings: [
          finding({
            writtenAt: '2026-11-25T10:00:01.000Z',
            deleteAcceptedAt: '2026-11-25T10:00:02.000Z',
            removedAt: '2026-11-25T10:00:05.000Z',
          }),
        ],
      }),
      PORTAL,
    );
    expect(cardText(removed).split('\n')[1]).toBe(
      'Open for 4 s: opened at 10:00:01, removed at 10:00:05 UTC, 25 Nov 2026 (ARM took the delete 1 s after).',
    );
    const reported = buildNsgAlertCard(
      alert({
        mode: 'report',
        findings: [finding({ action: 'would-remove', writtenAt: '2026-11-25T10:00:01.000Z' })],
      }),
      PORTAL,
    );
    expect(cardText(reported).split('\n')[1]).toBe(
      'Open since 10:00:01 UTC, 25 Nov 2026; JIT closes it at 13:00:00 UTC, 25 Nov 2026 unless it is removed; the guardrail is in report mode and removed nothing.',
    );
  });

  it('a removal an earlier attempt made (its end not recorded) gives an upper bound, not a made-up time', () => {
    const card = buildNsgAlertCard(
      alert({
        occurredAt: '2026-11-25T10:00:41.000Z',
        findings: [finding({ writtenAt: '2026-11-25T10:00:01.000Z' })],
      }),
      PORTAL,
    );
    expect(cardText(card).split('\n')[1]).toBe(
      'Open for at most 40 s: opened at 10:00:01 UTC, 25 Nov 2026, removed by an earlier attempt, confirmed gone at 10:00:41 UTC, 25 Nov 2026.',
    );
    // Gone when read again (JIT, a person, a delivery before): said as seen, blaming no one.
    const gone = buildNsgAlertCard(
      alert({
        occurredAt: '2026-11-25T10:00:41.000Z',
        findings: [finding({ action: 'already-removed', writtenAt: '2026-11-25T10:00:01.000Z' })],
      }),
      PORTAL,
    );
    expect(cardText(gone).split('\n')[1]).toBe(
      'Open for at most 40 s: opened at 10:00:01 UTC, 25 Nov 2026, found already gone at 10:00:41 UTC, 25 Nov 2026.',
    );
  });

  it('while the port is still open, Open NSG is the first button', () => {
    for (const overrides of [
      { mode: 'report' as const, findings: [finding({ action: 'would-remove' })] },
      { findings: [finding({ action: 'failed', failure: 'conflict (HTTP 409)' })] },
    ]) {
      expect(buildNsgAlertCard(alert(overrides), PORTAL).actions.map((a) => a.title)).toEqual([
        'Open NSG',
        'Fix JIT policy',
      ]);
    }
  });

  it('a removal the sweep found says, in attention colour, that the event path missed it', () => {
    const card = buildNsgAlertCard(alert({ foundBy: 'sweep', correlationId: 'run-1' }), PORTAL);
    expect(card.body[2]!.inlines[0]).toMatchObject({
      text: expect.stringMatching(/^Found by the sweep, not in real time/),
      color: 'Attention',
    });
    expect(cardFacts(card)).toMatchObject({ 'Sweep run': 'run-1' });
    expect(cardFacts(card)).not.toHaveProperty('Written by');
  });

  it('terminal colour codes in what people wrote leave no visible remains', () => {
    const card = buildNsgAlertCard(
      alert({
        findings: [
          finding({
            request: {
              requestor: 'm@contoso.com',
              justification: '\u001b[31mURGENT\u001b[0m fix',
              startTimeUtc: undefined,
              endTimeUtc: undefined,
            },
          }),
        ],
      }),
      PORTAL,
    );
    expect(cardFacts(card).Justification).toBe('URGENT fix');
  });

  it('many rules collapse into one block with every port', () => {
    const ports = ['22', '3389', '5985', '80', '443', '8080', '8443', '1433', '3306', '5432', '9000', '9001'];
    const many = ports.map((port, i) =>
      finding({
        ruleName: `MicrosoftDefenderForCloud-JITRule-${i}-8C18BF8921F041989344B4F1E3A0C370`,
        ports: [port],
      }),
    );
    const card = buildNsgAlertCard(alert({ findings: many }), PORTAL);
    expect(cardHeadline(card)).toBe(
      'Closed: vm1 ports 22 (SSH), 3389 (RDP), 5985 (WinRM), 80 (HTTP) and 8 more were open to the internet',
    );
    expect(cardFacts(card).Ports).toBe(
      '22 (SSH), 3389 (RDP), 5985 (WinRM), 80 (HTTP), 443 (HTTPS), 8080, 8443, 1433 (SQL Server), 3306 (MySQL), 5432 (PostgreSQL), 9000, 9001',
    );
    expect(cardFacts(card).Action).toBe('removed (12 rules)');
    expect(card.body.length).toBeLessThan(14);
  });

  it('several requesters: one line each, with their VMs, ports and why; no separate port list', () => {
    const rule = (i: number, vm: string, port: string, requestor: string, justification: string) =>
      finding({
        ruleName: `MicrosoftDefenderForCloud-JITRule-${i}-8C18BF8921F041989344B4F1E3A0C370`,
        vmName: vm,
        ports: [port],
        request: { requestor, justification, startTimeUtc: undefined, endTimeUtc: undefined },
      });
    const card = buildNsgAlertCard(
      alert({
        nsgName: 'snet-web-nsg',
        findings: [
          rule(0, 'web-01', '22', 'barbara@contoso.com', 'Patching'),
          rule(1, 'web-02', '3389', 'dmitri@contoso.com', 'INC-4711'),
          rule(2, 'web-01', '3389', 'barbara@contoso.com', 'Patching'),
          finding({ ruleName: 'r3', vmName: 'web-03', ports: ['22'], request: undefined }),
        ],
      }),
      PORTAL,
    );
    const facts = cardFacts(card);
    expect(facts['Requested by barbara@contoso.com (through JIT)']).toBe(
      '22 (SSH), 3389 (RDP); why: Patching',
    );
    expect(facts['Requested by dmitri@contoso.com (through JIT)']).toBe('3389 (RDP); why: INC-4711');
    expect(facts['Requested by unknown (no matching JIT request)']).toBe('22 (SSH)');
    expect(facts).not.toHaveProperty('Ports');
    expect(facts).not.toHaveProperty('Justification');
    expect(facts.VMs).toBe('web-01, web-02, web-03 (resource group myRg1)');
  });

  it('a requester with rules on several VMs gets them per VM; past eight requesters the rest are counted', () => {
    const many = Array.from({ length: 11 }, (_, i) =>
      finding({
        ruleName: `MicrosoftDefenderForCloud-JITRule-${i}-8C18BF8921F041989344B4F1E3A0C370`,
        vmName: `vm${i % 2}`,
        ports: ['22'],
        request: {
          requestor: `user${i}@contoso.com`,
          justification: undefined,
          startTimeUtc: undefined,
          endTimeUtc: undefined,
        },
      }),
    );
    const card = buildNsgAlertCard(alert({ findings: many }), PORTAL);
    const facts = cardFacts(card);
    expect(Object.keys(facts).filter((k) => k.startsWith('Requested by '))).toHaveLength(8);
    expect(facts['Also requested by']).toBe('3 more (see the audit trail)');
    const twoVms = buildNsgAlertCard(
      alert({
        findings: [
          finding({ ruleName: 'a', vmName: 'vm1', ports: ['22'] }),
          finding({ ruleName: 'b', vmName: 'vm2', ports: ['3389'] }),
          finding({ ruleName: 'c', vmName: 'vm3', ports: ['22'], request: undefined }),
        ],
      }),
      PORTAL,
    );
    expect(cardFacts(twoVms)['Requested by barbara@contoso.com (through JIT)']).toBe(
      'vm1: 22 (SSH); vm2: 3389 (RDP); why: debugging',
    );
  });

  it('a subscription name is text like any other: no markdown, no lines, cut short', () => {
    const card = buildNsgAlertCard(
      alert({
        subscriptionName: `**Prod**\n- Action: nothing was removed [x](https://evil.example) ${'y'.repeat(300)}`,
      }),
      PORTAL,
    );
    const value = cardFacts(card).Subscription!;
    expect(value.startsWith('**Prod** - Action: nothing was removed [x](https://evil.example) yyy')).toBe(
      true,
    );
    expect(value.length).toBeLessThanOrEqual(120);
    expect(JSON.stringify(card)).not.toContain('\\n- Action');
    expect(new Set(card.body.map((e) => e.type))).toEqual(new Set(['RichTextBlock']));
  });

  it('drops direction overrides, so a name cannot reorder the text shown after it', () => {
    const card = buildNsgAlertCard(
      alert({
        subscriptionName: 'Prod \u202edevomer\u202c \u2066x\u2069\u200f',
        findings: [
          finding({
            request: {
              requestor: 'barbara@contoso.com',
              justification: 'a\u202eb',
              startTimeUtc: '2026-11-25T10:00:00Z',
              endTimeUtc: '2026-11-25T13:00:00Z',
            },
          }),
        ],
      }),
      PORTAL,
    );
    expect(cardFacts(card).Subscription).toBe('Prod devomer x');
    expect(JSON.stringify(card)).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
  });

  it('names the subscription by its display name, its id in the footer; without a name, the id alone', () => {
    const named = buildNsgAlertCard(alert({ subscriptionName: 'Contoso Production' }), PORTAL);
    expect(cardFacts(named).Subscription).toBe('Contoso Production');
    expect(cardFacts(named)['Subscription id']).toBe('20ff7fc3-e762-44dd-bd96-b71116dcdc23');
    // Without a name, the footer's Subscription is the id.
    const unnamed = buildNsgAlertCard(alert(), PORTAL);
    expect(cardFacts(unnamed).Subscription).toBe('20ff7fc3-e762-44dd-bd96-b71116dcdc23');
    expect(cardFacts(unnamed)).not.toHaveProperty('Subscription id');
  });

  it('stays under 28 KB in the worst case: many rules, long justifications full of control characters', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      finding({
        ruleName: `MicrosoftDefenderForCloud-JITRule-${i}-8C18BF8921F041989344B4F1E3A0C370`,
        vmName: `vm-${i}-${'x'.repeat(70)}`,
        ports: [String(1000 + i)],
        request: {
          requestor: `${'r'.repeat(200)}${i}@contoso.com`,
          justification: `${i}\u0007\u0000${'j\n- '.repeat(1500)}`,
          startTimeUtc: undefined,
          endTimeUtc: undefined,
        },
      }),
    );
    const card = buildNsgAlertCard(alert({ findings: many }), PORTAL);
    expect(teamsBodyBytes(card)).toBeLessThanOrEqual(TEAMS_MAX_BODY_BYTES);
    expect(cardHeadline(card)).toMatch(
      /^Closed: 60 VMs behind vm1-nsg \(60 ports\) were open to the internet$/,
    );
    expect(schemaValid(card)).toBe(true);
  });

  it('what people wrote is inert: no markdown, no extra lines, no smuggled link', () => {
    const card = buildNsgAlertCard(
      alert({
        findings: [
          finding({
            request: {
              requestor: 'm@contoso.com',
              justification:
                'see [the runbook](https://evil.example/login)\n\n* **URGENT** approve\r\n1. now',
              startTimeUtc: undefined,
              endTimeUtc: undefined,
            },
          }),
        ],
      }),
      PORTAL,
    );
    // In a TextRun markdown is not applied: the text is shown as written, on one line.
    expect(cardFacts(card).Justification).toBe(
      'see [the runbook](https://evil.example/login) * **URGENT** approve 1. now',
    );
    expect(JSON.stringify(card.body)).not.toMatch(/\\n|\\r/);
  });
});
