import { beforeAll, describe, expect, it } from 'vitest';
import guardPermissions from '../../src/config/guard-permissions.json' with { type: 'json' };
import jitRequester from '../../src/config/jit-requester-actions.json' with { type: 'json' };
import reconcilerPermissions from '../../src/config/reconciler-permissions.json' with { type: 'json' };
import { DEFAULT_ROLE_NAME, JIT_REQUESTER_ACTIONS } from '../../src/lib/role/desiredRole.js';
import { TENANT_ID, innerTemplate, type JsonObject } from '../support/armTemplate.js';
import { compileApp, registrationsOf, type HostView } from '../support/hostRegistrations.js';
import { ROLE_DEFINITION_ALIASES, effectOn, fieldsOf, roleDefinitionRequest } from './azurePolicy.js';
import {
  APPS,
  GUID,
  PRINCIPALS,
  SUBSCRIPTION_ID,
  deployedIn,
  evaluateIn,
  module,
  plan,
  resourceIn,
  roleAssignments,
  settingsOf,
  type AppSymbol,
  type Choices,
} from './deployment.js';

/**
 * Every built-in role the template assigns, and what it grants, as Microsoft's built-in roles
 * reference (learn.microsoft.com/azure/role-based-access-control/built-in-roles) lists it. A role id
 * not in this table fails the inventory below, so a new assignment has to be looked at here first.
 */
const BUILT_IN_ROLES: Record<string, { name: string; actions: string[]; dataActions: string[] }> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': {
    name: 'Storage Blob Data Owner',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/*',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'],
  },
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': {
    name: 'Storage Blob Data Contributor',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    dataActions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
    ],
  },
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': {
    name: 'Storage Queue Data Contributor',
    actions: [
      'Microsoft.Storage/storageAccounts/queueServices/queues/delete',
      'Microsoft.Storage/storageAccounts/queueServices/queues/read',
      'Microsoft.Storage/storageAccounts/queueServices/queues/write',
    ],
    dataActions: [
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write',
      'Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action',
    ],
  },
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': {
    name: 'Storage Table Data Contributor',
    actions: [
      'Microsoft.Storage/storageAccounts/tableServices/tables/read',
      'Microsoft.Storage/storageAccounts/tableServices/tables/write',
      'Microsoft.Storage/storageAccounts/tableServices/tables/delete',
    ],
    dataActions: [
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/write',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/add/action',
      'Microsoft.Storage/storageAccounts/tableServices/tables/entities/update/action',
    ],
  },
  '4633458b-17de-408a-b874-0445c86b69e6': {
    name: 'Key Vault Secrets User',
    actions: [],
    dataActions: [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ],
  },
  '3913510d-42f4-4e42-8a64-420c390055eb': {
    name: 'Monitoring Metrics Publisher',
    actions: [
      'Microsoft.Insights/Register/Action',
      'Microsoft.Support/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
    ],
    dataActions: ['Microsoft.Insights/Metrics/Write', 'Microsoft.Insights/Telemetry/Write'],
  },
};

/** Roles that can grant access or do anything: none may ever be assigned by this template. */
const PRIVILEGED_ROLES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
};

type Identity = keyof typeof PRINCIPALS;

interface Grant {
  readonly identity: Identity;
  readonly roleId: string;
  readonly roleName: string;
  readonly scope: string;
  readonly actions: readonly string[];
  readonly dataActions: readonly string[];
}

/** Whose principal an assignment names: an app module's own identity, or a stubbed module output. */
function identityOf(symbol: string, principalId: string): Identity {
  if (principalId === '<reference(identity).principalId>') {
    if (symbol === 'guardApp') return 'guard';
    if (symbol === 'reconcilerApp') return 'reconciler';
  }
  const found = (Object.entries(PRINCIPALS) as [Identity, string][]).find(([, id]) => id === principalId);
  if (!found) throw new Error(`${symbol}: an assignment to an unknown principal ${principalId}`);
  return found[0];
}

/** Every role assignment the template makes, with what its role grants. */
function inventory(given: Choices = {}): Grant[] {
  const planned = plan(given);
  return roleAssignments().flatMap(({ symbol, resource }) =>
    planned[symbol]!.copies.flatMap((copy) =>
      deployedIn(symbol, resource, given, copy.subscriptionId ?? GUID).map((assignment) =>
        grantOf(symbol, assignment, copy.subscriptionId),
      ),
    ),
  );

  function grantOf(symbol: string, assignment: JsonObject, subscriptionId: string | null): Grant {
    const properties = assignment.properties as JsonObject;
    const identity = identityOf(symbol, String(properties.principalId));
    const roleRef = String(properties.roleDefinitionId);
    const home = subscriptionId ? `/subscriptions/${subscriptionId}` : SUBSCRIPTION_ID;
    const scope = String(assignment.scope ?? `${home} (subscription)`);
    const builtIn =
      /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/.exec(
        roleRef,
      );
    if (builtIn) {
      const role = BUILT_IN_ROLES[builtIn[1]!];
      if (!role) throw new Error(`${symbol}: built-in role ${builtIn[1]} is not in the table`);
      return { identity, roleId: builtIn[1]!, roleName: role.name, scope, ...role };
    }
    // A custom role: one the template defines (dutyRole.bicep), assigned where it is defined or in a
    // further subscription where it is assignable, and named there by that subscription's id for it.
    const definer = Object.values(planned).find(
      (m) =>
        'actions' in m.parameters &&
        roleRef ===
          `${home}/providers/Microsoft.Authorization/roleDefinitions/${String(m.parameters.roleDefinitionName)}`,
    );
    if (!definer) throw new Error(`${symbol}: a role this template does not define: ${roleRef}`);
    return {
      identity,
      roleId: String(definer.parameters.roleDefinitionName),
      roleName: String(definer.parameters.roleName),
      scope,
      actions: definer.parameters.actions as string[],
      dataActions: [],
    };
  }
}

const grantsOf = (identity: Identity, given: Choices = {}) =>
  inventory(given).filter((g) => g.identity === identity);
const everyAction = (grants: readonly Grant[]) => grants.flatMap((g) => [...g.actions, ...g.dataActions]);
const isWildcardAll = (action: string) => action === '*' || action.startsWith('*/');
const authorizationWrite = (action: string) =>
  /^microsoft\.authorization\//i.test(action) && !/\/read$/i.test(action);
const networkWrite = (action: string) => /^microsoft\.network\//i.test(action) && !/\/read$/i.test(action);
const writeOrDelete = (action: string) => /\/(write|delete|action)$/i.test(action) || action.includes('*');

describe('two apps from one package, two identities', () => {
  let entry: string;
  const registered: Partial<Record<AppSymbol, HostView>> = {};
  beforeAll(async () => {
    entry = await compileApp();
    for (const app of APPS)
      registered[app] = await registrationsOf(entry, { GUARDRAIL_DUTY: settingsOf(app).GUARDRAIL_DUTY! });
  }, 60_000);

  it('deploys two function apps from the same module, each with its own identity, plan and storage account', () => {
    const planned = plan();
    const [guard, reconciler] = APPS.map((app) => planned[app]!);
    expect(JSON.stringify(innerTemplate(module('guardApp')))).toBe(
      JSON.stringify(innerTemplate(module('reconcilerApp'))),
    );
    for (const name of ['functionAppName', 'identityName', 'planName', 'storageName'])
      expect(guard!.parameters[name], name).not.toBe(reconciler!.parameters[name]);
    expect([guard!.parameters.duty, reconciler!.parameters.duty]).toEqual(['guard', 'reconcile']);
    // Each site runs as the identity its own module creates, and as nothing else.
    const site = resourceIn('guardApp', 'Microsoft.Web/sites');
    expect(site.raw.identity).toEqual({
      type: 'UserAssigned',
      userAssignedIdentities: {
        "[format('{0}', resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName')))]":
          {},
      },
    });
    expect(new Set(Object.values(PRINCIPALS)).size).toBe(3);
    expect(planned.guardRole!.parameters.principalId).toBe(PRINCIPALS.guard);
    expect(planned.reconcilerRole!.parameters.principalId).toBe(PRINCIPALS.reconciler);
  });

  it("registers in each app exactly its duty's functions, and the ones its event subscription delivers to", () => {
    const names = (app: AppSymbol) => registered[app]!.functions.map((f) => f.name).sort();
    expect(names('guardApp')).toEqual(['guard', 'outboxTimer', 'sweepTimer']);
    expect(names('reconcilerApp')).toEqual(['outboxTimer', 'reconcile', 'reconcileTimer', 'roleEvents']);
    const destinations = deployedIn(
      'events',
      resourceIn('events', 'Microsoft.EventGrid/systemTopics/eventSubscriptions'),
      { deployEventSubscription: true },
    ).map(
      (s) =>
        (s.properties as { destination: { properties: { resourceId: string } } }).destination.properties
          .resourceId,
    );
    expect(destinations).toEqual([
      expect.stringMatching(/,func-guardrail-x,guard\)>$/),
      expect.stringMatching(/,func-reconciler-x,roleEvents\)>$/),
    ]);
    expect(names('guardApp')).toContain('guard');
    expect(names('reconcilerApp')).toContain('roleEvents');
  });

  it('the guard app serves no HTTP function, so it needs no App Service Authentication', () => {
    const triggers = registered.guardApp!.functions.flatMap((f) =>
      Object.values(f.bindings).map((b) => String(b.type)),
    );
    expect(triggers).not.toContain('httpTrigger');
    const auth = resourceIn('guardApp', 'Microsoft.Web/sites/config');
    expect(evaluateIn('guardApp', auth.raw.condition!)).toBe(false);
    expect(evaluateIn('reconcilerApp', auth.raw.condition!)).toBe(true);
  });
});

describe('least privilege, over every role assignment in the template', () => {
  it('attributes every assignment to one of the three identities, and every built-in role to the table', () => {
    const grants = inventory();
    expect(grants.length).toBeGreaterThan(0);
    expect(new Set(grants.map((g) => g.identity))).toEqual(new Set(['guard', 'reconciler', 'events']));
    expect(grants.map((g) => `${g.identity}: ${g.roleName}`).sort()).toEqual(
      [
        'events: Storage Blob Data Contributor',
        'events: Storage Blob Data Contributor',
        `guard: ${guardPermissions.roleName} (${/\(([a-z0-9]{13})\)$/.exec(plan().guardRole!.parameters.roleName as string)![1]})`,
        'guard: Key Vault Secrets User',
        'guard: Monitoring Metrics Publisher',
        'guard: Storage Blob Data Owner',
        'guard: Storage Queue Data Contributor',
        'guard: Storage Table Data Contributor',
        `reconciler: ${reconcilerPermissions.roleName} (${/\(([a-z0-9]{13})\)$/.exec(plan().reconcilerRole!.parameters.roleName as string)![1]})`,
        'reconciler: Key Vault Secrets User',
        'reconciler: Monitoring Metrics Publisher',
        'reconciler: Storage Blob Data Owner',
        'reconciler: Storage Queue Data Contributor',
        'reconciler: Storage Table Data Contributor',
      ].sort(),
    );
  });

  it('no identity holds Owner, Contributor, User Access Administrator or RBAC Administrator', () => {
    for (const mode of ['enforce', 'report'])
      for (const grant of inventory({ guardrailMode: mode }))
        expect(PRIVILEGED_ROLES[grant.roleId], `${grant.identity}: ${grant.roleName}`).toBeUndefined();
  });

  it('the guard identity holds no Microsoft.Authorization write and no * across all its role assignments', () => {
    for (const mode of ['enforce', 'report']) {
      const actions = everyAction(grantsOf('guard', { guardrailMode: mode }));
      expect(actions.filter(authorizationWrite), mode).toEqual([]);
      expect(actions.filter(isWildcardAll), mode).toEqual([]);
      expect(
        actions.filter((a) => /^microsoft\.authorization\//i.test(a)),
        mode,
      ).toEqual([]);
    }
  });

  it('the reconciler identity holds no Microsoft.Network write or delete, and no *', () => {
    for (const mode of ['enforce', 'report']) {
      const actions = everyAction(grantsOf('reconciler', { guardrailMode: mode }));
      expect(actions.filter(networkWrite), mode).toEqual([]);
      expect(actions.filter(isWildcardAll), mode).toEqual([]);
      expect(
        actions.filter((a) => /^microsoft\.network\//i.test(a)),
        mode,
      ).toEqual([]);
    }
  });

  it('report mode grants neither write: the guard cannot delete a rule, the reconciler cannot write a role', () => {
    const custom = (given: Choices) => ({
      guard: plan(given).guardRole!.parameters.actions as string[],
      reconciler: plan(given).reconcilerRole!.parameters.actions as string[],
    });
    const report = custom({ guardrailMode: 'report' });
    expect(report.guard.filter(writeOrDelete)).toEqual([]);
    expect(report.reconciler.filter(writeOrDelete)).toEqual([]);
    expect(report.guard).toEqual(guardPermissions.actions.filter((a) => a.endsWith('/read')));
    expect(report.reconciler).toEqual(['Microsoft.Authorization/roleDefinitions/read']);
    const enforce = custom({ guardrailMode: 'enforce' });
    expect(enforce.guard.filter(writeOrDelete)).toEqual([
      'Microsoft.Network/networkSecurityGroups/securityRules/delete',
    ]);
    expect(enforce.reconciler.filter(writeOrDelete)).toEqual([
      'Microsoft.Authorization/roleDefinitions/write',
    ]);
  });

  it('each further listed subscription grants the guard its own role and nothing else, to nobody else', () => {
    const further = ['22222222-0000-4000-8000-000000000002', '33333333-0000-4000-8000-000000000003'];
    for (const guardrailMode of ['report', 'enforce']) {
      const given = { guardrailMode, guardedSubscriptions: further.join(' ') };
      const elsewhere = inventory(given).filter((g) => further.some((id) => g.scope.includes(id)));
      const guardRole = plan(given).guardRole!.parameters;
      expect(elsewhere).toEqual(
        further.map((id) => ({
          identity: 'guard',
          roleId: guardRole.roleDefinitionName,
          roleName: guardRole.roleName,
          scope: `/subscriptions/${id} (subscription)`,
          actions: guardRole.actions,
          dataActions: [],
        })),
      );
      if (guardrailMode === 'report') expect(elsewhere[0]!.actions.filter(writeOrDelete)).toEqual([]);
    }
  });

  it("the system topic's identity holds only Storage Blob Data Contributor, on the two dead-letter containers", () => {
    const grants = grantsOf('events');
    const planned = plan();
    expect(grants.map((g) => g.scope).sort()).toEqual(
      APPS.map(
        (app) =>
          `<resourceId(Microsoft.Storage/storageAccounts/blobServices/containers,${String(planned[app]!.parameters.storageName)},default,eventgrid-deadletter)>`,
      ).sort(),
    );
    for (const grant of grants) expect(grant.roleName).toBe('Storage Blob Data Contributor');
  });

  it('each app identity reads the webhook secret (not the vault), and has data access to its own storage account only', () => {
    const planned = plan();
    for (const [identity, app] of [
      ['guard', 'guardApp'],
      ['reconciler', 'reconcilerApp'],
    ] as const) {
      const other = app === 'guardApp' ? 'reconcilerApp' : 'guardApp';
      const grants = grantsOf(identity);
      const secret = grants.filter((g) => g.roleName === 'Key Vault Secrets User');
      expect(secret.map((g) => g.scope)).toEqual([
        `<resourceId(Microsoft.KeyVault/vaults/secrets,${String(planned[app]!.parameters.keyVaultName)},teams-webhook-url)>`,
      ]);
      const storage = grants.filter((g) => g.roleName.startsWith('Storage '));
      for (const grant of storage)
        expect(grant.scope).toBe(
          `<resourceId(Microsoft.Storage/storageAccounts,${String(planned[app]!.parameters.storageName)})>`,
        );
      expect(grants.some((g) => g.scope.includes(String(planned[other]!.parameters.storageName)))).toBe(
        false,
      );
      // The custom role is the only grant at subscription scope.
      expect(grants.filter((g) => g.scope.endsWith('(subscription)'))).toHaveLength(1);
    }
  });
});

describe('watching the writer from outside: an activity log alert on every role-definition write', () => {
  const alert = resourceIn('shared', 'Microsoft.Insights/activityLogAlerts');
  const actionGroup = resourceIn('shared', 'Microsoft.Insights/actionGroups');
  const deployed = (given: Choices = {}) => deployedIn('shared', alert, given)[0]!;

  it('exists and is enabled, across the whole subscription, for every custom role written or deleted', () => {
    const { location, properties } = deployed();
    expect(location).toBe('global');
    expect(properties).toMatchObject({ enabled: true, scopes: [SUBSCRIPTION_ID] });
    const condition = (properties as JsonObject).condition as { allOf: JsonObject[] };
    expect(condition.allOf).toContainEqual({ field: 'category', equals: 'Administrative' });
    expect(condition.allOf).toContainEqual({
      anyOf: [
        { field: 'operationName', equals: 'Microsoft.Authorization/roleDefinitions/write' },
        { field: 'operationName', equals: 'Microsoft.Authorization/roleDefinitions/delete' },
      ],
    });
    // Not narrowed to the guardrail's own roles: the reconciler's identity may write any custom role.
    const fields = fieldsOf(condition as unknown as JsonObject);
    for (const narrowing of ['resourceId', 'resourceGroup', 'resourceType', 'caller'])
      expect(fields).not.toContain(narrowing);
  });

  it('mails GUARDRAIL_ALERT_EMAIL through an action group; without one the alert stays, with no action group', () => {
    const given = { alertEmail: 'secops@contoso.com' };
    expect(evaluateIn('shared', actionGroup.raw.condition!, given)).toBe(true);
    expect(deployedIn('shared', actionGroup, given)[0]!.properties).toMatchObject({
      enabled: true,
      emailReceivers: [{ emailAddress: 'secops@contoso.com', useCommonAlertSchema: true }],
    });
    expect(((deployed(given).properties as JsonObject).actions as JsonObject).actionGroups).toEqual([
      {
        actionGroupId: expect.stringMatching(/^<resourceId\(Microsoft\.Insights\/actionGroups,ag-guardrail-/),
      },
    ]);
    expect(evaluateIn('shared', actionGroup.raw.condition!)).toBe(false);
    expect(deployed().properties).toMatchObject({ enabled: true, actions: { actionGroups: [] } });
  });
});

describe('defence in depth: Azure Policy refuses widening the roles the guardrail owns', () => {
  const definition = resourceIn('ownedRolesPolicy', 'Microsoft.Authorization/policyDefinitions');
  const policyRule = (given: Choices = {}) =>
    (deployedIn('ownedRolesPolicy', definition, given)[0]!.properties as JsonObject).policyRule as JsonObject;
  const names = (given: Choices = {}) => {
    const planned = plan(given);
    return {
      guard: {
        id: String(planned.guardRole!.parameters.roleDefinitionName),
        name: String(planned.guardRole!.parameters.roleName),
      },
      reconciler: {
        id: String(planned.reconcilerRole!.parameters.roleDefinitionName),
        name: String(planned.reconcilerRole!.parameters.roleName),
      },
    };
  };
  const REQUESTER_ID = '0d0e0f00-0000-5000-8000-000000000001';

  it('takes the JIT requester allow-list from the file the code reads (desiredRole.ts), with its default name', () => {
    expect(jitRequester.actions).toEqual([...JIT_REQUESTER_ACTIONS]);
    expect(jitRequester.defaultRoleName).toBe(DEFAULT_ROLE_NAME);
    expect(plan().ownedRolesPolicy!.parameters.ownedRoles).toEqual([
      { roleName: names().guard.name, definitionName: names().guard.id, actions: guardPermissions.actions },
      {
        roleName: names().reconciler.name,
        definitionName: names().reconciler.id,
        actions: reconcilerPermissions.actions,
      },
      { roleName: DEFAULT_ROLE_NAME, definitionName: '', actions: jitRequester.actions },
    ]);
  });

  it('names only role-definition aliases Azure publishes, and is assigned to the subscription with Deny in force', () => {
    const rule = policyRule();
    for (const field of fieldsOf(rule))
      expect(['type', 'name', ...Object.keys(ROLE_DEFINITION_ALIASES)], field).toContain(field);
    expect(rule.then).toEqual({ effect: 'deny' });
    const assignment = deployedIn(
      'ownedRolesPolicy',
      resourceIn('ownedRolesPolicy', 'Microsoft.Authorization/policyAssignments'),
    )[0]!;
    expect(assignment.properties).toMatchObject({
      enforcementMode: 'Default',
      policyDefinitionId: expect.stringMatching(
        /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/policyDefinitions\/jit-guardrail-owned-roles-/,
      ),
    });
    expect(assignment.scope).toBeUndefined(); // the module's scope: the subscription
  });

  it('denies widening the guard, reconciler or JIT requester role, and allows each exactly as defined', () => {
    const rule = policyRule();
    const { guard, reconciler } = names();
    const deny = (request: JsonObject) => effectOn(rule, request);
    const asDefined = [
      roleDefinitionRequest(guard.id, guard.name, [{ actions: guardPermissions.actions }]),
      roleDefinitionRequest(reconciler.id, reconciler.name, [{ actions: reconcilerPermissions.actions }]),
      roleDefinitionRequest(REQUESTER_ID, DEFAULT_ROLE_NAME, [{ actions: jitRequester.actions }]),
      // Report mode's narrower roles, a case change (ARM matches actions without case), a notAction.
      roleDefinitionRequest(guard.id, guard.name, [
        { actions: guardPermissions.actions.filter((a) => a.endsWith('/read')) },
      ]),
      roleDefinitionRequest(reconciler.id, reconciler.name.toUpperCase(), [
        { actions: reconcilerPermissions.actions.map((a) => a.toLowerCase()) },
      ]),
      roleDefinitionRequest(REQUESTER_ID, DEFAULT_ROLE_NAME, [
        { actions: jitRequester.actions, notActions: ['Microsoft.Compute/virtualMachines/read'] },
      ]),
    ];
    for (const request of asDefined) expect(deny(request), JSON.stringify(request)).toBeUndefined();

    const widened = [
      roleDefinitionRequest(guard.id, guard.name, [{ actions: [...guardPermissions.actions, '*'] }]),
      roleDefinitionRequest(guard.id, guard.name, [
        { actions: guardPermissions.actions },
        { actions: ['Microsoft.Authorization/roleAssignments/write'] },
      ]),
      roleDefinitionRequest(reconciler.id, reconciler.name, [
        { actions: [...reconcilerPermissions.actions, 'Microsoft.Authorization/*'] },
      ]),
      roleDefinitionRequest(reconciler.id, reconciler.name, [
        { actions: reconcilerPermissions.actions, dataActions: ['Microsoft.KeyVault/vaults/secrets/*'] },
      ]),
      roleDefinitionRequest(REQUESTER_ID, DEFAULT_ROLE_NAME, [
        { actions: [...jitRequester.actions, 'Microsoft.Security/locations/jitNetworkAccessPolicies/write'] },
      ]),
      roleDefinitionRequest(REQUESTER_ID, DEFAULT_ROLE_NAME.toLowerCase(), [{ actions: ['*'] }]),
      // Renamed in the same write: the guard's and reconciler's roles are also known by their GUID.
      roleDefinitionRequest(guard.id, 'Harmless Reader', [{ actions: ['*'] }]),
      roleDefinitionRequest(reconciler.id, 'Harmless Reader', [{ actions: ['*/write'] }]),
    ];
    for (const request of widened) expect(deny(request), JSON.stringify(request)).toBe('deny');
  });

  it('follows GUARDRAIL_ROLE_NAME, and leaves other custom roles to the alert', () => {
    const rule = policyRule({ roleName: '  JIT requester (contoso) ' });
    expect(
      effectOn(rule, roleDefinitionRequest(REQUESTER_ID, 'JIT requester (contoso)', [{ actions: ['*'] }])),
    ).toBe('deny');
    expect(
      effectOn(
        rule,
        roleDefinitionRequest('99999999-0000-4000-8000-000000000000', 'Contoso Operator', [
          { actions: ['*'] },
        ]),
      ),
    ).toBeUndefined();
    expect(
      effectOn(rule, {
        ...roleDefinitionRequest(GUID, 'x', []),
        type: 'Microsoft.Authorization/roleAssignments',
      }),
    ).toBeUndefined();
  });
});

describe('App Service Authentication in front of the reconciler', () => {
  const auth = resourceIn('reconcilerApp', 'Microsoft.Web/sites/config');
  const settings = (given: Choices = {}) => deployedIn('reconcilerApp', auth, given)[0]!;
  const CLIENT_ID = '0a1b2c3d-0000-4000-8000-00000000000c';

  it('requires authentication, answers 401, and leaves only the Event Grid webhook path to the host key', () => {
    const deployed = settings({ adminClientId: CLIENT_ID });
    expect(deployed.name).toMatch(/\/authsettingsV2$/);
    expect(deployed.properties).toMatchObject({
      platform: { enabled: true },
      globalValidation: { requireAuthentication: true, unauthenticatedClientAction: 'Return401' },
      identityProviders: {
        azureActiveDirectory: {
          enabled: true,
          registration: {
            clientId: CLIENT_ID,
            openIdIssuer: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
          },
          validation: { allowedAudiences: [`api://${CLIENT_ID}`, CLIENT_ID] },
        },
      },
    });
    const excluded = ((deployed.properties as JsonObject).globalValidation as { excludedPaths: string[] })
      .excludedPaths;
    expect(excluded).toContain('/runtime/webhooks/eventgrid');
    // Nothing else: the reconcile endpoint (/api/reconcile) and the host's own routes stay behind it.
    expect(new Set(excluded.map((p) => p.toLowerCase()))).toEqual(new Set(['/runtime/webhooks/eventgrid']));
  });

  it('without GUARDRAIL_ADMIN_CLIENT_ID the provider is off, so every authenticated route is refused (fail closed)', () => {
    const deployed = settings();
    expect(deployed.properties).toMatchObject({
      platform: { enabled: true },
      globalValidation: { requireAuthentication: true, unauthenticatedClientAction: 'Return401' },
      identityProviders: { azureActiveDirectory: { enabled: false } },
    });
    expect(JSON.stringify(deployed.properties)).not.toMatch(/AllowAnonymous|RedirectToLoginPage/);
  });
});
