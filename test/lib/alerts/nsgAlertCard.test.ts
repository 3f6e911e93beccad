import { describe, expect, it } from 'vitest';
import { TEAMS_MAX_BODY_BYTES, toTeamsMessage } from '../../../src/lib/alerts/adaptiveCard.js';
import { buildNsgAlertCard } from '../../../src/lib/alerts/nsgAlertCard.js';
import type { GuardAlert, RuleFinding } from '../../../src/lib/alerts/guardAlert.js';
import { adaptiveCardValidator } from '../../support/adaptiveCardSchema.js';
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
const factsOf = (card: ReturnType<typeof buildNsgAlertCard>) =>
  Object.fromEntries(
    card.body.flatMap((e) => (e.type === 'FactSet' ? e.facts.map((f) => [f.title, f.value]) : [])),
  );

describe('buildNsgAlertCard', () => {
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
  ])('%s: valid Adaptive Card 1.5 in the Teams envelope', (_label, input) => {
    const card = buildNsgAlertCard(input, 'https://portal.azure.com');
    expect(validate(card), JSON.stringify(validate.errors)).toBe(true);
    const message = toTeamsMessage(card);
    const envelope = fixture<{ type: string; attachments: { contentType: string }[] }>(
      'azure/teams-webhook-adaptive-card-envelope.example.json',
    );
    expect(message.type).toBe(envelope.type);
    expect(message.attachments[0]!.contentType).toBe(envelope.attachments[0]!.contentType);
  });

  it('the schema check has teeth: msteams, a numeric version or Action.Submit are rejected', () => {
    const card = buildNsgAlertCard(alert(), 'https://portal.azure.com');
    expect(validate({ ...card, msteams: { width: 'Full' } })).toBe(false);
    expect(validate({ ...card, version: 1.5 })).toBe(false);
    expect(validate({ ...card, body: [{ type: 'FactSet', facts: [{ title: 'n', value: 5 }] }] })).toBe(false);
  });

  it('says who, which VM, port and source, what was done, and links the NSG', () => {
    const card = buildNsgAlertCard(alert(), 'https://portal.azure.com');
    expect(factsOf(card)).toMatchObject({
      Subscription: '20ff7fc3-e762-44dd-bd96-b71116dcdc23',
      'Resource group': 'myRg1',
      NSG: 'vm1-nsg',
      VM: 'vm1',
      Ports: '22',
      Source: '*',
      'Requested by': 'barbara@contoso.com',
      Justification: 'debugging',
      'Written by': 'Defender for Cloud JIT (Security RP)',
      'Action taken': 'removed',
      'Time (UTC)': '2026-11-25T10:00:05.000Z',
      'Correlation id': 'corr-1',
    });
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open the NSG in the Azure portal',
        url: `https://portal.azure.com/#resource${alert().nsgId}/overview`,
      },
    ]);
    expect(card.actions.length).toBeLessThanOrEqual(6);
  });

  it('stays under 28 KB with many rules and long justifications', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      finding({
        ruleName: `MicrosoftDefenderForCloud-JITRule-${i}-8C18BF8921F041989344B4F1E3A0C370`,
        request: {
          requestor: 'x@contoso.com',
          justification: 'j'.repeat(5000),
          startTimeUtc: undefined,
          endTimeUtc: undefined,
        },
      }),
    );
    const card = buildNsgAlertCard(alert({ findings: many }), 'https://portal.azure.com');
    expect(Buffer.byteLength(JSON.stringify(toTeamsMessage(card)))).toBeLessThan(TEAMS_MAX_BODY_BYTES);
    expect(JSON.stringify(card)).toContain('50 more rule(s)');
    expect(validate(card)).toBe(true);
  });

  it('a justification cannot smuggle a link into the card', () => {
    const card = buildNsgAlertCard(
      alert({
        findings: [
          finding({
            request: {
              requestor: 'm@contoso.com',
              justification: 'see [the runbook](https://evil.example/login) <https://evil.example>',
              startTimeUtc: undefined,
              endTimeUtc: undefined,
            },
          }),
        ],
      }),
      'https://portal.azure.com',
    );
    const text = JSON.stringify(card.body);
    expect(text).not.toContain('](https://evil');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('the runbook');
  });
});
