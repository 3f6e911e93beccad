import { describe, expect, it } from 'vitest';
import { TEAMS_MAX_BODY_BYTES, toTeamsMessage } from '../../../src/lib/alerts/adaptiveCard.js';
import { buildRoleAlertCard, type RoleAlert } from '../../../src/lib/alerts/roleAlertCard.js';
import { adaptiveCardValidator } from '../../support/adaptiveCardSchema.js';

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
    const card = buildRoleAlertCard(input, 'https://portal.azure.com');
    expect(validate(card), JSON.stringify(validate.errors)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(toTeamsMessage(card)))).toBeLessThan(TEAMS_MAX_BODY_BYTES);
  });

  it('shows the field-level diff, the severity, who changed it and what was done', () => {
    const text = JSON.stringify(buildRoleAlertCard(alert(), 'https://portal.azure.com'));
    for (const expected of [
      'actions (critical)',
      '"Extra"',
      '"*"',
      'Microsoft.Compute/virtualMachines/read',
      'mallory@contoso.com',
      'restored the least-privilege definition',
      'role definition write event',
    ]) {
      expect(text).toContain(expected);
    }
  });
});
