import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import permissions from '../../src/config/guardrail-permissions.json' with { type: 'json' };
import watched from '../../src/config/watched-operations.json' with { type: 'json' };
import type { ConfigError } from '../../src/config/settings.js';
import { loadConfig, SETTING_NAMES } from '../../src/config/settings.js';
import { reconcileRole } from '../../src/core/reconcileRole.js';
import { sweep } from '../../src/core/sweep.js';
import { parseGuardEvent } from '../../src/lib/events/parseGuardEvent.js';
import {
  RESOURCE_WRITE_SUCCESS,
  WATCHED_NSG_OPERATIONS,
  WATCHED_ROLE_OPERATIONS,
} from '../../src/lib/events/watchedOperations.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  allResources,
  compiledTemplate,
  evaluate,
  evaluateInModule,
  innerTemplate,
  moduleNamed,
  onlyResourceOfType,
  planModules,
  type JsonObject,
} from '../support/armTemplate.js';
import { fixture } from '../support/fixtures.js';
import { SUBSCRIPTION, TestWorld } from '../support/world.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const GUID = '11111111-2222-3333-4444-555555555555';

// What the real Bicep compiler made of infra/ (test/infra/bicepCompiler.test.ts keeps it current).
const template = compiledTemplate();
const appModule = moduleNamed(template, 'app');
const functionApp = onlyResourceOfType(innerTemplate(appModule), 'Microsoft.Web/sites');
const siteProperties = functionApp.raw.properties as JsonObject;
const appSettingsRaw = (siteProperties.siteConfig as JsonObject).appSettings as {
  name: string;
  value: string;
}[];
const bicepSettings = appSettingsRaw.map((s) => s.name);
const HOST_SETTING = /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_)/;

/** A first provision with the operator's choices, as main.parameters.json would give them. */
const CHOICES = {
  environmentName: 'guard-prod',
  location: 'westeurope',
  teamsWebhookUrl:
    'https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s',
  guardrailMode: 'report',
};
const STUB_OUTPUTS = {
  app: {
    identityId:
      '/subscriptions/s/resourceGroups/rg-guard-prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id',
    identityPrincipalId: GUID,
    identityClientId: GUID,
    storageId: '/subscriptions/s/resourceGroups/rg-guard-prod/providers/Microsoft.Storage/storageAccounts/st',
    deadLetterContainer: 'eventgrid-deadletter',
  },
};
const plan = (given: Record<string, string | number | boolean>) =>
  Object.fromEntries(
    planModules(template, { ...CHOICES, ...given }, { subscriptionId: GUID, outputs: STUB_OUTPUTS }).map(
      (m) => [m.symbol, m],
    ),
  );
/** The function app's settings with the given choices, expressions evaluated. */
const appSettingsWith = (given: Record<string, string | number | boolean>) =>
  Object.fromEntries(
    (
      evaluateInModule(appModule, plan(given).app!, appSettingsRaw, GUID) as { name: string; value: string }[]
    ).map((s) => [s.name, s.value]),
  );

describe('infra holds to code: app settings', () => {
  it('sets every setting the config schema requires', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({});
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    const required = problems.map((p) => p.split(':')[0]!);
    expect(required).toEqual(['GUARDRAIL_SUBSCRIPTION_ID', 'GUARDRAIL_TEAMS_WEBHOOK_URL']);
    for (const name of required) expect(bicepSettings).toContain(name);
  });

  it('sets nothing the app does not know', () => {
    for (const name of bicepSettings) {
      expect((SETTING_NAMES as readonly string[]).includes(name) || HOST_SETTING.test(name), name).toBe(true);
    }
  });

  it('gives the app a valid configuration: managed identity, tables by endpoint, the webhook from Key Vault', () => {
    const settings = appSettingsWith({});
    expect(settings.GUARDRAIL_SUBSCRIPTION_ID).toBe(GUID);
    expect(settings.GUARDRAIL_MODE).toBe('report');
    expect(settings.GUARDRAIL_ROLE_ASSIGNABLE_SCOPES).toBe(`/subscriptions/${GUID}`);
    expect(settings.GUARDRAIL_TEAMS_WEBHOOK_URL).toBe(
      '@Microsoft.KeyVault(SecretUri=<reference(vault::webhook).secretUri>)',
    );
    expect(settings.AZURE_CLIENT_ID).toBe('<reference(identity).clientId>');
    expect(settings.AzureWebJobsStorage__tableServiceUri).toBe('<reference(storage).primaryEndpoints.table>');
    expect(siteProperties.keyVaultReferenceIdentity).toMatch(
      /^\[resourceId\('Microsoft\.ManagedIdentity\/userAssignedIdentities'/,
    );
    // With the references resolved as Azure would, the app's own schema accepts the whole set.
    const config = loadConfig({
      ...settings,
      AZURE_CLIENT_ID: GUID,
      AzureWebJobsStorage__tableServiceUri: 'https://stguard.table.core.windows.net/',
      GUARDRAIL_TEAMS_WEBHOOK_URL: CHOICES.teamsWebhookUrl,
    });
    expect(config.managedIdentityClientId).toBe(GUID);
    expect(config.storage).toEqual({ kind: 'endpoint', url: 'https://stguard.table.core.windows.net/' });
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
    expect(appSettingsWith({ guardrailMode: 'report' }).GUARDRAIL_MODE).toBe('report');
    expect(appSettingsWith({ guardrailMode: 'enforce' }).GUARDRAIL_MODE).toBe('enforce');
  });

  it('CI carries every GUARDRAIL_* choice: azd pipeline config copies it, the workflow passes it to azd', () => {
    const choices = Object.keys(declared)
      .map((name) => envVarOf(name)?.[1])
      .filter((v): v is string => !!v && v.startsWith('GUARDRAIL_'));
    expect(choices.length).toBeGreaterThanOrEqual(8);
    for (const name of choices) {
      const secret = name === 'GUARDRAIL_TEAMS_WEBHOOK_URL';
      expect(pipelineVariables.includes(name), `azure.yaml pipeline lists ${name}`).toBe(true);
      expect(workflow, name).toContain(`${name}: \${{ ${secret ? 'secrets' : 'vars'}.${name} }}`);
    }
  });

  it('passes each optional choice through to the app, empty meaning the app default', () => {
    const settings = appSettingsWith({
      roleAssignableScopes: `/subscriptions/${GUID},/subscriptions/${GUID.replace('1111', '2222')}`,
      roleName: 'JIT requester (contoso)',
      reconcileSchedule: '0 */5 * * * *',
      sweepSchedule: '0 30 * * * *',
    });
    const config = loadConfig({
      ...settings,
      AZURE_CLIENT_ID: GUID,
      GUARDRAIL_TEAMS_WEBHOOK_URL: CHOICES.teamsWebhookUrl,
      AzureWebJobsStorage__tableServiceUri: 'https://s.table.core.windows.net/',
    });
    expect(config).toMatchObject({ mode: 'report' });
    expect(settings).toMatchObject({
      GUARDRAIL_ROLE_NAME: 'JIT requester (contoso)',
      GUARDRAIL_RECONCILE_SCHEDULE: '0 */5 * * * *',
      GUARDRAIL_SWEEP_SCHEDULE: '0 30 * * * *',
    });
    expect(appSettingsWith({}).GUARDRAIL_ROLE_NAME).toBe('');
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
    expect(fresh.guardEvents).toMatchObject({ deploys: true, resourceGroup: 'rg-guard-prod' });
    expect(fresh.guardEvents!.parameters.systemTopicName).toMatch(/^evgt-guardrail-/);

    const reused = plan({
      deployEventSubscription: true,
      existingSystemTopicName: 'contoso-subscription-events',
      existingSystemTopicResourceGroup: 'rg-platform',
    });
    expect(reused.systemTopic!.deploys).toBe(false);
    expect(reused.guardEvents).toMatchObject({
      deploys: true,
      resourceGroup: 'rg-platform',
      parameters: expect.objectContaining({
        systemTopicName: 'contoso-subscription-events',
        functionAppResourceGroup: 'rg-guard-prod',
        identityId: STUB_OUTPUTS.app.identityId,
      }),
    });
  });

  it('creates the event subscription only when the postdeploy hook asks, after the code exists', () => {
    expect(plan({}).guardEvents!.deploys).toBe(false);
    expect(plan({ deployEventSubscription: false }).guardEvents!.deploys).toBe(false);
    expect(plan({ deployEventSubscription: true }).guardEvents!.deploys).toBe(true);
  });

  it('names the Key Vault by generation, so `azd down` then `azd up` never meets its own soft-deleted vault', () => {
    const first = plan({}).app!.parameters.keyVaultName as string;
    const next = plan({ keyVaultGeneration: 2 }).app!.parameters.keyVaultName as string;
    expect(first).toMatch(/^kv-[a-z0-9]{13}-g1$/);
    expect(next).toBe(first.replace(/-g1$/, '-g2'));
    const last = plan({ keyVaultGeneration: 999 }).app!.parameters.keyVaultName as string;
    expect(last.length).toBeLessThanOrEqual(24); // Key Vault names: 3-24 characters
    const generation = (template.parameters as Record<string, JsonObject>).keyVaultGeneration!;
    expect(generation).toMatchObject({ type: 'int', defaultValue: 1, minValue: 1, maxValue: 999 });
    const vault = onlyResourceOfType(innerTemplate(appModule), 'Microsoft.KeyVault/vaults');
    expect(vault.raw.properties).toMatchObject({ enableSoftDelete: true, enablePurgeProtection: true });
  });

  it('names the guardrail role assignment by principal, so a new identity after `azd down` gets a new one', () => {
    const roleModule = moduleNamed(template, 'guardrailRole');
    const assignment = onlyResourceOfType(
      innerTemplate(roleModule),
      'Microsoft.Authorization/roleAssignments',
    );
    const nameFor = (principalId: string) =>
      evaluateInModule(
        roleModule,
        { ...plan({}).guardrailRole!, parameters: { ...plan({}).guardrailRole!.parameters, principalId } },
        assignment.raw.name!,
        GUID,
      );
    // The assignment outlives `azd down` (subscription scope); ARM refuses a new principal under an old name.
    expect(nameFor('principal-a')).not.toEqual(nameFor('principal-b'));
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

describe('infra holds to code: the Event Grid filter', () => {
  const eventsModule = moduleNamed(template, 'guardEvents');
  const eventSubscription = onlyResourceOfType(
    innerTemplate(eventsModule),
    'Microsoft.EventGrid/systemTopics/eventSubscriptions',
  );
  const properties = eventSubscription.raw.properties as JsonObject;

  it('filters on the very file the code reads, and the code accepts exactly those', async () => {
    // The compiler inlined src/config/watched-operations.json; the filter evaluates to that copy.
    const filter = evaluateInModule(
      eventsModule,
      plan({ deployEventSubscription: true }).guardEvents!,
      properties.filter!,
      GUID,
    ) as { includedEventTypes: string[]; advancedFilters: { key: string; values: string[] }[] };
    expect(filter.includedEventTypes).toEqual(watched.eventTypes);
    expect(filter.advancedFilters).toEqual([
      {
        operatorType: 'StringIn',
        key: 'data.operationName',
        values: [...watched.nsgOperations, ...watched.roleOperations],
      },
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
    for (const op of [...watched.nsgOperations, ...watched.roleOperations])
      expect(await kindOf(op)).not.toBe('ignored');
    for (const op of [
      'Microsoft.Network/networkSecurityGroups/delete',
      'Microsoft.Authorization/roleAssignments/write',
    ])
      expect(await kindOf(op)).toBe('ignored');
  });

  it('retries, dead-letters to storage with the identity, and delivers one event per invocation to guard', () => {
    const planned = plan({ deployEventSubscription: true }).guardEvents!;
    const evaluated = evaluateInModule(eventsModule, planned, properties as JsonObject, GUID) as JsonObject;
    expect(evaluated).toMatchObject({
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
      eventDeliverySchema: 'EventGridSchema',
      destination: {
        endpointType: 'AzureFunction',
        properties: {
          resourceId: `<resourceId(rg-guard-prod,Microsoft.Web/sites/functions,${planned.parameters.functionAppName as string},guard)>`,
          maxEventsPerBatch: 1,
        },
      },
      deadLetterWithResourceIdentity: {
        identity: { type: 'UserAssigned', userAssignedIdentity: STUB_OUTPUTS.app.identityId },
        deadLetterDestination: {
          endpointType: 'StorageBlob',
          properties: { resourceId: STUB_OUTPUTS.app.storageId },
        },
      },
    });
    const topic = onlyResourceOfType(
      innerTemplate(moduleNamed(template, 'systemTopic')),
      'Microsoft.EventGrid/systemTopics',
    );
    expect(topic.raw.properties).toMatchObject({ topicType: 'Microsoft.Resources.Subscriptions' });
  });
});

/** The ARM action a request needs: provider, resource types, and read/write/delete/action. */
export function armActionOf(method: string, path: string): string {
  const tail = path.split('/providers/').at(-1)!.split('/').filter(Boolean);
  const [namespace, ...rest] = tail;
  const types = rest.filter((_, i) => i % 2 === 0);
  const verb =
    method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : method === 'POST' ? 'action' : 'write';
  const action = [namespace, ...types, verb].join('/');
  // A list across locations leaves the location out of the path; ARM authorizes it as the full type.
  return LIST_ACROSS_LOCATIONS[action] ?? action;
}

const LIST_ACROSS_LOCATIONS: Record<string, string> = {
  'Microsoft.Security/jitNetworkAccessPolicies/read':
    'Microsoft.Security/locations/jitNetworkAccessPolicies/read',
};

function covered(action: string): boolean {
  return permissions.actions.some((allowed) =>
    new RegExp(`^${allowed.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`, 'i').test(action),
  );
}

describe('infra holds to code: the guardrail role covers every ARM call the code makes', () => {
  const world = new TestWorld({ lroPollsUntilDone: 1 });
  let actions: string[] = [];

  beforeAll(async () => {
    await world.start();
    world.collectEvents();
    // Drive every path that talks to ARM: guard (remediation), sweep, role create and update.
    const barbara = world.actor('barbara@contoso.com');
    const vm = world.seedVm('perm-vm');
    await barbara.enable(vm.vmId, [22]);
    await barbara.request(vm.vmId, 22, '*');
    await world.deliverInbox();
    await barbara.request(vm.vmId, 22, '*');
    world.arm.events.deliveryEnabled = false;
    await barbara.request(vm.vmId, 22, 'Internet');
    const deps = runtimeFromEnvironment().guardDeps(silentLogger);
    await sweep({ subscriptions: [SUBSCRIPTION], reportOnly: false }, deps);
    await reconcileRole(
      { dryRun: false, trigger: 'timer' },
      runtimeFromEnvironment().reconcileDeps(silentLogger),
    );
    world.arm.seedRoleDefinition(`/subscriptions/${SUBSCRIPTION}`, 'aaaaaaaa-0000-0000-0000-000000000000', {
      roleName: 'Other',
      assignableScopes: [`/subscriptions/${SUBSCRIPTION}`],
      permissions: [],
    });
    const calls = world.guardrailCalls();
    actions = [...new Set(calls.map((c) => armActionOf(c.method, c.path)))].sort();
  }, 60_000);
  afterAll(() => world.stop());

  it('derives the actions from the emulator log, not by hand', () => {
    expect(actions).toEqual([
      'Microsoft.Authorization/roleDefinitions/read',
      'Microsoft.Authorization/roleDefinitions/write',
      'Microsoft.Network/locations/operations/read',
      'Microsoft.Network/networkSecurityGroups/read',
      'Microsoft.Network/networkSecurityGroups/securityRules/delete',
      'Microsoft.Network/networkSecurityGroups/securityRules/read',
      'Microsoft.Security/locations/jitNetworkAccessPolicies/read',
    ]);
  });

  it('every one is granted, and nothing that deletes or writes beyond them', () => {
    for (const action of actions) expect(covered(action), action).toBe(true);
    // Nothing granted that no code path uses (operationResults: ARM's Location-header polling).
    const unused = permissions.actions.filter((a) => !actions.includes(a));
    expect(unused).toEqual(['Microsoft.Network/locations/operationResults/read']);
    const writes = permissions.actions.filter((a) => /\/(write|delete|action)$/.test(a) || a.endsWith('*'));
    expect(writes.sort()).toEqual([
      'Microsoft.Authorization/roleDefinitions/write',
      'Microsoft.Network/networkSecurityGroups/securityRules/delete',
    ]);
    // The compiler inlined src/config/guardrail-permissions.json; the role grants exactly that.
    const roleModule = innerTemplate(moduleNamed(template, 'guardrailRole'));
    const inlined = evaluate((roleModule.variables as JsonObject).permissions!, {
      variables: roleModule.variables as JsonObject,
      parameters: {},
      subscriptionId: GUID,
    });
    expect(inlined).toEqual(permissions);
    const definition = onlyResourceOfType(roleModule, 'Microsoft.Authorization/roleDefinitions');
    expect(JSON.stringify((definition.raw.properties as JsonObject).permissions)).toContain(
      "[variables('permissions').actions]",
    );
  });
});

describe('infra: conventions, read from the compiled template', () => {
  const resources = allResources(template);
  const ofType = (type: string) =>
    resources.filter((r) => r.type === type).map((r) => r.raw.properties as JsonObject);

  it('storage without shared keys, App Insights without local auth, identity-only host storage', () => {
    expect(ofType('Microsoft.Storage/storageAccounts')).toEqual([
      expect.objectContaining({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
      }),
    ]);
    expect(ofType('Microsoft.Insights/components')).toEqual([
      expect.objectContaining({ DisableLocalAuth: true }),
    ]);
    expect(appSettingsRaw).toContainEqual({
      name: 'AzureWebJobsStorage__credential',
      value: 'managedidentity',
    });
    expect(JSON.stringify(template)).not.toMatch(/listKeys\(|AccountKey=/);
    expect(functionApp.raw.identity).toMatchObject({ type: 'UserAssigned' });
    expect(onlyResourceOfType(template, 'Microsoft.Web/serverfarms').raw.sku).toEqual({
      name: 'FC1',
      tier: 'FlexConsumption',
    });
  });

  it('the same Node version in engines, infra, the workflow and the README', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect((siteProperties.functionAppConfig as JsonObject).runtime).toEqual({ name: 'node', version: '22' });
    expect(read('.github/workflows/deploy.yml')).toMatch(/node-version: 22/);
    expect(read('README.md')).toContain('Node 22');
    expect(engines).toBe('>=20.19'); // 22 satisfies it; 20.19 is what the development machines run
  });

  it('azd finds the service by its tag, and deploys the staged folder as it is (no ignore file, no remote build)', () => {
    expect(read('azure.yaml')).toMatch(
      /services:\s+guardrail:\s+project: \.\s+language: js\s+host: function\s+(#.*\s+)*dist: dist\/deploy\s+remoteBuild: false/,
    );
    expect(evaluateInModule(appModule, plan({}).app!, functionApp.raw.tags!, GUID)).toEqual({
      'azd-env-name': 'guard-prod',
      application: 'jit-guardrail',
      'azd-service-name': 'guardrail',
    });
    // azd reads the project's .funcignore to infer remote build and refuses remoteBuild: false while
    // it excludes node_modules; with none, what ships is exactly dist/deploy.
    expect(existsSync(join(ROOT, '.funcignore'))).toBe(false);
    expect(read('azure.yaml')).toMatch(/requiredVersions:\s+azd: '>= 1\.23\.13'/);
    expect(existsSync(join(ROOT, 'dist/deploy/.funcignore'))).toBe(false);
  });
});
