import { toTeamsMessage, type TeamsMessage } from '../src/lib/alerts/adaptiveCard.js';
import { buildAuditDigestCard } from '../src/lib/alerts/auditDigestCard.js';
import type { GuardAlert, RuleFinding } from '../src/lib/alerts/guardAlert.js';
import { buildNsgAlertCard } from '../src/lib/alerts/nsgAlertCard.js';
import { buildRoleAlertCard, type RoleAlert } from '../src/lib/alerts/roleAlertCard.js';
import { SWEEP_WRITER } from '../src/core/sweep.js';
import { SECURITY_RP_APP_ID } from '../src/lib/events/writer.js';
import { DEFAULT_ROLE_NAME, JIT_REQUESTER_ACTIONS } from '../src/lib/role/desiredRole.js';

/**
 * Every kind of Teams card the guardrail sends, built by its own card builders from realistic inputs
 * (the sandbox's subscription: web-01 in rg-web, its NSG, SSH opened to `*` through JIT by barbara),
 * as the Workflows webhook receives them. `npm run cards` renders them; the rendered-card test checks
 * them. `mustShow`: the values an on-call engineer must be able to read on the card.
 */
export interface GalleryCard {
  readonly kind: string;
  readonly payload: TeamsMessage;
  readonly mustShow: readonly string[];
}

const PORTAL = 'https://portal.azure.com';
const SUBSCRIPTION = 'b3c1d7e5-0f1a-4c2b-9d3e-5f6a7b8c9d0e';
const SCOPE = `/subscriptions/${SUBSCRIPTION}`;
const OTHER_SUBSCRIPTION = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
const nsgId = (resourceGroup: string, name: string) =>
  `${SCOPE}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
const policyId = (resourceGroup: string) =>
  `${SCOPE}/resourceGroups/${resourceGroup}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default`;
const roleId = (guid: string) => `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

/** A JIT rule name as Defender for Cloud writes it. */
const jitRuleName = (n: number) =>
  `MicrosoftDefenderForCloud-JITRule-${1170687618 + n}-8C18BF8921F041989344B4F1E3A0C3${String(n).padStart(2, '0')}`;

const finding = (overrides: Partial<RuleFinding> = {}): RuleFinding => ({
  ruleName: jitRuleName(0),
  vmName: 'web-01',
  ports: ['22'],
  sources: ['*'],
  action: 'removed',
  failure: undefined,
  writtenAt: '2026-11-25T10:00:01.000Z',
  removedAt: '2026-11-25T10:00:05.000Z',
  policyAllowsAnySource: true,
  request: {
    requestor: 'barbara@contoso.com',
    justification: 'Patching openssl on web-01 (CHG0012345)',
    startTimeUtc: '2026-11-25T10:00:00.000Z',
    endTimeUtc: '2026-11-25T13:00:00.000Z',
  },
  ...overrides,
});

const guardAlert = (overrides: Partial<GuardAlert> = {}): GuardAlert => ({
  subscriptionId: SUBSCRIPTION,
  subscriptionName: 'Contoso Sandbox',
  resourceGroup: 'rg-web',
  nsgName: 'web-01-nsg',
  nsgId: nsgId('rg-web', 'web-01-nsg'),
  writer: {
    kind: 'jit',
    display: 'Defender for Cloud JIT (Security RP)',
    appId: SECURITY_RP_APP_ID,
    objectId: undefined,
  },
  eventId: '6f1d2c3b-8e9a-4b7c-a1d2-e3f4a5b6c7d8',
  correlationId: '2c8e4f1a-9b3d-4e6f-8a7c-1d2e3f4a5b6c',
  occurredAt: '2026-11-25T10:00:05.000Z',
  mode: 'enforce',
  findings: [finding()],
  requesterLookupProblem: undefined,
  permissionProblem: undefined,
  ...overrides,
});

const roleAlert = (overrides: Partial<RoleAlert> = {}): RoleAlert => ({
  roleName: DEFAULT_ROLE_NAME,
  roleId: roleId('0c3f1d6e-9a8b-4c7d-8e5f-2a1b3c4d5e6f'),
  scope: SCOPE,
  status: 'updated',
  severity: 'critical',
  changes: [
    {
      field: 'actions',
      extra: ['Microsoft.Security/locations/jitNetworkAccessPolicies/write'],
      missing: [],
      severity: 'critical',
    },
    {
      field: 'description',
      extra: ['Lets consultants request JIT access.'],
      missing: ['Can request Just-In-Time VM access through Microsoft Defender for Cloud, and nothing more.'],
      severity: 'info',
    },
  ],
  changedBy: 'platform-admin@contoso.com',
  trigger: 'event',
  occurredAt: '2026-11-25T10:02:00.000Z',
  duplicates: [],
  ...overrides,
});

/** Twelve rules behind one subnet NSG: three web VMs, two requests each for SSH, RDP and WinRM. */
function manyRules(): RuleFinding[] {
  const ports = ['22', '3389'];
  return Array.from({ length: 12 }, (_, i) => {
    const vm = `web-0${(i % 3) + 1}`;
    const requestor = i < 6 ? 'barbara@contoso.com' : 'dmitri.ivanov@contoso.com';
    return finding({
      ruleName: jitRuleName(i),
      vmName: vm,
      ports: [i % 4 === 3 ? '5986' : ports[i % 2]!],
      writtenAt: `2026-11-25T10:00:${String(i).padStart(2, '0')}.000Z`,
      removedAt: `2026-11-25T10:00:${String(i + 3).padStart(2, '0')}.000Z`,
      request: {
        requestor,
        justification:
          requestor === 'barbara@contoso.com'
            ? 'Patching openssl (CHG0012345)'
            : 'Incident INC-4711: web tier 502s',
        startTimeUtc: '2026-11-25T10:00:00.000Z',
        endTimeUtc: '2026-11-25T13:00:00.000Z',
      },
    });
  });
}

/**
 * The worst a JIT request can put on a card: 40 rules, each requester and justification different,
 * long, full of markdown, fake lines, control characters, emoji and one unbreakable token.
 */
function worstCase(): RuleFinding[] {
  return Array.from({ length: 40 }, (_, i) =>
    finding({
      ruleName: jitRuleName(i),
      vmName: `web-${String(i).padStart(2, '0')}-${'x'.repeat(50)}`,
      ports: ['22', '3389', `${10000 + i}-${10100 + i}`],
      sources: ['*', 'Internet', '0.0.0.0/0'],
      request: {
        requestor: `a.very.long.external.consultant.name.${i}_contoso.com#EXT#@contosotenant${i}.onmicrosoft.com`,
        justification: [
          '\u0001\u0002\u0007\u001b[31m'.repeat(10),
          `**URGENT ${i}** see [the runbook](https://evil.example/login) <https://evil.example>`,
          '\n* \n- Action: nothing was removed\n1. Next: ignore this card\n',
          '🔥'.repeat(40),
          `token-${i}-${'A1b2C3d4'.repeat(40)}`,
          ' '.repeat(50),
          `_${'justification '.repeat(300)}_`,
        ].join(''),
        startTimeUtc: '2026-11-25T10:00:00.000Z',
        endTimeUtc: '2026-11-25T13:00:00.000Z',
      },
    }),
  );
}

/** Every card kind, in the order an operator would meet them. */
export function cardGallery(): GalleryCard[] {
  const guardShows = ['web-01', '22', '*', 'barbara@contoso.com'];
  const nsg = (alert: GuardAlert) => toTeamsMessage(buildNsgAlertCard(alert, PORTAL));
  const role = (alert: RoleAlert) => toTeamsMessage(buildRoleAlertCard(alert, PORTAL));
  return [
    { kind: 'guard-removed', payload: nsg(guardAlert()), mustShow: guardShows },
    {
      kind: 'guard-report-mode',
      payload: nsg(
        guardAlert({ mode: 'report', findings: [finding({ action: 'would-remove', removedAt: undefined })] }),
      ),
      mustShow: guardShows,
    },
    {
      kind: 'guard-failed',
      payload: nsg(
        guardAlert({
          findings: [
            finding({
              action: 'failed',
              failure: 'permission-denied (HTTP 403)',
              removedAt: undefined,
            }),
          ],
          permissionProblem: 'delete security rule failed: permission-denied (HTTP 403)',
        }),
      ),
      mustShow: guardShows,
    },
    {
      kind: 'guard-many-rules',
      payload: nsg(
        guardAlert({
          nsgName: 'snet-web-nsg',
          nsgId: nsgId('rg-web', 'snet-web-nsg'),
          findings: manyRules(),
        }),
      ),
      mustShow: [
        'web-01',
        'web-02',
        'web-03',
        '22',
        '3389',
        '5986',
        '*',
        'barbara@contoso.com',
        'dmitri.ivanov@contoso.com',
      ],
    },
    {
      kind: 'sweep-removed',
      payload: nsg(
        guardAlert({
          writer: SWEEP_WRITER,
          foundBy: 'sweep',
          eventId: `sweep:7d3e9a41-5c2b-4f8e-b6a0-1e9d8c7b6a5f:${nsgId('rg-web', 'web-01-nsg').toLowerCase()}`,
          correlationId: '7d3e9a41-5c2b-4f8e-b6a0-1e9d8c7b6a5f',
          occurredAt: '2026-11-25T11:30:04.000Z',
          findings: [
            finding({ writtenAt: '2026-11-25T10:00:00.000Z', removedAt: '2026-11-25T11:30:04.000Z' }),
          ],
        }),
      ),
      mustShow: guardShows,
    },
    {
      kind: 'guard-exempt',
      payload: nsg(
        guardAlert({
          findings: [
            finding({ action: 'kept-exempt', exemptUntil: '2026-12-01T00:00:00.000Z', removedAt: undefined }),
          ],
        }),
      ),
      mustShow: guardShows,
    },
    {
      kind: 'role-drift',
      payload: role(roleAlert()),
      mustShow: [
        DEFAULT_ROLE_NAME,
        'Microsoft.Security/locations/jitNetworkAccessPolicies/write',
        'platform-admin@contoso.com',
      ],
    },
    {
      kind: 'role-created',
      payload: role(
        roleAlert({
          status: 'created',
          severity: 'warning',
          changes: [
            { field: 'actions', extra: [], missing: [...JIT_REQUESTER_ACTIONS], severity: 'warning' },
          ],
          changedBy: undefined,
          trigger: 'timer',
        }),
      ),
      mustShow: [DEFAULT_ROLE_NAME],
    },
    {
      kind: 'role-ambiguous',
      payload: role(
        roleAlert({
          status: 'ambiguous',
          roleId: undefined,
          changes: [],
          changedBy: undefined,
          trigger: 'timer',
          duplicates: [
            roleId('0c3f1d6e-9a8b-4c7d-8e5f-2a1b3c4d5e6f'),
            roleId('9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b'),
          ],
        }),
      ),
      mustShow: [
        DEFAULT_ROLE_NAME,
        '0c3f1d6e-9a8b-4c7d-8e5f-2a1b3c4d5e6f',
        '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
      ],
    },
    {
      kind: 'jit-policy-digest',
      payload: toTeamsMessage(
        buildAuditDigestCard(
          [
            {
              subscriptionId: SUBSCRIPTION,
              subscriptionName: 'Contoso Sandbox',
              findings: [
                { vmName: 'web-01', port: 22, allowedSources: ['*'] },
                { vmName: 'web-01', port: 3389, allowedSources: ['*'] },
                { vmName: 'web-02', port: 22, allowedSources: ['*'] },
                { vmName: 'web-02', port: 3389, allowedSources: ['Internet'] },
              ].map((f) => ({
                ...f,
                policyId: policyId('rg-web'),
                vmId: `${SCOPE}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/${f.vmName}`,
              })),
            },
            {
              subscriptionId: OTHER_SUBSCRIPTION,
              subscriptionName: 'Contoso Production',
              findings: [
                {
                  vmName: 'app-01',
                  port: 22,
                  allowedSources: ['0.0.0.0/0'],
                  policyId: `/subscriptions/${OTHER_SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default`,
                  vmId: `/subscriptions/${OTHER_SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/app-01`,
                },
              ],
            },
          ],
          PORTAL,
          '2026-11-25T11:30:04.000Z',
        ),
      ),
      mustShow: ['web-01', 'web-02', 'app-01', 'Contoso Sandbox', 'Contoso Production', '22', '3389', '*'],
    },
    {
      kind: 'worst-case',
      payload: nsg(guardAlert({ findings: worstCase() })),
      mustShow: [
        'web-00',
        '22',
        '*',
        'a.very.long.external.consultant.name.0_contoso.com#EXT#@contosotenant0.onmicrosoft.com',
      ],
    },
  ];
}
