import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultDesiredRole, JIT_REQUESTER_ACTIONS } from '../../../src/lib/role/desiredRole.js';
import { NotARoleDefinitionError, parseRoleDefinition } from '../../../src/lib/role/roleDefinition.js';
import { roleDefinitionGuid } from '../../../src/lib/role/roleDefinitionId.js';
import { classifyChanges, diffRole, worstSeverity } from '../../../src/lib/role/roleDiff.js';
import { fixture } from '../../support/fixtures.js';

type Permissions = {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
};

/** A role definition as ARM returns it. */
export function armRole(
  permissions: Permissions[],
  assignableScopes = ['/subscriptions/s'],
): Record<string, unknown> {
  return {
    id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/11111111-1111-1111-1111-111111111111',
    name: '11111111-1111-1111-1111-111111111111',
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: 'JIT Access Requester',
      type: 'CustomRole',
      description: 'x',
      assignableScopes,
      permissions,
    },
  };
}

const desired = defaultDesiredRole();
const exact = () =>
  armRole([{ actions: [...JIT_REQUESTER_ACTIONS], notActions: [], dataActions: [], notDataActions: [] }]);
const diff = (doc: Record<string, unknown>, want = desired) => diffRole(parseRoleDefinition(doc), want);

describe('diffRole', () => {
  it('the exact role is in sync', () => {
    expect(diff(exact())).toEqual({ inSync: true, changes: [] });
  });

  it('order and case alone are not drift', () => {
    const shuffled = [...JIT_REQUESTER_ACTIONS].reverse().map((a) => a.toUpperCase());
    expect(diff(armRole([{ actions: shuffled }])).inSync).toBe(true);
  });

  it('takes the union over all permissions[] entries', () => {
    const split = armRole([
      { actions: JIT_REQUESTER_ACTIONS.slice(0, 2) },
      { actions: JIT_REQUESTER_ACTIONS.slice(2), notActions: [] },
    ]);
    expect(diff(split).inSync).toBe(true);
    const splitWithExtra = armRole([
      { actions: [...JIT_REQUESTER_ACTIONS] },
      { dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'] },
    ]);
    expect(diff(splitWithExtra).changes).toEqual([
      {
        field: 'dataActions',
        extra: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
        missing: [],
      },
    ]);
  });

  it.each([
    [
      'an extra action',
      { actions: [...JIT_REQUESTER_ACTIONS, 'Microsoft.Security/locations/jitNetworkAccessPolicies/write'] },
      {
        field: 'actions',
        extra: ['Microsoft.Security/locations/jitNetworkAccessPolicies/write'],
        missing: [],
      },
      'critical',
    ],
    [
      'a wildcard action',
      { actions: [...JIT_REQUESTER_ACTIONS, '*'] },
      { field: 'actions', extra: ['*'], missing: [] },
      'critical',
    ],
    [
      'a missing action',
      { actions: JIT_REQUESTER_ACTIONS.slice(1) },
      { field: 'actions', extra: [], missing: [JIT_REQUESTER_ACTIONS[0]] },
      'warning',
    ],
    [
      'a notAction',
      { actions: [...JIT_REQUESTER_ACTIONS], notActions: ['Microsoft.Compute/virtualMachines/read'] },
      { field: 'notActions', extra: ['Microsoft.Compute/virtualMachines/read'], missing: [] },
      'warning',
    ],
    [
      'a dataAction',
      {
        actions: [...JIT_REQUESTER_ACTIONS],
        dataActions: ['Microsoft.Compute/virtualMachines/login/action'],
      },
      { field: 'dataActions', extra: ['Microsoft.Compute/virtualMachines/login/action'], missing: [] },
      'critical',
    ],
    [
      'a notDataAction',
      { actions: [...JIT_REQUESTER_ACTIONS], notDataActions: ['x/y'] },
      { field: 'notDataActions', extra: ['x/y'], missing: [] },
      'warning',
    ],
  ] as const)('finds %s', (_label, permissions, change, severity) => {
    const result = diff(armRole([permissions as Permissions]));
    expect(result).toEqual({ inSync: false, changes: [change] });
    expect(worstSeverity(classifyChanges(result.changes))).toBe(severity);
  });

  it('compares assignable scopes only when the desired role names them', () => {
    const wide = armRole([{ actions: [...JIT_REQUESTER_ACTIONS] }], ['/subscriptions/s', '/']);
    expect(diff(wide).inSync).toBe(true);
    const result = diff(wide, { ...desired, assignableScopes: ['/subscriptions/s/'] });
    expect(result.changes).toEqual([{ field: 'assignableScopes', extra: ['/'], missing: [] }]);
    expect(classifyChanges(result.changes)[0]!.severity).toBe('critical');
  });

  it('property: any permutation and recasing of the desired actions is in sync; any added action is drift', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...JIT_REQUESTER_ACTIONS], { minLength: 4, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc
          .string({ minLength: 1, maxLength: 30 })
          .filter((s) => !JIT_REQUESTER_ACTIONS.some((a) => a.toLowerCase() === s.toLowerCase())),
        (actions, upper, parts, extra) => {
          const cased = actions.map((a, i) => (upper[i] ? a.toUpperCase() : a));
          const entries = Array.from({ length: parts }, (_, p) => ({
            actions: cased.filter((_, i) => i % parts === p),
          }));
          expect(diff(armRole(entries)).inSync).toBe(true);
          expect(diff(armRole([...entries, { actions: [extra] }])).changes).toEqual([
            { field: 'actions', extra: [extra], missing: [] },
          ]);
        },
      ),
      { numRuns: 500, seed: 3 },
    );
  });
});

describe('parseRoleDefinition', () => {
  it('reads the published ARM examples', () => {
    const example = fixture<{ responses: { 200: { body: { value: unknown[] } } } }>(
      'arm/authorization/examples/GetRoleDefinitionAtScope.json',
    );
    expect(parseRoleDefinition(example.responses[200].body.value[0])).toMatchObject({
      roleName: 'Role name',
      actions: ['action'],
      dataActions: ['dataAction'],
      assignableScopes: ['/subscriptions/subId'],
    });
  });

  it('reads the flattened form az role definition list prints', () => {
    const az = {
      assignableScopes: ['/subscriptions/s'],
      description: 'd',
      id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/g',
      name: 'g',
      permissions: [{ actions: ['a/read'], notActions: [], dataActions: [], notDataActions: [] }],
      roleName: 'JIT Access Requester',
      roleType: 'CustomRole',
      type: 'Microsoft.Authorization/roleDefinitions',
    };
    expect(parseRoleDefinition(az)).toMatchObject({
      roleName: 'JIT Access Requester',
      actions: ['a/read'],
      assignableScopes: ['/subscriptions/s'],
    });
  });

  it('reads an Azure CLI role file and the flat form', () => {
    expect(parseRoleDefinition({ Name: 'r', Actions: ['a'], NotActions: ['b'] })).toMatchObject({
      roleName: 'r',
      actions: ['a'],
      notActions: ['b'],
      assignableScopes: undefined,
    });
    expect(parseRoleDefinition({ actions: ['a'] })).toMatchObject({ actions: ['a'], notActions: [] });
  });

  it.each([
    [null],
    [[]],
    ['x'],
    [{ properties: {} }],
    [{ properties: { permissions: 'all' } }],
    [{ properties: { permissions: [{ actions: [1] }] } }],
    [{ Actions: 'x' }],
    [{ name: 'r' }],
  ])('rejects %j', (value) => {
    expect(() => parseRoleDefinition(value)).toThrow(NotARoleDefinitionError);
  });
});

describe('roleDefinitionGuid', () => {
  it('is stable for a name and scope, and differs between them', () => {
    const a = roleDefinitionGuid('JIT Access Requester', '/subscriptions/s');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(roleDefinitionGuid('jit access requester', '/subscriptions/S/')).toBe(a);
    expect(roleDefinitionGuid('JIT Access Requester', '/subscriptions/t')).not.toBe(a);
  });
});
