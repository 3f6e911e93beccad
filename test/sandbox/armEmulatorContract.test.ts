import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { NetworkManagementClient } from '@azure/arm-network';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmEmulator, emulatorCredential, userPrincipal } from '../../sandbox/emulator/index.js';
import { JitActor } from '../../sandbox/jitActor.js';
import { armRequest } from '../support/armRequest.js';
import { FIXTURES, fixture } from '../support/fixtures.js';
import { checkAgainstSwagger } from '../support/swaggerContract.js';

const SUB = '20ff7fc3-e762-44dd-bd96-b71116dcdc23';
const RG = 'myRg1';
const NSG = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/vm1-nsg`;
const NET = '?api-version=2025-05-01';
const SEC = '?api-version=2020-01-01';

type Example = { parameters: Record<string, unknown>; responses: Record<string, { body?: unknown }> };

describe('the swagger check itself', () => {
  const cases: [string, 'networkSecurityGroup.json' | 'jitNetworkAccessPolicies.json', string, string][] = [
    [
      'arm/network/examples/NetworkSecurityGroupGet.json',
      'networkSecurityGroup.json',
      'GET',
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg',
    ],
    [
      'arm/network/examples/NetworkSecurityGroupList.json',
      'networkSecurityGroup.json',
      'GET',
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups',
    ],
    [
      'arm/network/examples/NetworkSecurityGroupListAll.json',
      'networkSecurityGroup.json',
      'GET',
      '/subscriptions/s/providers/Microsoft.Network/networkSecurityGroups',
    ],
    [
      'arm/network/examples/NetworkSecurityGroupRuleGet.json',
      'networkSecurityGroup.json',
      'GET',
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/r',
    ],
    [
      'arm/network/examples/NetworkSecurityGroupRuleList.json',
      'networkSecurityGroup.json',
      'GET',
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/n/securityRules',
    ],
    [
      'arm/network/examples/NetworkSecurityGroupRuleCreate.json',
      'networkSecurityGroup.json',
      'PUT',
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/r',
    ],
    [
      'arm/network/examples/NetworkSecurityGroupRuleDelete.json',
      'networkSecurityGroup.json',
      'DELETE',
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/r',
    ],
    [
      'arm/security/examples/GetJitNetworkAccessPolicy_example.json',
      'jitNetworkAccessPolicies.json',
      'GET',
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default',
    ],
    [
      'arm/security/examples/GetJitNetworkAccessPoliciesSubscription_example.json',
      'jitNetworkAccessPolicies.json',
      'GET',
      '/subscriptions/s/providers/Microsoft.Security/jitNetworkAccessPolicies',
    ],
    [
      'arm/security/examples/CreateJitNetworkAccessPolicy_example.json',
      'jitNetworkAccessPolicies.json',
      'PUT',
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default',
    ],
  ];

  it.each(cases)('accepts the published example %s', (file, swagger, method, path) => {
    const example = fixture<Example>(file);
    for (const [status, response] of Object.entries(example.responses)) {
      expect(checkAgainstSwagger(swagger, method, path, Number(status), response.body).errors).toEqual([]);
    }
  });

  it('rejects an invented field, a wrong type and an undeclared status', () => {
    const example = fixture<Example>('arm/network/examples/NetworkSecurityGroupRuleGet.json');
    const body = example.responses['200']!.body as { properties: Record<string, unknown> };
    const path =
      '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/r';
    expect(
      checkAgainstSwagger('networkSecurityGroup.json', 'GET', path, 200, { ...body, invented: 1 }).errors,
    ).not.toEqual([]);
    expect(
      checkAgainstSwagger('networkSecurityGroup.json', 'GET', path, 200, {
        ...body,
        properties: { ...body.properties, priority: 'high' },
      }).errors,
    ).not.toEqual([]);
    expect(
      checkAgainstSwagger('networkSecurityGroup.json', 'DELETE', path, 201, undefined).errors,
    ).not.toEqual([]);
  });

  it('covers every example file we hold for the routes the emulator serves', () => {
    const held =
      readdirSync(join(FIXTURES, 'arm/network/examples')).length +
      readdirSync(join(FIXTURES, 'arm/security/examples')).length;
    expect(held).toBe(14);
  });
});

describe('the ARM emulator answers as the published contract says', () => {
  const arm = new ArmEmulator({ pageSize: 2, lroRetryAfterSeconds: 0, jitWriteHoldMs: 0 });
  let vmId = '';
  const call = (method: string, path: string, body?: unknown) =>
    armRequest(arm.url, arm.ca, method, path, body === undefined ? {} : { body });
  const expectConforms = async (
    swagger: 'networkSecurityGroup.json' | 'jitNetworkAccessPolicies.json',
    method: string,
    path: string,
    body?: unknown,
    expectedStatus?: number,
  ) => {
    const answer = await call(method, path, body);
    if (expectedStatus !== undefined) expect(answer.status).toBe(expectedStatus);
    const check = checkAgainstSwagger(swagger, method, path.split('?')[0]!, answer.status, answer.body);
    expect(check.errors, `${method} ${path} → ${answer.status} (${check.operationId})`).toEqual([]);
    return answer;
  };

  beforeAll(async () => {
    await arm.start();
    ({ vmId } = arm.seedVm({ subscriptionId: SUB, resourceGroup: RG, name: 'vm1', location: 'westeurope' }));
    for (let i = 2; i <= 5; i++)
      arm.seedVm({
        subscriptionId: SUB,
        resourceGroup: i % 2 ? RG : 'otherRg',
        name: `vm${i}`,
        location: 'westeurope',
      });
    const actor = new JitActor({
      armUrl: arm.url,
      ca: arm.ca,
      subscriptionId: SUB,
      resourceGroup: RG,
      location: 'westeurope',
      upn: 'barbara@contoso.com',
    });
    await actor.enable(vmId, [22, 3389]);
    await actor.request(vmId, 22, '*', 'why not');
  });
  afterAll(() => arm.stop());

  it('NSG get, list (paged) and list all', async () => {
    const got = await expectConforms('networkSecurityGroup.json', 'GET', `${NSG}${NET}`, undefined, 200);
    expect(got.headers.etag).toBe((got.body as { etag: string }).etag);
    const list = await expectConforms(
      'networkSecurityGroup.json',
      'GET',
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups${NET}`,
      undefined,
      200,
    );
    expect((list.body as { nextLink?: string }).nextLink).toMatch(new RegExp(`^${arm.url}/subscriptions/`));
    await expectConforms(
      'networkSecurityGroup.json',
      'GET',
      `/subscriptions/${SUB}/providers/Microsoft.Network/networkSecurityGroups${NET}`,
      undefined,
      200,
    );
  });

  it('security rule get, list, create (201 + Azure-AsyncOperation) and update (200)', async () => {
    const nsg = arm.getNsg(NSG)!;
    const ruleName = nsg.properties.securityRules[0]!.name;
    const got = await expectConforms(
      'networkSecurityGroup.json',
      'GET',
      `${NSG}/securityRules/${ruleName}${NET}`,
      undefined,
      200,
    );
    // As real rules come back (the recorded session): every plural list present, [] when unused.
    const recorded = fixture<{
      Entries: { RequestMethod: string; RequestUri: string; ResponseBody: unknown }[];
    }>('arm/network/recordings/SecurityRuleWithRulesApiTest[2021-04-01].json').Entries.find(
      (e) => e.RequestMethod === 'GET' && /\/securityRules\/[^/?]+\?/.test(e.RequestUri),
    )!.ResponseBody as { properties: Record<string, unknown> };
    const plural = [
      'sourcePortRanges',
      'destinationPortRanges',
      'sourceAddressPrefixes',
      'destinationAddressPrefixes',
    ];
    for (const key of plural) {
      expect(recorded.properties, key).toHaveProperty(key);
      expect((got.body as { properties: Record<string, unknown> }).properties, key).toHaveProperty(key);
    }
    await expectConforms('networkSecurityGroup.json', 'GET', `${NSG}/securityRules${NET}`, undefined, 200);
    await expectConforms(
      'networkSecurityGroup.json',
      'GET',
      `${NSG}/defaultSecurityRules${NET}`,
      undefined,
      200,
    );
    const rule = {
      properties: {
        protocol: 'Tcp',
        sourcePortRange: '*',
        destinationPortRange: '443',
        sourceAddressPrefix: '10.0.0.0/24',
        destinationAddressPrefix: '*',
        access: 'Allow',
        priority: 400,
        direction: 'Inbound',
      },
    };
    const created = await expectConforms(
      'networkSecurityGroup.json',
      'PUT',
      `${NSG}/securityRules/https${NET}`,
      rule,
      201,
    );
    expect(created.headers['azure-asyncoperation']).toMatch(
      new RegExp(
        `^${arm.url}/subscriptions/${SUB}/providers/Microsoft.Network/locations/westeurope/operations/`,
      ),
    );
    await expectConforms('networkSecurityGroup.json', 'PUT', `${NSG}/securityRules/https${NET}`, rule, 200);
    await expectConforms(
      'networkSecurityGroup.json',
      'PUT',
      `${NSG}/securityRules/bad${NET}`,
      { properties: { access: 'Allow' } },
      400,
    );
  });

  it('delete: 202 with Azure-AsyncOperation and Location on the emulator, then Succeeded; 204 when missing', async () => {
    const deleted = await expectConforms(
      'networkSecurityGroup.json',
      'DELETE',
      `${NSG}/securityRules/https${NET}`,
      undefined,
      202,
    );
    const asyncOperation = String(deleted.headers['azure-asyncoperation']);
    const location = String(deleted.headers.location);
    expect(asyncOperation.startsWith(arm.url)).toBe(true);
    expect(location).toMatch(/\/operationResults\//);
    const first = await armRequest(arm.url, arm.ca, 'GET', asyncOperation);
    expect(first.body).toEqual({ status: 'InProgress' });
    const second = await armRequest(arm.url, arm.ca, 'GET', asyncOperation);
    expect(second.body).toEqual({ status: 'Succeeded' });
    expect((await armRequest(arm.url, arm.ca, 'GET', location)).status).toBe(204);
    await expectConforms(
      'networkSecurityGroup.json',
      'DELETE',
      `${NSG}/securityRules/https${NET}`,
      undefined,
      204,
    );
  });

  it('errors are CloudError-shaped: 404 for a missing NSG or rule', async () => {
    await expectConforms(
      'networkSecurityGroup.json',
      'GET',
      `${NSG.replace('vm1-nsg', 'nope')}${NET}`,
      undefined,
      404,
    );
    await expectConforms(
      'networkSecurityGroup.json',
      'GET',
      `${NSG}/securityRules/nope${NET}`,
      undefined,
      404,
    );
  });

  it('JIT policy get, the four lists, and initiate (202 with the request)', async () => {
    const policyPath = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default`;
    const policy = await expectConforms(
      'jitNetworkAccessPolicies.json',
      'GET',
      `${policyPath}${SEC}`,
      undefined,
      200,
    );
    expect(JSON.stringify(policy.body)).toContain('barbara@contoso.com');
    for (const list of [
      `/subscriptions/${SUB}/providers/Microsoft.Security/jitNetworkAccessPolicies`,
      `/subscriptions/${SUB}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies`,
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Security/jitNetworkAccessPolicies`,
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies`,
    ]) {
      const answer = await expectConforms(
        'jitNetworkAccessPolicies.json',
        'GET',
        `${list}${SEC}`,
        undefined,
        200,
      );
      expect((answer.body as { value: unknown[] }).value).toHaveLength(1);
    }
    const body = {
      virtualMachines: [
        {
          id: vmId,
          ports: [
            { number: 3389, allowedSourceAddressPrefix: '192.127.0.2', endTimeUtc: '2030-01-01T00:00:00Z' },
          ],
        },
      ],
      justification: 'x',
    };
    // Real ARM answers `status: "Initiating"` (the published example), which the swagger enum lacks:
    // the emulator follows ARM, and this one known deviation is the only one allowed.
    const initiated = await call('POST', `${policyPath}/initiate${SEC}`, body);
    expect(initiated.status).toBe(202);
    expect(
      checkAgainstSwagger(
        'jitNetworkAccessPolicies.json',
        'POST',
        `${policyPath}/initiate`,
        202,
        initiated.body,
      ).errors,
    ).toEqual(['/virtualMachines/0/ports/0/status must be equal to one of the allowed values']);
    const published = fixture<Example>('arm/security/examples/InitiateJitNetworkAccessPolicy_example.json')
      .responses['202']!.body;
    expect(JSON.stringify(published)).toContain('"status":"Initiating"');
    expect(initiated.body).toMatchObject({
      justification: 'x',
      virtualMachines: [{ ports: [{ number: 3389, status: 'Initiating' }] }],
    });
    const notInPolicy = {
      virtualMachines: [
        {
          id: vmId,
          ports: [{ number: 8080, allowedSourceAddressPrefix: '*', endTimeUtc: '2030-01-01T00:00:00Z' }],
        },
      ],
    };
    await expectConforms(
      'jitNetworkAccessPolicies.json',
      'POST',
      `${policyPath}/initiate${SEC}`,
      notInPolicy,
      400,
    );
    await expectConforms(
      'jitNetworkAccessPolicies.json',
      'GET',
      `${policyPath.replace('default', 'none')}${SEC}`,
      undefined,
      404,
    );
  });

  it('writes JIT rules the way Defender for Cloud does', () => {
    const rules = arm.getNsg(NSG)!.properties.securityRules;
    const deny = rules.filter((r) => r.properties.access === 'Deny');
    const allow = rules.filter((r) => r.properties.access === 'Allow');
    expect(deny.map((r) => r.name)).toEqual(
      deny.map(() => expect.stringMatching(/^MicrosoftDefenderForCloud-JITRule_-?\d+_[0-9A-F]{32}$/)),
    );
    expect(deny.every((r) => Number(r.properties.priority) >= 1000)).toBe(true);
    expect(deny[0]!.properties.description).toBe(
      "MDC JIT Network Access rule for policy 'default' of VM 'vm1'.",
    );
    expect(allow.map((r) => r.name)).toEqual(
      allow.map(() => expect.stringMatching(/^MicrosoftDefenderForCloud-JITRule--?\d+-[0-9A-F]{32}$/)),
    );
    expect(allow.map((r) => r.properties.priority)).toEqual([100, 101]);
    expect(allow[0]!.properties.description).toBe(
      "MDC JIT Network Access rule created by an initiation request for policy 'default' of VM 'vm1'.",
    );
    const jitWrites = arm.events.published.filter(
      (e) =>
        e.fact.principal.kind === 'app' &&
        e.fact.operationName === 'Microsoft.Network/networkSecurityGroups/write',
    );
    expect(jitWrites.length).toBe(3);
    expect(arm.events.eventAt(arm.events.published.indexOf(jitWrites[1]!))).toMatchObject({
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      topic: `/subscriptions/${SUB}`,
      subject: NSG,
      data: {
        claims: { appid: '8edd93e1-2103-40b4-bd70-6e34e586362d', idtyp: 'app' },
        httpRequest: {},
        authorization: { Scope: NSG },
      },
    });
  });

  it('serves VMs and their NICs read-only, as a JIT requester reads them', async () => {
    const vm = await call('GET', `${vmId}?api-version=2024-07-01`);
    expect(vm).toMatchObject({
      status: 200,
      body: {
        name: 'vm1',
        properties: {
          networkProfile: {
            networkInterfaces: [{ id: expect.stringMatching(/networkInterfaces\/vm1-nic$/) }],
          },
        },
      },
    });
    const nicId = (vm.body as { properties: { networkProfile: { networkInterfaces: { id: string }[] } } })
      .properties.networkProfile.networkInterfaces[0]!.id;
    const nic = await call('GET', `${nicId}?api-version=2024-05-01`);
    expect(nic).toMatchObject({
      status: 200,
      body: {
        properties: {
          networkSecurityGroup: { id: NSG },
          ipConfigurations: [{ properties: { privateIPAddress: expect.stringMatching(/^10\.0\.\d+\.4$/) } }],
        },
      },
    });
    const rules = arm.getNsg(NSG)!.properties.securityRules.filter((r) => r.name.includes('JITRule'));
    const ip = (
      nic.body as { properties: { ipConfigurations: { properties: { privateIPAddress: string } }[] } }
    ).properties.ipConfigurations[0]!.properties.privateIPAddress;
    expect(rules.every((r) => r.properties.destinationAddressPrefix === ip)).toBe(true);
    expect(
      (
        await call(
          'GET',
          `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01`,
        )
      ).status,
    ).toBe(200);
    expect((await call('GET', `${vmId}-nope?api-version=2024-07-01`)).status).toBe(404);
  });

  it('serves a named subscription shaped like the published example; others are not found; versions as registered', async () => {
    arm.nameSubscription(SUB, 'Contoso Production');
    const example = fixture<Example>('arm/resources/examples/GetSubscription.json').responses['200']!
      .body as Record<string, unknown>;
    const answer = await call('GET', `/subscriptions/${SUB}?api-version=2022-12-01`);
    expect(answer.status).toBe(200);
    const body = answer.body as Record<string, unknown>;
    expect(body).toMatchObject({
      id: `/subscriptions/${SUB}`,
      subscriptionId: SUB,
      displayName: 'Contoso Production',
      state: 'Enabled',
    });
    // Every field the emulator sends is one the real answer has, of the same JSON type.
    for (const [field, value] of Object.entries(body)) {
      expect(example, field).toHaveProperty(field);
      expect(typeof value, field).toBe(typeof example[field]);
    }
    const other = '11111111-2222-3333-4444-555555555555';
    const missing = await call('GET', `/subscriptions/${other}?api-version=2022-12-01`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'SubscriptionNotFound' } });
    const unregistered = await call('GET', `/subscriptions/${SUB}?api-version=2025-05-01`);
    expect(unregistered.status).toBe(400);
    expect(unregistered.body).toMatchObject({ error: { code: 'NoRegisteredProviderFound' } });
    expect((await call('GET', `/subscriptions/${SUB}?api-version=2021-01-01`)).status).toBe(200);
  });

  it('the SDK pages through listAll with one request per page', async () => {
    const client = new NetworkManagementClient(emulatorCredential(userPrincipal('pager@contoso.com')), SUB, {
      endpoint: arm.url,
      $host: arm.url,
      tlsOptions: { ca: arm.ca },
    });
    arm.clearRequestLog();
    const all = [];
    for await (const nsg of client.networkSecurityGroups.listAll()) all.push(nsg.name);
    expect(all).toHaveLength(5);
    expect(arm.countRequests({ path: '/providers/Microsoft.Network/networkSecurityGroups' })).toBe(3);
  });

  it('folds a doubled leading slash, requires api-version and a bearer token, refuses unknown methods', async () => {
    expect((await call('GET', `/${NSG}${NET}`)).status).toBe(200);
    const noVersion = await call('GET', NSG);
    expect(noVersion).toMatchObject({ status: 400, body: { error: { code: 'MissingApiVersionParameter' } } });
    const anonymous = await armRequest(arm.url, arm.ca, 'GET', `${NSG}${NET}`, { token: null });
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 'AuthenticationFailed' } } });
    expect((await call('PATCH', `${NSG}${NET}`, {})).status).toBe(405);
  });

  it('etags belong to the whole NSG and change on every write; If-Match is enforced', async () => {
    const before = arm.getNsg(NSG)!.etag;
    const rule = {
      properties: {
        protocol: '*',
        sourcePortRange: '*',
        destinationPortRange: '80',
        sourceAddressPrefix: '10.0.0.1',
        destinationAddressPrefix: '*',
        access: 'Allow',
        priority: 500,
        direction: 'Inbound',
      },
    };
    await call('PUT', `${NSG}/securityRules/web${NET}`, rule);
    const after = arm.getNsg(NSG)!;
    expect(after.etag).not.toBe(before);
    expect(after.properties.securityRules.every((r) => r.etag === after.etag)).toBe(true);
    const stale = await armRequest(arm.url, arm.ca, 'DELETE', `${NSG}/securityRules/web${NET}`, {
      headers: { 'if-match': before },
    });
    expect(stale).toMatchObject({ status: 412, body: { error: { code: 'PreconditionFailed' } } });
  });
});

describe('emulator throttling and faults', () => {
  const arm = new ArmEmulator({
    throttling: {
      reads: { capacity: 3, refillPerSecond: 0.5 },
      writes: { capacity: 2, refillPerSecond: 0.5 },
      deletes: { capacity: 2, refillPerSecond: 0.5 },
    },
  });
  beforeAll(async () => {
    await arm.start();
    arm.seedVm({ subscriptionId: SUB, resourceGroup: RG, name: 'vm1' });
  });
  afterAll(() => arm.stop());

  it('answers 429 SubscriptionRequestsThrottled with Retry-After once a principal has spent its read tokens in a subscription; others are unaffected', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await armRequest(arm.url, arm.ca, 'GET', `${NSG}${NET}`, { token: 'reader' }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    // As ARM does: the tokens left in this kind's bucket, on every admitted answer.
    expect(answers.map((a) => a.headers['x-ms-ratelimit-remaining-subscription-reads'])).toEqual([
      '2',
      '1',
      '0',
      undefined,
    ]);
    const throttled = await armRequest(arm.url, arm.ca, 'GET', `${NSG}${NET}`, { token: 'reader' });
    expect(throttled.headers['retry-after']).toBe('2');
    expect(throttled.body).toMatchObject({
      error: {
        code: 'SubscriptionRequestsThrottled',
        message: expect.stringMatching(/'read' requests for subscription/),
      },
    });
    // Another subscription has buckets of its own; so do deletes.
    const other = `/subscriptions/00000000-0000-4000-8000-000000000001/providers/Microsoft.Network/networkSecurityGroups${NET}`;
    expect((await armRequest(arm.url, arm.ca, 'GET', other, { token: 'reader' })).status).toBe(200);
    const deleted = await armRequest(arm.url, arm.ca, 'DELETE', `${NSG}/securityRules/none${NET}`, {
      token: 'reader',
    });
    expect(deleted.status).toBe(204);
    expect(deleted.headers['x-ms-ratelimit-remaining-subscription-deletes']).toBe('1');
    expect((await armRequest(arm.url, arm.ca, 'GET', `${NSG}${NET}`, { token: 'someone-else' })).status).toBe(
      200,
    );
  });

  it('plays injected latency, statuses and resets a bounded number of times', async () => {
    arm.injectFault({ kind: 'status', status: 409 }, { path: '/securityRules/x', times: 1 });
    const conflict = await armRequest(arm.url, arm.ca, 'DELETE', `${NSG}/securityRules/x${NET}`, {
      token: 'w1',
    });
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'AnotherOperationInProgress' } } });
    expect(
      (await armRequest(arm.url, arm.ca, 'DELETE', `${NSG}/securityRules/x${NET}`, { token: 'w1' })).status,
    ).toBe(204);
    arm.injectFault({ kind: 'reset' }, { method: 'GET' });
    await expect(armRequest(arm.url, arm.ca, 'GET', `${NSG}${NET}`, { token: 'r2' })).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
    arm.injectFault({ kind: 'latency', ms: 60 }, { method: 'GET' });
    const started = Date.now();
    expect((await armRequest(arm.url, arm.ca, 'GET', `${NSG}${NET}`, { token: 'r3' })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});

describe('the recorded real session and the emulator agree on the delete handshake', () => {
  it('real ARM: rule DELETE 202 with Azure-AsyncOperation + Location, then operation Succeeded', () => {
    const recording = fixture<{
      Entries: {
        RequestMethod: string;
        RequestUri: string;
        StatusCode: number;
        ResponseHeaders: Record<string, string>;
        ResponseBody: unknown;
      }[];
    }>('arm/network/recordings/SecurityRuleWithRulesApiTest[2021-04-01].json');
    const del = recording.Entries.find(
      (e) => e.RequestMethod === 'DELETE' && e.RequestUri.includes('/securityRules/'),
    )!;
    expect(del.StatusCode).toBe(202);
    expect(Object.keys(del.ResponseHeaders)).toEqual(
      expect.arrayContaining(['Azure-AsyncOperation', 'Location']),
    );
    expect(del.ResponseHeaders.Location).toMatch(/\/operationResults\//);
    const poll = recording.Entries.find((e) => e.RequestUri === del.ResponseHeaders['Azure-AsyncOperation']);
    expect(poll?.ResponseBody).toEqual({ status: 'Succeeded' });
  });
});

describe('event delivery to a webhook', () => {
  it('POSTs each event as a one-element array with aeg-event-type, and records failed deliveries', async () => {
    const received: { headers: Record<string, unknown>; body: unknown }[] = [];
    let answer = 200;
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const arm = new ArmEmulator();
    await arm.start();
    try {
      const port = (server.address() as { port: number }).port;
      arm.subscribeWebhook(`http://127.0.0.1:${port}/api/events`, 'CloudEventSchemaV1_0');
      const { vmId } = arm.seedVm({ subscriptionId: SUB, resourceGroup: RG, name: 'vm1' });
      const actor = new JitActor({
        armUrl: arm.url,
        ca: arm.ca,
        subscriptionId: SUB,
        resourceGroup: RG,
        location: 'westeurope',
        upn: 'u@contoso.com',
      });
      await actor.enable(vmId, [22]);
      await arm.events.idle();
      expect(received).toHaveLength(1);
      expect(received[0]!.headers['aeg-event-type']).toBe('Notification');
      expect(received[0]!.body).toEqual([
        expect.objectContaining({
          specversion: '1.0',
          type: 'Microsoft.Resources.ResourceWriteSuccess',
          subject: NSG,
        }),
      ]);
      answer = 500;
      await actor.request(vmId, 22, '10.1.1.1');
      await arm.events.idle();
      expect(arm.events.deliveries.filter((d) => !d.ok).map((d) => d.error)).toContain(
        'webhook answered HTTP 500',
      );
    } finally {
      await arm.stop();
      await new Promise((done) => server.close(done));
    }
  });
});

describe('one operation per NSG at a time, as the network RP runs them', () => {
  const arm = new ArmEmulator();
  const rule = (priority: number) => ({
    properties: {
      protocol: 'Tcp',
      access: 'Allow',
      direction: 'Inbound',
      priority,
      sourceAddressPrefix: '*',
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: '22',
    },
  });
  beforeAll(async () => {
    await arm.start();
    arm.seedNsg(NSG, {
      properties: {
        securityRules: [
          { name: 'a', ...rule(100) },
          { name: 'b', ...rule(101) },
        ],
      },
    });
  });
  afterAll(() => arm.stop());

  it('a write while another operation updates the NSG: 429 RetryableError, the reason nested in details, Retry-After; reads go on; after it, the write is taken', async () => {
    const first = await armRequest(arm.url, arm.ca, 'DELETE', `${NSG}/securityRules/a${NET}`);
    expect(first.status).toBe(202);
    const contended = await armRequest(arm.url, arm.ca, 'DELETE', `${NSG}/securityRules/b${NET}`);
    expect(contended.status).toBe(429);
    expect(contended.headers['retry-after']).toBe('2');
    const error = (
      contended.body as { error: { code: string; details: { code: string; message: string }[] } }
    ).error;
    expect(error.code).toBe('RetryableError');
    expect(error.details.map((d) => d.code)).toEqual(['RetryableErrorDueToAnotherOperation']);
    expect(error.details[0]!.message).toMatch(
      new RegExp(
        `^Operation DeleteSecurityRuleOperation \\([0-9a-f-]+\\) is updating resource ${NSG}\\. The call can be retried in 2 seconds\\.$`,
      ),
    );
    expect((await armRequest(arm.url, arm.ca, 'GET', `${NSG}${NET}`)).status).toBe(200);
    // The first operation is done once polled to the end (or its time is up).
    const monitor = String(first.headers['azure-asyncoperation']);
    let done = false;
    for (let i = 0; i < 5 && !done; i++) {
      done =
        ((await armRequest(arm.url, arm.ca, 'GET', monitor)).body as { status: string }).status ===
        'Succeeded';
    }
    expect(done).toBe(true);
    expect((await armRequest(arm.url, arm.ca, 'DELETE', `${NSG}/securityRules/b${NET}`)).status).toBe(202);
  });
  it("JIT's own write holds the NSG after its event (jitWriteHoldMs): a write meanwhile meets 429 naming JIT's operation", async () => {
    const jit = await new ArmEmulator({ jitWriteHoldMs: 400 }).start();
    try {
      const { vmId, nsgId } = jit.seedVm({
        subscriptionId: SUB,
        resourceGroup: RG,
        name: 'held',
        location: 'westeurope',
      });
      const actor = new JitActor({
        armUrl: jit.url,
        ca: jit.ca,
        subscriptionId: SUB,
        resourceGroup: RG,
        location: 'westeurope',
        upn: 'barbara@contoso.com',
      });
      await actor.enable(vmId, [22]);
      await new Promise((r) => setTimeout(r, 450));
      await actor.request(vmId, 22, '*');
      const allow = jit.getNsg(nsgId)!.properties.securityRules.find((r) => r.properties.access === 'Allow')!;
      const contended = await armRequest(
        jit.url,
        jit.ca,
        'DELETE',
        `${nsgId}/securityRules/${allow.name}${NET}`,
      );
      expect(contended.status).toBe(429);
      expect(contended.headers['retry-after']).toBe('1');
      expect(JSON.stringify(contended.body)).toContain('Operation PutNetworkSecurityGroupOperation');
      expect((await armRequest(jit.url, jit.ca, 'GET', `${nsgId}${NET}`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 450));
      expect(
        (await armRequest(jit.url, jit.ca, 'DELETE', `${nsgId}/securityRules/${allow.name}${NET}`)).status,
      ).toBe(202);
    } finally {
      await jit.stop();
    }
  });
});
