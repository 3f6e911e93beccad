import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmEmulator, emulatorToken, userPrincipal } from '../../sandbox/emulator/index.js';
import { armRequest } from '../support/armRequest.js';
import { fixture } from '../support/fixtures.js';
import { checkAgainstSwagger } from '../support/swaggerContract.js';

const SUB = '20ff7fc3-e762-44dd-bd96-b71116dcdc23';
const SCOPE = `/subscriptions/${SUB}`;
const GUID = '7d6a9b2c-1f3e-4a5b-8c9d-0e1f2a3b4c5d';
const V = '?api-version=2022-04-01';
const FILE = 'authorization-RoleDefinitionsCalls.json';

type Example = { parameters: Record<string, unknown>; responses: Record<string, { body?: unknown }> };

describe('the swagger check accepts the published role definition examples', () => {
  it.each([
    ['GetRoleDefinitionByName.json', 'GET', '/scope/providers/Microsoft.Authorization/roleDefinitions/x'],
    ['GetRoleDefinitionAtScope.json', 'GET', '/scope/providers/Microsoft.Authorization/roleDefinitions'],
    ['PutRoleDefinition.json', 'PUT', '/scope/providers/Microsoft.Authorization/roleDefinitions/x'],
    ['DeleteRoleDefinition.json', 'DELETE', '/scope/providers/Microsoft.Authorization/roleDefinitions/x'],
  ])('%s', (file, method, path) => {
    const example = fixture<Example>(`arm/authorization/examples/${file}`);
    for (const [status, response] of Object.entries(example.responses)) {
      expect(checkAgainstSwagger(FILE, method, path, Number(status), response.body).errors).toEqual([]);
    }
  });
});

describe('the emulator serves role definitions as the published contract says', () => {
  // No list gap here: it has its own test below.
  const arm = new ArmEmulator({ roleReadLagMs: 0 });
  const token = emulatorToken(userPrincipal('admin@contoso.com'));
  const call = (method: string, path: string, body?: unknown) =>
    armRequest(arm.url, arm.ca, method, path, { token, ...(body !== undefined ? { body } : {}) });
  const conforms = async (method: string, path: string, body: unknown, status: number) => {
    const answer = await call(method, path, body);
    expect(answer.status).toBe(status);
    const pathOnly = path.split('?')[0]!.replace(/^\/+/, '/');
    expect(
      checkAgainstSwagger(
        FILE,
        method,
        `/scope${pathOnly.slice(pathOnly.indexOf('/providers/'))}`,
        answer.status,
        answer.body,
      ).errors,
    ).toEqual([]);
    return answer;
  };
  const role = (roleName: string, actions: string[]) => ({
    properties: {
      roleName,
      description: 'd',
      type: 'CustomRole',
      assignableScopes: [SCOPE],
      permissions: [{ actions, notActions: [], dataActions: [], notDataActions: [] }],
    },
  });

  beforeAll(async () => {
    await arm.start();
  });
  afterAll(() => arm.stop());

  it('PUT creates (201), GET by id, list with $filter=roleName (the SDK sends //subscriptions)', async () => {
    const created = await conforms(
      'PUT',
      `/${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
      role('JIT Access Requester', ['a/read']),
      201,
    );
    expect(created.body).toMatchObject({
      id: `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}`,
      name: GUID,
      type: 'Microsoft.Authorization/roleDefinitions',
      properties: {
        roleName: 'JIT Access Requester',
        type: 'CustomRole',
        updatedBy: userPrincipal('admin@contoso.com').objectId,
      },
    });
    await conforms(
      'PUT',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
      role('JIT Access Requester', ['a/read', 'b/read']),
      201,
    );
    await conforms(
      'GET',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
      undefined,
      200,
    );
    const filter = encodeURIComponent("roleName eq 'jit access requester'");
    const listed = await conforms(
      'GET',
      `/${SCOPE}/providers/Microsoft.Authorization/roleDefinitions${V}&$filter=${filter}`,
      undefined,
      200,
    );
    expect((listed.body as { value: unknown[] }).value).toHaveLength(1);
    const other = await conforms(
      'GET',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions${V}&$filter=${encodeURIComponent("roleName eq 'Other'")}`,
      undefined,
      200,
    );
    expect((other.body as { value: unknown[] }).value).toHaveLength(0);
    const event = arm.events.published.at(-1)!;
    expect(event.fact).toMatchObject({
      operationName: 'Microsoft.Authorization/roleDefinitions/write',
      resourceUri: `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}`,
    });
  });

  it('refuses a second role with the same name (409), a missing name or scopes (400), an unknown filter (400)', async () => {
    await conforms(
      'PUT',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/11111111-1111-1111-1111-111111111111${V}`,
      role('JIT ACCESS REQUESTER', ['x']),
      409,
    );
    await conforms(
      'PUT',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/11111111-1111-1111-1111-111111111111${V}`,
      { properties: { permissions: [] } },
      400,
    );
    await conforms(
      'PUT',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/11111111-1111-1111-1111-111111111111${V}`,
      { properties: { roleName: 'n', permissions: [], assignableScopes: [] } },
      400,
    );
    await conforms(
      'GET',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions${V}&$filter=${encodeURIComponent('startswith(roleName, "x")')}`,
      undefined,
      400,
    );
  });

  it('DELETE answers 200 with the definition, then 204; GET of a missing id is 404', async () => {
    await conforms(
      'DELETE',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
      undefined,
      200,
    );
    await conforms(
      'DELETE',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
      undefined,
      204,
    );
    await conforms(
      'GET',
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
      undefined,
      404,
    );
  });

  it('lists lag writes (the role is left out, as recorded); a GET by id shows the write at once', async () => {
    arm.options.roleReadLagMs = 60_000;
    try {
      await call(
        'PUT',
        `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
        role('Lagging', ['a']),
      );
      const filter = encodeURIComponent("roleName eq 'Lagging'");
      const listed = await call(
        'GET',
        `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions${V}&$filter=${filter}`,
      );
      expect(listed.body).toEqual({ value: [] });
      const read = await call(
        'GET',
        `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}${V}`,
      );
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ properties: { roleName: 'Lagging' } });
    } finally {
      arm.options.roleReadLagMs = 0;
    }
  });
});
