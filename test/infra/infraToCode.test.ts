import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import guardPermissions from '../../src/config/guard-permissions.json' with { type: 'json' };
import reconcilerPermissions from '../../src/config/reconciler-permissions.json' with { type: 'json' };
import watched from '../../src/config/watched-operations.json' with { type: 'json' };
import type { ConfigError } from '../../src/config/settings.js';
import { loadConfig, SETTING_NAMES } from '../../src/config/settings.js';
import { reconcileRole } from '../../src/core/reconcileRole.js';
import { sweep } from '../../src/core/sweep.js';
import { silentLogger } from '../../src/core/logger.js';
import { parseGuardEvent } from '../../src/lib/events/parseGuardEvent.js';
import {
  RESOURCE_WRITE_SUCCESS,
  WATCHED_NSG_OPERATIONS,
  WATCHED_ROLE_OPERATIONS,
} from '../../src/lib/events/watchedOperations.js';
import { DEFAULT_ROLE_NAME } from '../../src/lib/role/desiredRole.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import { emulatorCredential, userPrincipal } from '../../sandbox/emulator/principal.js';
import { allResources, evaluateInModule, type JsonObject } from '../support/armTemplate.js';
import { fixture } from '../support/fixtures.js';
import { SUBSCRIPTION, TestWorld } from '../support/world.js';
import {
  APPS,
  CHOICES,
  GUID,
  STUB_OUTPUTS,
  deployedIn,
  evaluateIn,
  module,
  plan,
  resourceIn,
  settingsOf,
  template,
  type AppSymbol,
} from './deployment.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const HOST_SETTING = /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_)/;

/** What each duty reads, beyond the host's settings (src/config/duty.ts says which code runs where). */
const DUTY_SETTINGS: Record<AppSymbol, string[]> = {
  guardApp: [
    'AZURE_CLIENT_ID',
    'GUARDRAIL_DUTY',
    'GUARDRAIL_GUARDED_MANAGEMENT_GROUP',
    'GUARDRAIL_MODE',
    'GUARDRAIL_SUBSCRIPTION_ID',
    'GUARDRAIL_SWEEP_SCHEDULE',
    'GUARDRAIL_SWEEP_SUBSCRIPTIONS',
    'GUARDRAIL_TEAMS_WEBHOOK_URL',
  ],
  reconcilerApp: [
    'AZURE_CLIENT_ID',
    'GUARDRAIL_ADMIN_APP_ROLE',
    'GUARDRAIL_DUTY',
    'GUARDRAIL_MODE',
    'GUARDRAIL_RECONCILE_SCHEDULE',
    'GUARDRAIL_ROLE_ASSIGNABLE_SCOPES',
    'GUARDRAIL_ROLE_MANAGEMENT_GROUP',
    'GUARDRAIL_ROLE_NAME',
    'GUARDRAIL_SUBSCRIPTION_ID',
    'GUARDRAIL_TEAMS_WEBHOOK_URL',
  ],
};

/** An app's settings with the references resolved as Azure would resolve them. */
const resolved = (app: AppSymbol, given = {}) => {
  const settings = settingsOf(app, given);
  const account = plan(given)[app]!.parameters.storageName as string;
  return {
    ...settings,
    AZURE_CLIENT_ID: GUID,
    AzureWebJobsStorage__tableServiceUri: `https://${account}.table.core.windows.net/`,
    GUARDRAIL_TEAMS_WEBHOOK_URL: CHOICES.teamsWebhookUrl,
  };
};

describe('infra holds to code: each app gets exactly the settings its duty reads', () => {
  it('sets every setting the config schema requires, in both apps', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({});
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    const required = problems.map((p) => p.split(':')[0]!);
    expect(required).toEqual(['GUARDRAIL_SUBSCRIPTION_ID', 'GUARDRAIL_TEAMS_WEBHOOK_URL']);
    for (const app of APPS) for (const name of required) expect(Object.keys(settingsOf(app))).toContain(name);
  });

  it('sets nothing the app does not know, and nothing its duty does not read', () => {
    for (const app of APPS) {
      const names = Object.keys(settingsOf(app));
      for (const name of names) {
        expect((SETTING_NAMES as readonly string[]).includes(name) || HOST_SETTING.test(name), name).toBe(
          true,
        );
      }
      expect(names.filter((n) => !HOST_SETTING.test(n)).sort(), app).toEqual(DUTY_SETTINGS[app]);
    }
  });

  it('gives the guard a valid configuration: its own identity and tables, the webhook from Key Vault, duty guard', () => {
    const settings = settingsOf('guardApp');
    expect(settings).toMatchObject({
      GUARDRAIL_DUTY: 'guard',
      GUARDRAIL_SUBSCRIPTION_ID: GUID,
      GUARDRAIL_MODE: 'report',
      GUARDRAIL_TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=<reference(vault::webhook).secretUri>)',
      AZURE_CLIENT_ID: '<reference(identity).clientId>',
      AzureWebJobsStorage__clientId: '<reference(identity).clientId>',
      AzureWebJobsStorage__accountName: plan().guardApp!.parameters.storageName,
      AzureWebJobsStorage__tableServiceUri: '<reference(storage).primaryEndpoints.table>',
    });
    const site = resourceIn('guardApp', 'Microsoft.Web/sites');
    expect((site.raw.properties as JsonObject).keyVaultReferenceIdentity).toMatch(
      /^\[resourceId\('Microsoft\.ManagedIdentity\/userAssignedIdentities'/,
    );
    // With the references resolved as Azure would, the app's own schema accepts the whole set.
    const config = loadConfig(resolved('guardApp'));
    expect(config).toMatchObject({ duty: 'guard', mode: 'report', managedIdentityClientId: GUID });
    expect(config.storage).toEqual({
      kind: 'endpoint',
      url: `https://${plan().guardApp!.parameters.storageName as string}.table.core.windows.net/`,
    });
  });

  it('gives the reconciler a valid configuration: its own identity and tables, the JIT requester role, duty reconcile', () => {
    const settings = settingsOf('reconcilerApp');
    expect(settings).toMatchObject({
      GUARDRAIL_DUTY: 'reconcile',
      GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: `/subscriptions/${GUID}`,
      GUARDRAIL_ROLE_NAME: '',
      GUARDRAIL_ADMIN_APP_ROLE: '',
      AzureWebJobsStorage__accountName: plan().reconcilerApp!.parameters.storageName,
    });
    const config = loadConfig(resolved('reconcilerApp'));
    expect(config).toMatchObject({ duty: 'reconcile', mode: 'report', adminAppRole: 'Guardrail.Admin' });
    expect(config.role.desired).toMatchObject({
      roleName: DEFAULT_ROLE_NAME,
      assignableScopes: [`/subscriptions/${GUID}`],
    });
  });

  it('with GUARDRAIL_ROLE_MANAGEMENT_GROUP, keeps the requester role at that group, assignable there only', () => {
    const given = { roleManagementGroup: 'mg-contoso' };
    expect(settingsOf('reconcilerApp', given)).toMatchObject({
      GUARDRAIL_ROLE_MANAGEMENT_GROUP: 'mg-contoso',
      GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: '',
    });
    const config = loadConfig(resolved('reconcilerApp', given));
    const group = '/providers/Microsoft.Management/managementGroups/mg-contoso';
    expect(config.role.scope).toBe(group);
    expect(config.role.desired.assignableScopes).toEqual([group]);
    // A scope list beside it is passed on, and the app refuses it with a reason, rather than lose it.
    expect(() =>
      loadConfig(resolved('reconcilerApp', { ...given, roleAssignableScopes: `/subscriptions/${GUID}` })),
    ).toThrow(/assignable at that management group only/);
  });
});

describe('infra: every operator choice comes from the azd environment, so a deploy never changes it', () => {
  const parametersFile = JSON.parse(read('infra/main.parameters.json')) as {
    parameters: Record<string, { value: string }>;
  };
  const declared = template.parameters as Record<string, JsonObject>;
  const envVarOf = (parameter: string) =>
    /^\$\{([A-Z_]+)(=[^}]*)?\}$/.exec(parametersFile.parameters[parameter]?.value ?? '');
  const azureYaml = read('azure.yaml');
  const pipelineVariables = [...azureYaml.split('pipeline:')[1]!.matchAll(/^\s+- ([A-Z_]+)$/gm)].map(
    (m) => m[1]!,
  );
  const workflow = read('.github/workflows/deploy.yml');

  it('maps every template parameter to an azd environment value', () => {
    expect(Object.keys(parametersFile.parameters).sort()).toEqual(Object.keys(declared).sort());
    for (const name of Object.keys(declared)) expect(envVarOf(name), name).not.toBeNull();
  });

  it("GUARDRAIL_MODE has no default anywhere: the preprovision hook makes the operator's choice explicit", () => {
    expect(declared.guardrailMode).toMatchObject({ type: 'string', allowedValues: ['enforce', 'report'] });
    expect(declared.guardrailMode).not.toHaveProperty('defaultValue');
    expect(envVarOf('guardrailMode')?.[0]).toBe('${GUARDRAIL_MODE}');
    for (const app of APPS) {
      expect(settingsOf(app, { guardrailMode: 'report' }).GUARDRAIL_MODE).toBe('report');
      expect(settingsOf(app, { guardrailMode: 'enforce' }).GUARDRAIL_MODE).toBe('enforce');
    }
  });

  it('CI carries every GUARDRAIL_* choice: azd pipeline config copies it, the workflow passes it to azd', () => {
    const choices = Object.keys(declared)
      .map((name) => envVarOf(name)?.[1])
      .filter((v): v is string => !!v && v.startsWith('GUARDRAIL_'));
    expect(choices.length).toBeGreaterThanOrEqual(11);
    for (const name of ['GUARDRAIL_ALERT_EMAIL', 'GUARDRAIL_ADMIN_CLIENT_ID', 'GUARDRAIL_ADMIN_APP_ROLE'])
      expect(choices).toContain(name);
    for (const name of choices) {
      const secret = name === 'GUARDRAIL_TEAMS_WEBHOOK_URL';
      expect(pipelineVariables.includes(name), `azure.yaml pipeline lists ${name}`).toBe(true);
      expect(workflow, name).toContain(`${name}: \${{ ${secret ? 'secrets' : 'vars'}.${name} }}`);
    }
  });

  it('passes each optional choice through to the app whose duty reads it, empty meaning the app default', () => {
    const choices = {
      roleAssignableScopes: `/subscriptions/${GUID},/subscriptions/${GUID.replace('1111', '2222')}`,
      roleName: 'JIT requester (contoso)',
      reconcileSchedule: '0 */5 * * * *',
      sweepSchedule: '0 30 * * * *',
      adminAppRole: 'Contoso.GuardrailAdmin',
      guardedManagementGroup: 'contoso-lz',
    };
    const reconciler = settingsOf('reconcilerApp', choices);
    const guard = settingsOf('guardApp', choices);
    expect(loadConfig(resolved('reconcilerApp', choices))).toMatchObject({
      mode: 'report',
      adminAppRole: 'Contoso.GuardrailAdmin',
      role: { desired: { roleName: 'JIT requester (contoso)' } },
    });
    expect(loadConfig(resolved('guardApp', choices))).toMatchObject({
      mode: 'report',
      duty: 'guard',
      guardedManagementGroup: 'contoso-lz',
    });
    expect(reconciler).toMatchObject({
      GUARDRAIL_ROLE_NAME: 'JIT requester (contoso)',
      GUARDRAIL_RECONCILE_SCHEDULE: '0 */5 * * * *',
      GUARDRAIL_ADMIN_APP_ROLE: 'Contoso.GuardrailAdmin',
    });
    expect(guard).toMatchObject({ GUARDRAIL_SWEEP_SCHEDULE: '0 30 * * * *' });
    expect(guard).not.toHaveProperty('GUARDRAIL_ROLE_NAME');
    expect(reconciler).not.toHaveProperty('GUARDRAIL_SWEEP_SCHEDULE');
    expect(reconciler).not.toHaveProperty('GUARDRAIL_GUARDED_MANAGEMENT_GROUP');
    expect(settingsOf('reconcilerApp').GUARDRAIL_ROLE_NAME).toBe('');
  });
});

describe('infra: deploys that survive real life', () => {
  it('offers only regions with Flex Consumption, and azd prompts only those', () => {
    const regions = fixture<{ regions: string[] }>('azure/flex-consumption-regions.json').regions;
    const location = (template.parameters as Record<string, JsonObject>).location!;
    expect(location.allowedValues).toEqual(regions);
    expect(location.metadata).toMatchObject({ azd: { type: 'location' } });
    expect(() => plan({ location: 'westeurope' })).not.toThrow();
  });

  it('creates its own system topic by default, and reuses an existing one when told', () => {
    const fresh = plan({ deployEventSubscription: true });
    expect(fresh.systemTopic!.deploys).toBe(true);
    expect(fresh.events).toMatchObject({ deploys: true, resourceGroup: 'rg-guard-prod' });
    expect(fresh.events!.parameters.systemTopicName).toMatch(/^evgt-guardrail-/);

    const reused = plan({
      deployEventSubscription: true,
      existingSystemTopicName: 'contoso-subscription-events',
      existingSystemTopicResourceGroup: 'rg-platform',
    });
    expect(reused.systemTopic!.deploys).toBe(false);
    expect(reused.events).toMatchObject({
      deploys: true,
      resourceGroup: 'rg-platform',
      parameters: expect.objectContaining({
        systemTopicName: 'contoso-subscription-events',
        functionAppResourceGroup: 'rg-guard-prod',
        deliveryIdentityId: STUB_OUTPUTS.shared.eventsIdentityId,
      }),
    });
  });

  it('creates the event subscriptions only when the postdeploy hook asks, after the code exists', () => {
    expect(plan({}).events!.deploys).toBe(false);
    expect(plan({ deployEventSubscription: false }).events!.deploys).toBe(false);
    expect(plan({ deployEventSubscription: true }).events!.deploys).toBe(true);
  });

  it('names the Key Vault by generation, so `azd down` then `azd up` never meets its own soft-deleted vault', () => {
    const first = plan({}).shared!.parameters.keyVaultName as string;
    const next = plan({ keyVaultGeneration: 2 }).shared!.parameters.keyVaultName as string;
    expect(first).toMatch(/^kv-[a-z0-9]{13}-g1$/);
    expect(next).toBe(first.replace(/-g1$/, '-g2'));
    const last = plan({ keyVaultGeneration: 999 }).shared!.parameters.keyVaultName as string;
    expect(last.length).toBeLessThanOrEqual(24); // Key Vault names: 3-24 characters
    const generation = (template.parameters as Record<string, JsonObject>).keyVaultGeneration!;
    expect(generation).toMatchObject({ type: 'int', defaultValue: 1, minValue: 1, maxValue: 999 });
    const vault = resourceIn('shared', 'Microsoft.KeyVault/vaults');
    expect(vault.raw.properties).toMatchObject({ enableSoftDelete: true, enablePurgeProtection: true });
    // Both apps read the secret from the vault of this generation.
    for (const app of APPS) expect(plan({ keyVaultGeneration: 2 })[app]!.parameters.keyVaultName).toBe(next);
  });

  it('names each role assignment by principal, so a new identity after `azd down` gets a new one', () => {
    for (const symbol of ['guardRole', 'reconcilerRole']) {
      const assignment = resourceIn(symbol, 'Microsoft.Authorization/roleAssignments');
      const planned = plan({})[symbol]!;
      const nameFor = (principalId: string) =>
        evaluateInModule(
          module(symbol),
          { ...planned, parameters: { ...planned.parameters, principalId } },
          assignment.raw.name!,
          GUID,
        );
      // The assignment outlives `azd down` (subscription scope); ARM refuses a new principal under an old name.
      expect(nameFor('principal-a')).not.toEqual(nameFor('principal-b'));
    }
  });

  it('upgrades the single app in place: the guard keeps its names, so the old identity loses every role write', () => {
    const planned = plan({});
    expect(planned.guardApp!.parameters).toMatchObject({
      functionAppName: expect.stringMatching(/^func-guardrail-[a-z0-9]{13}$/),
      identityName: expect.stringMatching(/^id-guardrail-/),
      storageName: expect.stringMatching(/^stguard/),
    });
    const token = (planned.guardApp!.parameters.functionAppName as string).slice('func-guardrail-'.length);
    expect(planned.guardRole!.parameters.roleDefinitionName).toBe(
      `guid(/subscriptions/${GUID},jit-guardrail-role,${token})`,
    );
  });

  it('signs CI in with the federated credential `azd pipeline config` creates (branch main)', () => {
    const workflow = read('.github/workflows/deploy.yml');
    const deployJob = workflow.slice(workflow.indexOf('\n  deploy:'));
    // azd creates subjects repo:<owner>/<repo>:ref:refs/heads/<branch> and :pull_request only; a job
    // `environment:` would make the token's subject repo:<owner>/<repo>:environment:<name> (AADSTS700213).
    expect(deployJob).not.toMatch(/^\s+environment:/m);
    expect(workflow).toMatch(/on:\s+push:\s+branches: \[main\]/);
    expect(deployJob).toContain("if: github.ref == 'refs/heads/main'");
    expect(deployJob).toContain('--federated-credential-provider github');
    // Only the deploy job may ask for a token: the credential trusts any job on main, and the test
    // job runs third-party code (npm ci, the test suite).
    const testJob = workflow.slice(workflow.indexOf('\n  test:'), workflow.indexOf('\n  deploy:'));
    expect(workflow.slice(0, workflow.indexOf('\njobs:'))).not.toContain('id-token');
    expect(testJob).not.toContain('id-token');
    expect(deployJob).toMatch(/permissions:\s+id-token: write\s+contents: read/);
  });
});

describe('infra holds to code: the Event Grid filters', () => {
  const subscription = resourceIn('events', 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
  const deployed = () =>
    deployedIn('events', subscription, { deployEventSubscription: true }) as {
      name: string;
      properties: JsonObject;
    }[];

  it('filters on the very file the code reads, and the code accepts exactly those', async () => {
    // The compiler inlined src/config/watched-operations.json; the filters evaluate to that copy.
    const filters = deployed().map(
      (s) =>
        s.properties.filter as {
          includedEventTypes: string[];
          advancedFilters: { key: string; values: string[] }[];
        },
    );
    for (const filter of filters) expect(filter.includedEventTypes).toEqual(watched.eventTypes);
    expect(filters.map((f) => f.advancedFilters)).toEqual([
      [{ operatorType: 'StringIn', key: 'data.operationName', values: watched.nsgOperations }],
      [{ operatorType: 'StringIn', key: 'data.operationName', values: watched.roleOperations }],
    ]);
    expect([RESOURCE_WRITE_SUCCESS]).toEqual(watched.eventTypes);
    expect(WATCHED_NSG_OPERATIONS).toEqual(watched.nsgOperations);
    expect(WATCHED_ROLE_OPERATIONS).toEqual(watched.roleOperations);
    const [sample] = fixture<Record<string, unknown>[]>(
      'azure/eventgrid-resource-write-success.eventgrid.json',
    );
    const uri = (op: string) =>
      op.startsWith('Microsoft.Authorization')
        ? `/subscriptions/${GUID}/providers/Microsoft.Authorization/roleDefinitions/${GUID}`
        : `/subscriptions/${GUID}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n${op.includes('securityRules') ? '/securityRules/r' : ''}`;
    const kindOf = async (op: string) =>
      (
        await parseGuardEvent({
          ...sample,
          data: {
            ...(sample!.data as object),
            operationName: op,
            resourceUri: uri(op),
            subscriptionId: GUID,
          },
        })
      ).kind;
    for (const op of watched.nsgOperations) expect(await kindOf(op)).toMatch(/^nsg/);
    for (const op of watched.roleOperations) expect(await kindOf(op)).toBe('role-write');
    for (const op of [
      'Microsoft.Network/networkSecurityGroups/delete',
      'Microsoft.Authorization/roleAssignments/write',
    ])
      expect(await kindOf(op)).toBe('ignored');
  });

  it("retries, dead-letters with the topic's own identity into each app's storage, one event per invocation", () => {
    const [guard, roles] = deployed();
    const shape = (app: 'guard' | 'reconciler', fn: string, account: string) => ({
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
      eventDeliverySchema: 'EventGridSchema',
      destination: {
        endpointType: 'AzureFunction',
        properties: {
          resourceId: `<resourceId(${GUID},rg-guard-prod,Microsoft.Web/sites/functions,${STUB_OUTPUTS[`${app}App`].name},${fn})>`,
          maxEventsPerBatch: 1,
        },
      },
      deadLetterWithResourceIdentity: {
        identity: { type: 'UserAssigned', userAssignedIdentity: STUB_OUTPUTS.shared.eventsIdentityId },
        deadLetterDestination: {
          endpointType: 'StorageBlob',
          properties: {
            resourceId: `<resourceId(${GUID},rg-guard-prod,Microsoft.Storage/storageAccounts,${account})>`,
            blobContainerName: 'eventgrid-deadletter',
          },
        },
      },
    });
    expect(guard).toMatchObject({
      name: expect.stringMatching(/\/jit-guardrail-guard$/),
      properties: shape('guard', 'guard', STUB_OUTPUTS.guardApp.storageName),
    });
    expect(roles).toMatchObject({
      name: expect.stringMatching(/\/jit-guardrail-roles$/),
      properties: shape('reconciler', 'roleEvents', STUB_OUTPUTS.reconcilerApp.storageName),
    });
    const topic = resourceIn('systemTopic', 'Microsoft.EventGrid/systemTopics');
    expect(topic.raw.properties).toMatchObject({ topicType: 'Microsoft.Resources.Subscriptions' });
  });
});

/** The ARM action a request needs: provider, resource types, and read/write/delete/action. */
export function armActionOf(method: string, path: string): string {
  // A subscription itself has no provider segment: ARM authorizes it as Microsoft.Resources'.
  if (/^\/subscriptions\/[^/]+\/?$/i.test(path)) return `Microsoft.Resources/subscriptions/${verbOf(method)}`;
  // A Resource Graph query is a POST that ARM authorizes as a read (results are filtered by access).
  if (/^\/providers\/Microsoft\.ResourceGraph\/resources\/?$/i.test(path))
    return 'Microsoft.ResourceGraph/resources/read';
  const tail = path.split('/providers/').at(-1)!.split('/').filter(Boolean);
  const [namespace, ...rest] = tail;
  const types = rest.filter((_, i) => i % 2 === 0);
  const action = [namespace, ...types, verbOf(method)].join('/');
  // A list across locations leaves the location out of the path; ARM authorizes it as the full type.
  return LIST_ACROSS_LOCATIONS[action] ?? action;
}

function verbOf(method: string): string {
  return method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : method === 'POST' ? 'action' : 'write';
}

const LIST_ACROSS_LOCATIONS: Record<string, string> = {
  'Microsoft.Security/jitNetworkAccessPolicies/read':
    'Microsoft.Security/locations/jitNetworkAccessPolicies/read',
};

function coveredBy(granted: readonly string[], action: string): boolean {
  return granted.some((allowed) =>
    new RegExp(`^${allowed.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`, 'i').test(action),
  );
}

const writesIn = (actions: readonly string[]) =>
  actions.filter((a) => /\/(write|delete|action)$/i.test(a) || a.includes('*')).sort();

describe("infra holds to code: each app's role covers every ARM call its code makes, and nothing of the other's", () => {
  const world = new TestWorld({ lroPollsUntilDone: 1 });
  let guardActions: string[] = [];
  let reconcilerActions: string[] = [];
  const actionsCalled = () =>
    [...new Set(world.guardrailCalls().map((c) => armActionOf(c.method, c.path)))].sort();

  beforeAll(async () => {
    await world.start();
    world.collectEvents();
    // The guard's paths: NSG events delivered to `guard` (remediation), then the sweep.
    await world.withSettings({ GUARDRAIL_DUTY: 'guard' }, async () => {
      const barbara = world.actor('barbara@contoso.com');
      const vm = world.seedVm('perm-vm');
      await barbara.enable(vm.vmId, [22]);
      await barbara.request(vm.vmId, 22, '*');
      await world.deliverInbox();
      await barbara.request(vm.vmId, 22, '*');
      world.arm.events.deliveryEnabled = false;
      await barbara.request(vm.vmId, 22, 'Internet');
      await sweep(
        { subscriptions: [SUBSCRIPTION], reportOnly: false },
        runtimeFromEnvironment().guardDeps(silentLogger),
      );
      // The tenant sweep's path: one Resource Graph query, then a read of each candidate.
      await sweep(
        { subscriptions: [SUBSCRIPTION], reportOnly: false, strategy: 'resource-graph' },
        runtimeFromEnvironment().guardDeps(silentLogger),
      );
    });
    guardActions = actionsCalled();
    world.arm.clearRequestLog();
    world.arm.events.deliveryEnabled = true;
    world.inbox.splice(0);
    // The reconciler's paths: the timer creates the role; a person widens it; the role-definition
    // write event goes to `roleEvents`, which restores it.
    await world.withSettings({ GUARDRAIL_DUTY: 'reconcile' }, async () => {
      await reconcileRole(
        { dryRun: false, trigger: 'timer' },
        runtimeFromEnvironment().reconcileDeps(silentLogger),
      );
      world.arm.seedRoleDefinition(`/subscriptions/${SUBSCRIPTION}`, 'aaaaaaaa-0000-0000-0000-000000000000', {
        roleName: 'Other',
        assignableScopes: [`/subscriptions/${SUBSCRIPTION}`],
        permissions: [],
      });
      await world.arm.events.idle();
      world.inbox.splice(0);
      const ours = world.arm.roles
        .allLatest()
        .find((r) => (r.properties as { roleName?: string }).roleName === DEFAULT_ROLE_NAME)!;
      const mallory = new AuthorizationManagementClient(
        emulatorCredential(userPrincipal('mallory@contoso.com')),
        SUBSCRIPTION,
        { endpoint: world.arm.url, $host: world.arm.url, tlsOptions: { ca: world.arm.ca } },
      );
      const props = ours.properties as { description: string; assignableScopes: string[] };
      await mallory.roleDefinitions.createOrUpdate(`/subscriptions/${SUBSCRIPTION}`, String(ours.name), {
        roleName: DEFAULT_ROLE_NAME,
        description: props.description,
        permissions: [{ actions: ['*'] }],
        assignableScopes: props.assignableScopes,
      });
      const delivered = await world.deliverInbox();
      expect(delivered.length).toBeGreaterThan(0);
      expect(delivered.every((r) => r.status === 'fulfilled')).toBe(true);
    });
    reconcilerActions = actionsCalled();
  }, 60_000);
  afterAll(() => world.stop());

  it('derives the actions from the emulator log, not by hand', () => {
    expect(guardActions).toEqual([
      'Microsoft.Network/locations/operations/read',
      'Microsoft.Network/networkSecurityGroups/read',
      'Microsoft.Network/networkSecurityGroups/securityRules/delete',
      'Microsoft.Network/networkSecurityGroups/securityRules/read',
      'Microsoft.ResourceGraph/resources/read',
      'Microsoft.Resources/subscriptions/read',
      'Microsoft.Security/locations/jitNetworkAccessPolicies/read',
    ]);
    expect(reconcilerActions).toEqual([
      'Microsoft.Authorization/roleDefinitions/read',
      'Microsoft.Authorization/roleDefinitions/write',
    ]);
  });

  it("the guard's calls are all granted by guard-permissions.json, and none is an Authorization call", () => {
    for (const action of guardActions) expect(coveredBy(guardPermissions.actions, action), action).toBe(true);
    expect(guardActions.filter((a) => a.startsWith('Microsoft.Authorization/'))).toEqual([]);
    // Nothing granted that no code path uses (operationResults: ARM's Location-header polling).
    expect(guardPermissions.actions.filter((a) => !guardActions.includes(a))).toEqual([
      'Microsoft.Network/locations/operationResults/read',
    ]);
    expect(writesIn(guardPermissions.actions)).toEqual([
      'Microsoft.Network/networkSecurityGroups/securityRules/delete',
    ]);
  });

  it("the reconciler's calls are all granted by reconciler-permissions.json, and none is a Network call", () => {
    for (const action of reconcilerActions)
      expect(coveredBy(reconcilerPermissions.actions, action), action).toBe(true);
    expect(reconcilerActions.filter((a) => a.startsWith('Microsoft.Network/'))).toEqual([]);
    expect(reconcilerPermissions.actions.filter((a) => !reconcilerActions.includes(a))).toEqual([]);
    expect(writesIn(reconcilerPermissions.actions)).toEqual([
      'Microsoft.Authorization/roleDefinitions/write',
    ]);
  });

  it('each role grants exactly its file, read from the inlined copy the compiler made', () => {
    const enforce = plan({ guardrailMode: 'enforce' });
    expect(enforce.guardRole!.parameters).toMatchObject({
      actions: guardPermissions.actions,
      roleDescription: guardPermissions.description,
      roleName: expect.stringMatching(new RegExp(`^${guardPermissions.roleName} \\([a-z0-9]{13}\\)$`)),
    });
    expect(enforce.reconcilerRole!.parameters).toMatchObject({
      actions: reconcilerPermissions.actions,
      roleDescription: reconcilerPermissions.description,
      roleName: expect.stringMatching(new RegExp(`^${reconcilerPermissions.roleName} \\([a-z0-9]{13}\\)$`)),
    });
    const definition = resourceIn('guardRole', 'Microsoft.Authorization/roleDefinitions');
    expect(JSON.stringify((definition.raw.properties as JsonObject).permissions)).toContain(
      "[parameters('actions')]",
    );
  });
});

describe('infra: conventions, read from the compiled template', () => {
  const resources = allResources(template);
  const ofType = (type: string) =>
    resources
      .filter((r) => r.type === type && r.raw.existing !== true)
      .map((r) => r.raw.properties as JsonObject);

  it('storage without shared keys (one account per app), App Insights without local auth, identity-only host storage', () => {
    expect(ofType('Microsoft.Storage/storageAccounts')).toEqual([
      expect.objectContaining({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
      }),
      expect.objectContaining({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
      }),
    ]);
    expect(ofType('Microsoft.Insights/components')).toEqual([
      expect.objectContaining({ DisableLocalAuth: true }),
    ]);
    for (const app of APPS) {
      expect(settingsOf(app).AzureWebJobsStorage__credential).toBe('managedidentity');
      expect(resourceIn(app, 'Microsoft.Web/sites').raw.identity).toMatchObject({ type: 'UserAssigned' });
      expect(resourceIn(app, 'Microsoft.Web/serverfarms').raw.sku).toEqual({
        name: 'FC1',
        tier: 'FlexConsumption',
      });
    }
    expect(JSON.stringify(template)).not.toMatch(/listKeys\(|AccountKey=/);
  });

  it('the same Node version in engines, infra, the workflow and the README', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    for (const app of APPS) {
      const site = resourceIn(app, 'Microsoft.Web/sites');
      expect(((site.raw.properties as JsonObject).functionAppConfig as JsonObject).runtime).toEqual({
        name: 'node',
        version: '22',
      });
    }
    expect(read('.github/workflows/deploy.yml')).toMatch(/node-version: 22/);
    expect(read('README.md')).toContain('Node 22');
    expect(engines).toBe('>=20.19'); // 22 satisfies it; 20.19 is what the development machines run
  });

  it('azd finds each service by its tag, and deploys the same staged folder to both (no ignore file, no remote build)', () => {
    const azureYaml = read('azure.yaml');
    for (const [service, app] of [
      ['guard', 'guardApp'],
      ['reconciler', 'reconcilerApp'],
    ] as const) {
      expect(azureYaml).toMatch(
        new RegExp(
          `\\n  ${service}:\\s+project: \\.\\s+language: js\\s+host: function\\s+(#.*\\s+)*dist: dist/deploy\\s+remoteBuild: false`,
        ),
      );
      expect(evaluateIn(app, resourceIn(app, 'Microsoft.Web/sites').raw.tags!)).toEqual({
        'azd-env-name': 'guard-prod',
        application: 'jit-guardrail',
        'azd-service-name': service,
      });
    }
    expect(azureYaml).not.toMatch(/\n {2}guardrail:/);
    // azd reads the project's .funcignore to infer remote build and refuses remoteBuild: false while
    // it excludes node_modules; with none, what ships is exactly dist/deploy.
    expect(existsSync(join(ROOT, '.funcignore'))).toBe(false);
    expect(azureYaml).toMatch(/requiredVersions:\s+azd: '>= 1\.23\.13'/);
    expect(existsSync(join(ROOT, 'dist/deploy/.funcignore'))).toBe(false);
  });

  it('names in docs/deploy.md only outputs, azd environment values and app settings that exist', () => {
    const outputs = Object.keys(template.outputs as JsonObject);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'AZURE_RESOURCE_GROUP',
        'GUARDRAIL_GUARD_APP_NAME',
        'GUARDRAIL_RECONCILER_APP_NAME',
        'GUARDRAIL_GUARD_IDENTITY_CLIENT_ID',
        'GUARDRAIL_RECONCILER_IDENTITY_CLIENT_ID',
        'GUARDRAIL_EVENTS_IDENTITY_RESOURCE_ID',
      ]),
    );
    // The tenant template's outputs too (docs/deploy.md, "A management group").
    const tenantOutputs = Object.keys(
      (JSON.parse(read('infra/tenant/main.json')) as { outputs: JsonObject }).outputs,
    );
    outputs.push(...tenantOutputs);
    const deploy = read('docs/deploy.md');
    for (const name of deploy.match(/\bGUARDRAIL_[A-Z_]+_(?:ID|NAME|URL|TOPIC|TOKEN)\b/g) ?? []) {
      const isParameter = Object.values(
        (JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> })
          .parameters,
      ).some((p) => p.value.includes(name));
      const isSetting = (SETTING_NAMES as readonly string[]).includes(name);
      expect(outputs.includes(name) || isParameter || isSetting, `docs/deploy.md names ${name}`).toBe(true);
    }
  });
});
