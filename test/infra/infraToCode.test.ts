import { readFileSync } from 'node:fs';
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
import { fixture } from '../support/fixtures.js';
import { SUBSCRIPTION, TestWorld } from '../support/world.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const resources = read('infra/app/resources.bicep');
const eventgrid = read('infra/app/eventgrid.bicep');
const role = read('infra/app/guardrailRole.bicep');
const GUID = '11111111-2222-3333-4444-555555555555';

/** App settings the Bicep gives the function app. */
const bicepSettings = [...resources.matchAll(/\{ name: '([^']+)', value: /g)].map((m) => m[1]!);
const HOST_SETTING = /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_)/;

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
    const placeholder: Record<string, string> = {
      AZURE_CLIENT_ID: GUID,
      GUARDRAIL_SUBSCRIPTION_ID: GUID,
      GUARDRAIL_TEAMS_WEBHOOK_URL:
        'https://prod-00.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=s',
      GUARDRAIL_MODE: 'enforce',
      GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: `/subscriptions/${GUID}`,
      AzureWebJobsStorage__tableServiceUri: 'https://stguard.table.core.windows.net/',
    };
    const env = Object.fromEntries(
      bicepSettings.filter((n) => n in placeholder).map((n) => [n, placeholder[n]!]),
    );
    expect(Object.keys(env).sort()).toEqual(Object.keys(placeholder).sort());
    const config = loadConfig(env);
    expect(config.managedIdentityClientId).toBe(GUID);
    expect(config.storage).toEqual({ kind: 'endpoint', url: 'https://stguard.table.core.windows.net/' });
    expect(resources).toMatch(
      /name: 'GUARDRAIL_TEAMS_WEBHOOK_URL', value: '@Microsoft\.KeyVault\(SecretUri=\$\{vault::webhook\.properties\.secretUri\}\)'/,
    );
    expect(resources).toMatch(/keyVaultReferenceIdentity: identity\.id/);
  });
});

describe('infra holds to code: the Event Grid filter', () => {
  it('filters on the very file the code reads, and the code accepts exactly those', async () => {
    expect(eventgrid).toContain("loadJsonContent('../../src/config/watched-operations.json')");
    expect(eventgrid).toMatch(/includedEventTypes: watched\.eventTypes/);
    expect(eventgrid).toMatch(
      /key: 'data\.operationName'\s+values: concat\(watched\.nsgOperations, watched\.roleOperations\)/,
    );
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

  it('retries, dead-letters to storage with the identity, and delivers one event per invocation', () => {
    expect(eventgrid).toMatch(/retryPolicy: \{\s+maxDeliveryAttempts: 30\s+eventTimeToLiveInMinutes: 1440/);
    expect(eventgrid).toMatch(/deadLetterWithResourceIdentity:/);
    expect(eventgrid).toMatch(/topicType: 'Microsoft\.Resources\.Subscriptions'/);
    expect(eventgrid).toMatch(/resourceId: '\$\{functionApp\.id\}\/functions\/guard'/);
    expect(eventgrid).toMatch(/maxEventsPerBatch: 1/);
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
    expect(role).toContain("loadJsonContent('../../src/config/guardrail-permissions.json')");
    expect(role).toMatch(/actions: permissions\.actions/);
  });
});

describe('infra: conventions that can be checked without a Bicep compiler', () => {
  it('storage without shared keys, App Insights without local auth, identity-only host storage', () => {
    expect(resources).toMatch(/allowSharedKeyAccess: false/);
    expect(resources).toMatch(/DisableLocalAuth: true/);
    expect(resources).toMatch(/\{ name: 'AzureWebJobsStorage__credential', value: 'managedidentity' \}/);
    expect(resources).not.toMatch(/listKeys\(|AccountKey=/);
    expect(resources).toMatch(/type: 'UserAssigned'/);
    expect(resources).toMatch(/sku: \{ name: 'FC1', tier: 'FlexConsumption' \}/);
  });

  it('the same Node version in engines, infra, the workflow and the README', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(resources).toMatch(/name: 'node'\s+version: '22'/);
    expect(read('.github/workflows/deploy.yml')).toMatch(/node-version: 22/);
    expect(read('README.md')).toContain('Node 22');
    expect(engines).toBe('>=20.19'); // 22 satisfies it; 20.19 is what the development machines run
  });

  it('azd finds the service by its tag, and deploys only the bundle', () => {
    expect(read('azure.yaml')).toMatch(
      /services:\s+guardrail:\s+project: \.\s+language: js\s+host: function/,
    );
    expect(resources).toMatch(/'azd-service-name': 'guardrail'/);
    expect(read('.funcignore')).toMatch(/!\/dist\/app/);
    expect((JSON.parse(read('package.json')) as { main: string }).main).toBe('dist/app/index.js');
  });
});
