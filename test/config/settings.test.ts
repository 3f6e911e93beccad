import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import {
  ConfigError,
  loadConfig,
  reconcileScheduleFrom,
  SETTING_NAMES,
  storageConnectionStringProblem,
} from '../../src/config/settings.js';

const SUB = '20ff7fc3-e762-44dd-bd96-b71116dcdc23';
const BASE = { GUARDRAIL_SUBSCRIPTION_ID: SUB };
const WEBHOOK =
  'https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET-SIGNATURE';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems as string[];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('needs only the webhook URL; everything else has a safe default', () => {
    const config = loadConfig({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK });
    expect(config).toMatchObject({
      mode: 'enforce',
      arm: {
        endpoint: 'https://management.azure.com',
        ca: undefined,
        isLoopback: false,
        maxRetries: 3,
        lroPollIntervalMs: undefined,
      },
      teams: { maxAttempts: 5, timeoutMs: 10_000 },
      portalUrl: 'https://portal.azure.com',
      managedIdentityClientId: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = loadConfig({
      ...BASE,
      GUARDRAIL_TEAMS_WEBHOOK_URL: 'http://127.0.0.1:9999/hook',
      GUARDRAIL_MODE: ' Report ',
      GUARDRAIL_ARM_ENDPOINT: 'https://127.0.0.1:8443/',
      GUARDRAIL_ARM_CA_FILE: caFile,
      AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      GUARDRAIL_ARM_MAX_RETRIES: '0',
      GUARDRAIL_ARM_RETRY_DELAY_MS: '10',
      GUARDRAIL_LRO_POLL_INTERVAL_MS: '50',
      GUARDRAIL_TEAMS_MAX_ATTEMPTS: '2',
      GUARDRAIL_TEAMS_TIMEOUT_MS: '500',
      GUARDRAIL_PORTAL_URL: 'https://portal.azure.us/',
      GUARDRAIL_ROLE_NAME: 'JIT Requester (prod)',
      GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: `/subscriptions/${SUB}, /subscriptions/${SUB}/resourceGroups/vms`,
      GUARDRAIL_ROLE_SETTLE_SECONDS: '30',
      GUARDRAIL_RECONCILE_SCHEDULE: '0 */5 * * * *',
      GUARDRAIL_ADMIN_APP_ROLE: 'Ops.Admin',
    });
    expect(config).toMatchObject({
      mode: 'report',
      arm: {
        endpoint: 'https://127.0.0.1:8443',
        isLoopback: true,
        maxRetries: 0,
        retryDelayMs: 10,
        lroPollIntervalMs: 50,
      },
      managedIdentityClientId: '11111111-2222-3333-4444-555555555555',
      teams: { maxAttempts: 2, timeoutMs: 500 },
      portalUrl: 'https://portal.azure.us',
    });
    expect(config.arm.ca).toContain('BEGIN CERTIFICATE');
    expect(config.role).toMatchObject({
      subscriptionId: SUB,
      scope: `/subscriptions/${SUB}`,
      settleMs: 30_000,
      desired: {
        roleName: 'JIT Requester (prod)',
        assignableScopes: [`/subscriptions/${SUB}`, `/subscriptions/${SUB}/resourceGroups/vms`],
      },
    });
    expect(config.adminAppRole).toBe('Ops.Admin');
  });

  it('names every bad setting in one message', () => {
    const problems = problemsOf({
      GUARDRAIL_MODE: 'enfroce',
      GUARDRAIL_ARM_ENDPOINT: 'http://management.azure.com',
      AZURE_CLIENT_ID: 'not-a-guid',
      GUARDRAIL_TEAMS_MAX_ATTEMPTS: 'three',
      GUARDRAIL_ARM_MAX_RETRIES: '99',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^GUARDRAIL_SUBSCRIPTION_ID: is required/),
      expect.stringMatching(/^GUARDRAIL_TEAMS_WEBHOOK_URL: is required/),
      "GUARDRAIL_MODE: must be 'enforce' or 'report'",
      expect.stringMatching(/^GUARDRAIL_ARM_ENDPOINT: must use https/),
      expect.stringMatching(/^AZURE_CLIENT_ID: must be the client id/),
      'GUARDRAIL_ARM_MAX_RETRIES: must be at most 10',
      expect.stringMatching(/^GUARDRAIL_TEAMS_MAX_ATTEMPTS: must be a whole number/),
    ]);
  });

  it('refuses a plain-http webhook off this machine, and never echoes the URL', () => {
    const problems = problemsOf({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK.replace('https:', 'http:') });
    expect(problems).toEqual([expect.stringMatching(/^GUARDRAIL_TEAMS_WEBHOOK_URL: must use https/)]);
    expect(problems.join(' ')).not.toContain('SECRET-SIGNATURE');
    expect(problemsOf({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: 'not a url' })).toEqual([
      expect.stringMatching(/must be an absolute URL/),
    ]);
  });

  it('names the entry of GUARDRAIL_SWEEP_SUBSCRIPTIONS that is not a subscription id', () => {
    expect(
      problemsOf({
        ...BASE,
        GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
        GUARDRAIL_SWEEP_SUBSCRIPTIONS: `${SUB}, contoso-prod`,
      }),
    ).toEqual([
      expect.stringMatching(/^GUARDRAIL_SWEEP_SUBSCRIPTIONS.*'contoso-prod' is not a subscription id/),
    ]);
  });

  it('takes a GUARDRAIL_SWEEP_SUBSCRIPTIONS of separators only for unset: the guard keeps its own subscription', () => {
    expect(
      loadConfig({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK, GUARDRAIL_SWEEP_SUBSCRIPTIONS: ' , ' })
        .guardedSubscriptions,
    ).toEqual([SUB]);
  });

  it('treats empty settings as unset', () => {
    expect(
      loadConfig({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK, GUARDRAIL_MODE: '', AZURE_CLIENT_ID: '' })
        .mode,
    ).toBe('enforce');
  });

  it('says when the CA file cannot be read or holds no certificate', () => {
    expect(
      problemsOf({
        ...BASE,
        GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
        GUARDRAIL_ARM_CA_FILE: '/nonexistent/ca.pem',
      }),
    ).toEqual(["GUARDRAIL_ARM_CA_FILE: cannot read '/nonexistent/ca.pem' (ENOENT)"]);
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'x.pem'), 'hello');
    expect(
      problemsOf({
        ...BASE,
        GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
        GUARDRAIL_ARM_CA_FILE: join(dir, 'x.pem'),
      })[0],
    ).toMatch(/holds no PEM certificate/);
  });
});

describe('role settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'role-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('defaults to the built-in least-privilege role, assignable at the subscription', () => {
    const { role } = loadConfig({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK });
    expect(role.desired).toMatchObject({
      roleName: 'JIT Access Requester',
      actions: [
        'Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action',
        'Microsoft.Security/locations/jitNetworkAccessPolicies/*/read',
        'Microsoft.Compute/virtualMachines/read',
        'Microsoft.Network/networkInterfaces/*/read',
      ],
      notActions: [],
      dataActions: [],
      notDataActions: [],
      assignableScopes: [`/subscriptions/${SUB}`],
    });
    expect(role.settleMs).toBe(600_000);
  });

  it('takes a desired role from an Azure CLI role file', () => {
    const path = file('cli-role.json', {
      Name: 'Custom JIT',
      Description: 'd',
      Actions: ['a/read'],
      AssignableScopes: ['/subscriptions/x'],
    });
    const { role } = loadConfig({
      ...BASE,
      GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
      GUARDRAIL_ROLE_DESIRED_FILE: path,
    });
    expect(role.desired).toMatchObject({
      roleName: 'Custom JIT',
      description: 'd',
      actions: ['a/read'],
      assignableScopes: ['/subscriptions/x'],
    });
  });

  it.each([
    [
      'a missing file',
      () => '/nonexistent/role.json',
      /GUARDRAIL_ROLE_DESIRED_FILE: '\/nonexistent\/role.json' is not a usable role definition \(ENOENT\)/,
    ],
    [
      'not JSON',
      () => file('bad.json', '{'),
      /GUARDRAIL_ROLE_DESIRED_FILE: .* is not a usable role definition/,
    ],
    ['not a role', () => file('x.json', { hello: 1 }), /not a role definition/],
  ])('names the desired-role file when it is %s', (_label, path, message) => {
    expect(
      problemsOf({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK, GUARDRAIL_ROLE_DESIRED_FILE: path() })[0],
    ).toMatch(message);
  });

  it('refuses a role name that contradicts the desired file', () => {
    const path = file('named.json', { roleName: 'A', actions: ['x'] });
    expect(
      problemsOf({
        ...BASE,
        GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
        GUARDRAIL_ROLE_DESIRED_FILE: path,
        GUARDRAIL_ROLE_NAME: 'B',
      })[0],
    ).toMatch(/^GUARDRAIL_ROLE_NAME: 'B' differs/);
  });

  it('checks the schedule and the scopes', () => {
    expect(
      problemsOf({
        ...BASE,
        GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
        GUARDRAIL_RECONCILE_SCHEDULE: 'every 5 minutes',
      })[0],
    ).toMatch(/^GUARDRAIL_RECONCILE_SCHEDULE: must be an NCRONTAB expression with six fields/);
    expect(
      problemsOf({
        ...BASE,
        GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
        GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: 'subscriptions/x',
      })[0],
    ).toMatch(/^GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: each scope must look like/);
    expect(reconcileScheduleFrom({})).toBe('0 */15 * * * *');
  });
});

describe('the settings are documented where operators look', () => {
  const root = join(import.meta.dirname, '../..');

  it('local.settings.sample.json names every setting, with values that pass validation', () => {
    const sample = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    for (const name of SETTING_NAMES) expect(Object.keys(sample.Values)).toContain(name);
    expect(() => loadConfig(sample.Values)).not.toThrow();
  });

  it('the configuration table (docs/configuration.md) names every setting', () => {
    const readme = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
    for (const name of SETTING_NAMES) expect(readme).toMatch(new RegExp(`\\| \`${name}\` +\\|`));
  });
});

describe('storage settings', () => {
  const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  const withStorage = (settings: Record<string, string>) =>
    loadConfig({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK, ...settings }).storage;

  it.each([
    ['Azurite', 'UseDevelopmentStorage=true'],
    [
      'an account key',
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
    ],
    [
      'an account key and a table endpoint',
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${KEY};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;`,
    ],
    [
      'a shared access signature',
      'TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=2022-11-02&sig=abc%3D',
    ],
  ])('takes a connection string with %s', (_label, value) => {
    expect(withStorage({ GUARDRAIL_STORAGE_CONNECTION_STRING: value })).toEqual({
      kind: 'connection-string',
      value,
    });
    expect(withStorage({ AzureWebJobsStorage: value })).toEqual({ kind: 'connection-string', value });
  });

  it('takes the identity-based table endpoint, and no storage at all', () => {
    expect(
      withStorage({ AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net/' }),
    ).toEqual({
      kind: 'endpoint',
      url: 'https://acct.table.core.windows.net/',
    });
    expect(withStorage({})).toBeUndefined();
  });

  it.each([
    [
      'garbage',
      /^GUARDRAIL_STORAGE_CONNECTION_STRING: is not a storage connection string \(Key=Value pairs separated by ';'\): use 'UseDevelopmentStorage=true' for Azurite, or 'DefaultEndpointsProtocol=https;AccountName=<account>;AccountKey=<key>;EndpointSuffix=core.windows.net'$/,
    ],
    [`AccountName=acct;AccountKey=${KEY}`, /\(DefaultEndpointsProtocol is missing\)/],
    [
      `DefaultEndpointsProtocol=https;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
      /\(AccountName is missing\)/,
    ],
    [
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY}`,
      /\(EndpointSuffix \(or TableEndpoint\) is missing\)/,
    ],
    [
      `DefaultEndpointsProtocol=ftp;AccountName=acct;AccountKey=${KEY};EndpointSuffix=x`,
      /DefaultEndpointsProtocol must be 'https' or 'http'/,
    ],
    ['TableEndpoint=https://acct.table.core.windows.net', /\(SharedAccessSignature is missing\)/],
    ['TableEndpoint=acct;SharedAccessSignature=sv=1', /\(TableEndpoint is not a URL\)/],
    ['AccountName=acct', /\(it names no account/],
    [
      'https://acct.table.core.windows.net/',
      /holds a URL, not a connection string: for a managed identity set AzureWebJobsStorage__tableServiceUri/,
    ],
  ])('refuses %s, saying what a valid one looks like and never echoing a key', (value, message) => {
    const [problem] = problemsOf({
      ...BASE,
      GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
      GUARDRAIL_STORAGE_CONNECTION_STRING: value,
    });
    expect(problem).toMatch(/^GUARDRAIL_STORAGE_CONNECTION_STRING: /);
    expect(problem).toMatch(message);
    expect(problem).not.toContain(KEY);
  });

  it('refuses a bad AzureWebJobsStorage by its own name, but only when the tables would use it', () => {
    expect(
      problemsOf({ ...BASE, GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK, AzureWebJobsStorage: 'garbage' }),
    ).toEqual([expect.stringMatching(/^AzureWebJobsStorage: is not a storage connection string/)]);
    // The host takes forms Table Storage does not (no EndpointSuffix, a blob-only SAS): the
    // guardrail's own string or the identity-based endpoint then serves, and nothing is refused.
    const hostOnly = `DefaultEndpointsProtocol=https;AccountName=fnstore;AccountKey=${KEY}`;
    expect(
      withStorage({
        AzureWebJobsStorage: hostOnly,
        GUARDRAIL_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      }),
    ).toEqual({ kind: 'connection-string', value: 'UseDevelopmentStorage=true' });
    expect(
      withStorage({
        AzureWebJobsStorage: 'BlobEndpoint=https://x.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=a',
        AzureWebJobsStorage__tableServiceUri: 'https://fnstore.table.core.windows.net/',
      }),
    ).toEqual({ kind: 'endpoint', url: 'https://fnstore.table.core.windows.net/' });
    const problems = problemsOf({
      ...BASE,
      GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
      AzureWebJobsStorage: hostOnly,
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^AzureWebJobsStorage: .*EndpointSuffix.*; or set GUARDRAIL_STORAGE_CONNECTION_STRING/,
      ),
    ]);
    expect(problems.join()).not.toContain(KEY);
  });

  it('refuses what would send a key in clear or switch to Azurite silently', () => {
    const problem = (value: string) => storageConnectionStringProblem(value);
    expect(problem('TableEndpoint=http://attacker.example/acct;SharedAccessSignature=sv=1&sig=x')).toMatch(
      /TableEndpoint uses http: use https/,
    );
    expect(
      problem(
        `DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
      ),
    ).toMatch(/DefaultEndpointsProtocol must be 'https'/);
    expect(
      problem(
        `DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=${KEY};EndpointSuffix=core.windows.net;UseDevelopmentStorage=true`,
      ),
    ).toMatch(/UseDevelopmentStorage with other parts/);
    // Azurite on this machine stays fine.
    expect(
      problem('TableEndpoint=http://localhost:10002/devstoreaccount1;SharedAccessSignature=sv=1&sig=x'),
    ).toBeUndefined();
  });

  it('agrees with the Table Storage SDK on what it can use', () => {
    const samples = [
      'UseDevelopmentStorage=true',
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
      `DefaultEndpointsProtocol=http;AccountName=a;AccountKey=${KEY};TableEndpoint=http://127.0.0.1:10002/a`,
      'TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=1&sig=x',
      'garbage',
      'a;b',
      `AccountName=acct;AccountKey=${KEY}`,
      `DefaultEndpointsProtocol=https;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY}`,
      'TableEndpoint=https://acct.table.core.windows.net',
      'SharedAccessSignature=sv=1',
      'TableEndpoint=https://example.com;SharedAccessSignature=sv=1',
      'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;SharedAccessSignature=sv=1',
    ];
    for (const value of samples) {
      let sdkTakesIt = true;
      try {
        TableClient.fromConnectionString(value, 'GuardrailAudit');
      } catch {
        sdkTakesIt = false;
      }
      expect({ value, usable: storageConnectionStringProblem(value) === undefined }).toEqual({
        value,
        usable: sdkTakesIt,
      });
    }
  });
});

describe('the JIT requester role at a management group', () => {
  const env = (extra: Record<string, string>) => ({
    ...BASE,
    GUARDRAIL_TEAMS_WEBHOOK_URL: WEBHOOK,
    ...extra,
  });
  const GROUP_SCOPE = '/providers/Microsoft.Management/managementGroups/contoso-lz';

  it('lives at the management group, assignable there only', () => {
    const role = loadConfig(env({ GUARDRAIL_ROLE_MANAGEMENT_GROUP: 'contoso-lz' })).role;
    expect(role.scope).toBe(GROUP_SCOPE);
    expect(role.desired.assignableScopes).toEqual([GROUP_SCOPE]);
  });

  it('refuses other assignable scopes beside it, and an id that is not one', () => {
    expect(
      problemsOf(
        env({
          GUARDRAIL_ROLE_MANAGEMENT_GROUP: 'contoso-lz',
          GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: `/subscriptions/${SUB}`,
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: with GUARDRAIL_ROLE_MANAGEMENT_GROUP/),
    ]);
    expect(problemsOf(env({ GUARDRAIL_ROLE_MANAGEMENT_GROUP: 'not/a group' }))).toEqual([
      expect.stringMatching(/^GUARDRAIL_ROLE_MANAGEMENT_GROUP: must be a management group id/),
    ]);
  });
});
