import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { reconcileRole } from '../../src/core/reconcileRole.js';
import { JIT_REQUESTER_ACTIONS } from '../../src/lib/role/desiredRole.js';
import { roleDefinitionGuid } from '../../src/lib/role/roleDefinitionId.js';
import { runtimeFromEnvironment } from '../../src/runtime.js';
import { armRequest } from '../support/armRequest.js';
import { TestWorld } from '../support/world.js';

const GROUP = 'contoso-landing-zones';
const SCOPE = `/providers/Microsoft.Management/managementGroups/${GROUP}`;
const ROLE = 'JIT Access Requester';

/** One requester role for every subscription below a management group, reconciled once. */
describe('the JIT requester role at a management group', () => {
  const world = new TestWorld({ roleReadLagMs: 0 });
  beforeAll(async () => {
    await world.start({ GUARDRAIL_ROLE_MANAGEMENT_GROUP: GROUP, GUARDRAIL_DUTY: 'reconcile' });
    world.collectEvents();
  });
  afterAll(() => world.stop());

  const reconcile = () =>
    reconcileRole({ dryRun: false, trigger: 'timer' }, runtimeFromEnvironment().reconcileDeps(silentLogger));
  const ours = () =>
    world.arm.roles.allLatest().find((r) => (r.properties as { roleName?: string }).roleName === ROLE) as
      | { id: string; properties: { assignableScopes: string[]; permissions: { actions: string[] }[] } }
      | undefined;

  it('is created there, assignable at that management group only, with its four actions', async () => {
    await reconcile();
    const role = ours()!;
    expect(role.id).toBe(
      `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid(ROLE, SCOPE)}`,
    );
    expect(role.properties.assignableScopes).toEqual([SCOPE]);
    expect(role.properties.permissions[0]!.actions.sort()).toEqual([...JIT_REQUESTER_ACTIONS].sort());
    // Event Grid has no management-group source: its writes reach no topic; the timer is the watch.
    await world.arm.events.idle();
    expect(world.inbox).toEqual([]);
    expect(
      world
        .guardrailCalls()
        .filter((c) => c.method === 'PUT')
        .map((c) => c.path),
    ).toEqual([role.id]);
  });

  it('drift there is found and restored by the reconcile', async () => {
    const role = ours()!;
    world.arm.seedRoleDefinition(SCOPE, role.id.split('/').pop()!, {
      roleName: ROLE,
      assignableScopes: [SCOPE],
      permissions: [
        {
          actions: [...JIT_REQUESTER_ACTIONS, 'Microsoft.Security/locations/jitNetworkAccessPolicies/write'],
        },
      ],
    });
    const result = await reconcile();
    expect(result.status).toBe('updated');
    expect(ours()!.properties.permissions[0]!.actions.sort()).toEqual([...JIT_REQUESTER_ACTIONS].sort());
  });

  it("ARM's own rules hold in the emulator: one management group, and no data actions there", async () => {
    const put = (properties: Record<string, unknown>) =>
      armRequest(
        world.arm.url,
        world.arm.ca,
        'PUT',
        `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-8000-0000000000aa?api-version=2022-04-01`,
        {
          body: { properties: { roleName: 'Other', permissions: [{ actions: ['*/read'] }], ...properties } },
        },
      );
    const two = await put({
      assignableScopes: [SCOPE, '/providers/Microsoft.Management/managementGroups/other'],
    });
    expect(two).toMatchObject({ status: 400, body: { error: { code: 'InvalidAssignableScopes' } } });
    const data = await put({
      assignableScopes: [SCOPE],
      permissions: [
        {
          actions: [],
          dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
        },
      ],
    });
    expect(data).toMatchObject({ status: 400, body: { error: { code: 'InvalidAssignableScopes' } } });
  });
});
