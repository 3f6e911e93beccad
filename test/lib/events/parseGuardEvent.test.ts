import { describe, expect, it } from 'vitest';
import { InvalidEventError, parseGuardEvent } from '../../../src/lib/events/parseGuardEvent.js';
import { identifyWriter, SECURITY_RP_APP_ID } from '../../../src/lib/events/writer.js';
import { fixture } from '../../support/fixtures.js';

const SUB = '20ff7fc3-e762-44dd-bd96-b71116dcdc23';
const NSG_URI = `/subscriptions/${SUB}/resourceGroups/myRg1/providers/Microsoft.Network/networkSecurityGroups/vm1-nsg`;

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The documented sample event, turned into an NSG write (only the resource fields change). */
function nsgWriteEvent(
  schema: 'eventgrid' | 'cloudevent',
  patch: Partial<Record<string, unknown>> = {},
): Json {
  const [event] = clone(fixture<Json[]>(`azure/eventgrid-resource-write-success.${schema}.json`));
  const data = event!.data as Json;
  Object.assign(data, {
    resourceUri: NSG_URI,
    operationName: 'Microsoft.Network/networkSecurityGroups/write',
    resourceProvider: 'Microsoft.Network',
    subscriptionId: SUB,
    ...patch,
  });
  event!.subject = NSG_URI;
  return event!;
}

describe('parseGuardEvent: relevant events', () => {
  it.each(['eventgrid', 'cloudevent'] as const)('reads an NSG write in the %s schema', async (schema) => {
    const parsed = await parseGuardEvent(nsgWriteEvent(schema));
    expect(parsed).toMatchObject({
      kind: 'nsg-write',
      eventId: '4db48cba-50a2-455a-93b4-de41a3b5b7f6',
      schema: schema === 'eventgrid' ? 'EventGridSchema' : 'CloudEventSchemaV1_0',
      eventTime: '2018-07-19T18:38:04.611Z',
      resource: { subscriptionId: SUB, resourceGroup: 'myRg1', nsgName: 'vm1-nsg', ruleName: undefined },
    });
  });

  it('reads a security-rule write and names the rule', async () => {
    const parsed = await parseGuardEvent(
      nsgWriteEvent('eventgrid', {
        operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
        resourceUri: `${NSG_URI}/securityRules/MicrosoftDefenderForCloud-JITRule-1-ABC`,
      }),
    );
    expect(parsed).toMatchObject({
      kind: 'nsg-write',
      resource: { nsgName: 'vm1-nsg', ruleName: 'MicrosoftDefenderForCloud-JITRule-1-ABC' },
    });
  });

  it('does not need topic or metadataVersion', async () => {
    const event = nsgWriteEvent('eventgrid');
    delete event.topic;
    delete event.metadataVersion;
    expect((await parseGuardEvent(event)).kind).toBe('nsg-write');
  });

  it('accepts JSON text and one-element arrays, and operation names in any case', async () => {
    const event = nsgWriteEvent('eventgrid', {
      operationName: 'MICROSOFT.NETWORK/networkSecurityGroups/WRITE',
    });
    expect((await parseGuardEvent(JSON.stringify([event]))).kind).toBe('nsg-write');
  });

  it('reads PascalCase data keys, as seen in a real capture', async () => {
    const event = nsgWriteEvent('eventgrid');
    const data = event.data as Json;
    const pascal: Json = {};
    for (const [k, v] of Object.entries(data)) pascal[k[0]!.toUpperCase() + k.slice(1)] = v;
    pascal.HttpRequest = {};
    event.data = pascal;
    expect(await parseGuardEvent(event)).toMatchObject({
      kind: 'nsg-write',
      resource: { nsgName: 'vm1-nsg' },
    });
  });

  it('identifies the Security RP as JIT from claims.appid, not caller', async () => {
    const event = nsgWriteEvent('eventgrid');
    const firstParty = fixture<Json>(
      'azure/captured/activitylog-nsg-flowlog-write-firstparty-app.beginrequest.json',
    );
    (event.data as Json).claims = { ...(firstParty.claims as Json), appid: SECURITY_RP_APP_ID };
    const parsed = await parseGuardEvent(event);
    expect(parsed.kind === 'nsg-write' && parsed.writer).toMatchObject({
      kind: 'jit',
      appId: SECURITY_RP_APP_ID,
    });
  });
});

describe('parseGuardEvent: events it ignores (no ARM call follows)', () => {
  it.each([
    [
      'the documented storage write',
      () => fixture<Json[]>('azure/eventgrid-resource-write-success.eventgrid.json')[0],
    ],
    ['a resource delete', () => fixture<Json[]>('azure/eventgrid-resource-delete-success.eventgrid.json')[0]],
    [
      'a resource delete (CloudEvents)',
      () => fixture<Json[]>('azure/eventgrid-resource-delete-success.cloudevent.json')[0],
    ],
    ['a resource action', () => fixture<Json[]>('azure/eventgrid-resource-action-success.eventgrid.json')[0]],
    [
      'the subscription validation handshake',
      () => fixture<Json[]>('azure/eventgrid-subscription-validation.eventgrid.json')[0],
    ],
    [
      'a Resource Notifications event',
      () => fixture<Json>('azure/eventgrid-arn-resources-createdorupdated.eventgrid.json'),
    ],
    [
      'an NSG delete',
      () => nsgWriteEvent('eventgrid', { operationName: 'Microsoft.Network/networkSecurityGroups/delete' }),
    ],
    [
      'a rule delete',
      () =>
        nsgWriteEvent('eventgrid', {
          operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/delete',
        }),
    ],
  ])('%s', async (_label, make) => {
    const parsed = await parseGuardEvent(make());
    expect(parsed.kind).toBe('ignored');
  });
});

describe('parseGuardEvent: malformed deliveries fail with a clear error', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['garbage text', () => 'not json at all', /not JSON/],
    ['a number', () => 42, /expected an event object/],
    ['null', () => null, /expected an event object/],
    [
      'two events at once',
      () => [nsgWriteEvent('eventgrid'), nsgWriteEvent('eventgrid')],
      /expected one event, got 2/,
    ],
    ['an empty array', () => [], /expected one event, got 0/],
    [
      'no id',
      () => {
        const e = nsgWriteEvent('eventgrid');
        delete e.id;
        return e;
      },
      /id/,
    ],
    ['eventType not a string', () => ({ ...nsgWriteEvent('eventgrid'), eventType: 7 }), /eventType/],
    [
      'no data',
      () => {
        const e = nsgWriteEvent('eventgrid');
        delete e.data;
        return e;
      },
      /data/,
    ],
    ['data not an object', () => ({ ...nsgWriteEvent('eventgrid'), data: 'x' }), /no data object/],
    [
      'operationName missing',
      () => {
        const e = nsgWriteEvent('eventgrid');
        delete (e.data as Json).operationName;
        return e;
      },
      /operationName/,
    ],
    ['operationName a number', () => nsgWriteEvent('eventgrid', { operationName: 5 }), /operationName/],
    [
      'resourceUri missing',
      () => {
        const e = nsgWriteEvent('eventgrid');
        delete (e.data as Json).resourceUri;
        return e;
      },
      /resourceUri/,
    ],
    [
      'resourceUri not an NSG',
      () =>
        nsgWriteEvent('eventgrid', {
          resourceUri: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z',
        }),
      /not a plain NSG/,
    ],
    [
      'subscription mismatch',
      () => nsgWriteEvent('eventgrid', { subscriptionId: '00000000-0000-0000-0000-000000000000' }),
      /subscriptionId does not match/,
    ],
    [
      'claims not an object',
      () => nsgWriteEvent('eventgrid', { claims: 'appid=x' }),
      /claims must be an object/,
    ],
    [
      'correlationId a number',
      () => nsgWriteEvent('eventgrid', { correlationId: 12 }),
      /correlationId must be a string/,
    ],
    [
      'CloudEvent without source',
      () => {
        const e = nsgWriteEvent('cloudevent');
        delete e.source;
        return e;
      },
      /source/,
    ],
  ];
  it.each(cases)('%s', async (_label, make, message) => {
    const error = await parseGuardEvent(make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('identifyWriter', () => {
  it('names a user by UPN (real capture)', () => {
    const capture = fixture<Json>(
      'azure/captured/activitylog-securityrules-write-user-allowall.beginrequest.json',
    );
    expect(identifyWriter(capture.claims)).toMatchObject({
      kind: 'user',
      display: 'attacker@securathesis.onmicrosoft.com',
    });
  });

  it('names a first-party app by app id, never by a name it does not have (real capture)', () => {
    const capture = fixture<Json>(
      'azure/captured/activitylog-nsg-flowlog-write-firstparty-app.beginrequest.json',
    );
    expect(identifyWriter(capture.claims)).toMatchObject({
      kind: 'app',
      appId: '2cf9eb86-36b5-49dc-86ae-9a63135dfa8c',
    });
  });

  it('knows the Security RP whatever the case of the key', () => {
    expect(identifyWriter({ AppId: SECURITY_RP_APP_ID.toUpperCase() })).toMatchObject({ kind: 'jit' });
  });

  it('says unknown when there are no claims', () => {
    expect(identifyWriter(undefined)).toMatchObject({ kind: 'unknown' });
  });
});

describe('parseGuardEvent: role definition writes', () => {
  const ROLE_URI = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/7d6a9b2c-1f3e-4a5b-8c9d-0e1f2a3b4c5d`;

  it('reads a role definition write with its writer', async () => {
    const event = nsgWriteEvent('eventgrid', {
      operationName: 'Microsoft.Authorization/roleDefinitions/write',
      resourceUri: ROLE_URI,
      resourceProvider: 'Microsoft.Authorization',
    });
    const parsed = await parseGuardEvent(event);
    expect(parsed).toMatchObject({
      kind: 'role-write',
      roleDefinitionId: ROLE_URI,
      writer: { kind: 'user', display: '{user-name}' },
    });
  });

  it('refuses a role write whose resourceUri is not a role definition', async () => {
    const event = nsgWriteEvent('eventgrid', {
      operationName: 'Microsoft.Authorization/roleDefinitions/write',
      resourceUri: NSG_URI,
    });
    await expect(parseGuardEvent(event)).rejects.toThrow(/is not a role definition id/);
  });

  it('ignores role assignments and role deletes', async () => {
    for (const operationName of [
      'Microsoft.Authorization/roleAssignments/write',
      'Microsoft.Authorization/roleDefinitions/delete',
    ]) {
      expect(
        (await parseGuardEvent(nsgWriteEvent('eventgrid', { operationName, resourceUri: ROLE_URI }))).kind,
      ).toBe('ignored');
    }
  });
});

describe('parseGuardEvent: resource ids are decoded once and strictly', () => {
  const base = `/subscriptions/${SUB}/resourceGroups`;
  const nsgPath = 'providers/Microsoft.Network/networkSecurityGroups';
  it.each([
    ['a %2e%2e resource group that a URL parser would resolve', `${base}/%2e%2e/${nsgPath}/vm1-nsg`],
    ['a .. NSG name', `${base}/myRg1/${nsgPath}/..`],
    ['a . rule name', `${base}/myRg1/${nsgPath}/vm1-nsg/securityRules/%2E`],
    ['a malformed escape', `${base}/myRg1/${nsgPath}/vm1-nsg%E0%A4%A`],
    ['a lone %', `${base}/my%Rg1/${nsgPath}/vm1-nsg`],
    ['an encoded slash', `${base}/myRg1/${nsgPath}/vm1-nsg%2Fsecurity`],
    ['a double-encoded dot segment', `${base}/%252e%252e/${nsgPath}/vm1-nsg`],
    ['an encoded control character', `${base}/myRg1/${nsgPath}/vm1%0Ansg`],
    ['an empty segment', `/subscriptions/${SUB}/resourceGroups//${nsgPath}/vm1-nsg`],
    ['a doubled leading slash', `//subscriptions/${SUB}/resourceGroups/myRg1/${nsgPath}/vm1-nsg`],
    ['a subscription that is not a GUID', `/subscriptions/..%2f/resourceGroups/myRg1/${nsgPath}/vm1-nsg`],
  ])('rejects %s with InvalidEventError (never retried)', async (_what, resourceUri) => {
    const event = nsgWriteEvent('eventgrid', { resourceUri, subscriptionId: undefined });
    const error = await parseGuardEvent(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/not a plain NSG or security-rule id/);
  });

  it('decodes a legitimately escaped name once', async () => {
    const parsed = await parseGuardEvent(
      nsgWriteEvent('eventgrid', { resourceUri: `${base}/rg%20(prod)/${nsgPath}/vm1-nsg` }),
    );
    expect(parsed).toMatchObject({ resource: { resourceGroup: 'rg (prod)', nsgName: 'vm1-nsg' } });
  });
});
