import { describe, expect, it } from 'vitest';
import { TEAMS_MAX_BODY_BYTES, toTeamsMessage } from '../../../src/lib/alerts/adaptiveCard.js';
import { buildRoleAlertCard, type RoleAlert } from '../../../src/lib/alerts/roleAlertCard.js';
import { adaptiveCardValidator } from '../../support/adaptiveCardSchema.js';
import { cardFacts, cardHeadline, cardText } from '../../support/cardText.js';

const validate = adaptiveCardValidator();
const alert = (overrides: Partial<RoleAlert> = {}): RoleAlert => ({
  roleName: 'JIT Access Requester',
  roleId: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/g',
  scope: '/subscriptions/s',
  status: 'updated',
  severity: 'critical',
  changes: [
    {
      field: 'actions',
      extra: ['*'],
      missing: ['Microsoft.Compute/virtualMachines/read'],
      severity: 'critical',
    },
    { field: 'description', extra: ['edited'], missing: ['original'], severity: 'info' },
  ],
  changedBy: 'mallory@contoso.com',
  trigger: 'event',
  occurredAt: '2026-11-25T10:00:00.000Z',
  duplicates: [],
  ...overrides,
});

describe('buildRoleAlertCard', () => {
  it.each([
    ['updated', alert()],
    [
      'created',
      alert({
        status: 'created',
        changes: [{ field: 'actions', extra: [], missing: ['a', 'b'], severity: 'warning' }],
        severity: 'warning',
      }),
    ],
    ['drift reported', alert({ status: 'drift-reported', trigger: 'timer', changedBy: undefined })],
    [
      'ambiguous',
      alert({ status: 'ambiguous', changes: [], roleId: undefined, duplicates: ['/x/1', '/x/2'] }),
    ],
  ])('%s: a valid Adaptive Card 1.5 under 28 KB', (_label, input) => {
    const { msteams, ...card } = buildRoleAlertCard(input, 'https://portal.azure.com');
    expect(msteams).toEqual({ width: 'Full' });
    expect(validate(card), JSON.stringify(validate.errors)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(toTeamsMessage({ ...card, msteams })))).toBeLessThan(
      TEAMS_MAX_BODY_BYTES,
    );
    expect(card.fallbackText).toBe(cardHeadline(card));
  });

  it('says in words what the role could do, most severe first, who changed it, what was done, and links the Activity log', () => {
    const card = buildRoleAlertCard(alert(), 'https://portal.azure.com');
    expect(cardHeadline(card)).toBe(
      'Restored: role "JIT Access Requester" had drifted (critical): it could do anything (*)',
    );
    const lines = cardText(card).split('\n');
    expect(lines.slice(1, 4)).toEqual([
      'Critical: could do anything (*)',
      'Critical: requesters could not see VMs (Microsoft.Compute/virtualMachines/read)',
      'Info: its description was changed',
    ]);
    expect(cardFacts(card)).toMatchObject({
      'Changed by': 'mallory@contoso.com',
      'Found by': 'a role definition write event',
      Action: 'restored the least-privilege definition',
      'Role id': '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/g',
    });
    expect(card.actions[0]).toMatchObject({ type: 'Action.OpenUrl', title: 'Open Activity log' });
    // Filtered to this role (its GUID) in its subscription, from a day before to an hour after.
    const prefix =
      'https://portal.azure.com/#blade/Microsoft_Azure_ActivityLog/ActivityLogBlade/queryInputs/';
    const url = card.actions[0]!.url;
    expect(url.startsWith(prefix)).toBe(true);
    expect(url).not.toMatch(/[{}" ]/);
    expect(JSON.parse(decodeURIComponent(url.slice(prefix.length)))).toEqual({
      query: {
        searchString: 'g',
        timeSpan: '3',
        startTime: '2026-11-24T10:00:00.000Z',
        endTime: '2026-11-25T11:00:00.000Z',
        subscriptions: ['s'],
      },
    });
    // An ambiguous role has no id to search for: the link keeps the subscription and the time.
    const ambiguous = buildRoleAlertCard(
      alert({ status: 'ambiguous', roleId: undefined }),
      'https://portal.azure.com',
    );
    const query = JSON.parse(decodeURIComponent(ambiguous.actions[0]!.url.slice(prefix.length))) as {
      query: Record<string, unknown>;
    };
    expect(query.query).not.toHaveProperty('searchString');
    expect(query.query.subscriptions).toEqual(['s']);
  });

  it('a drift only reported stays in attention colour and says how to fix it', () => {
    const card = buildRoleAlertCard(
      alert({
        status: 'drift-reported',
        changes: [
          {
            field: 'actions',
            extra: ['Microsoft.Security/locations/jitNetworkAccessPolicies/write'],
            missing: [],
            severity: 'critical',
          },
        ],
      }),
      'https://portal.azure.com',
    );
    expect(cardHeadline(card)).toBe(
      'STILL DRIFTED: role "JIT Access Requester" differs from least privilege (critical): it could edit JIT policies (Microsoft.Security/locations/jitNetworkAccessPolicies/write)',
    );
    expect(card.body[0]!.inlines[0]!.color).toBe('Attention');
    expect(cardFacts(card).Next).toMatch(/dryRun": false/);
  });
});
