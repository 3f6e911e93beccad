import functions from '@azure/functions';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcileHttp } from '../../src/functions/reconcileHttp.js';
import { reconcileTimer } from '../../src/functions/reconcileTimer.js';
import { JIT_REQUESTER_ACTIONS, DEFAULT_ROLE_DESCRIPTION } from '../../src/lib/role/desiredRole.js';
import { roleDefinitionGuid } from '../../src/lib/role/roleDefinitionId.js';
import { emulatorCredential, userPrincipal } from '../../sandbox/emulator/index.js';
import { SUBSCRIPTION, TestWorld } from '../support/world.js';

const SCOPE = `/subscriptions/${SUBSCRIPTION}`;
const ROLE = 'JIT Access Requester';
const GUID = roleDefinitionGuid(ROLE, SCOPE);
const EXACT = { actions: [...JIT_REQUESTER_ACTIONS], notActions: [], dataActions: [], notDataActions: [] };

interface Report {
  role: {
    status: string;
    roleId?: string;
    severity?: string;
    changes: { field: string; extra: string[]; missing: string[]; severity: string }[];
    duplicates: string[];
  };
  durationMs: number;
}

/** The base64 JSON App Service authentication puts in x-ms-client-principal. */
const principalWith = (roles: string[], name = 'ops@contoso.com') =>
  Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      name_typ: 'name',
      role_typ: 'roles',
      claims: [{ typ: 'name', val: name }, ...roles.map((val) => ({ typ: 'roles', val }))],
    }),
  ).toString('base64');

describe('role reconcile through the SDK against the emulator', () => {
  let world: TestWorld;

  beforeEach(async () => {
    world = new TestWorld();
    await world.start({ GUARDRAIL_ROLE_SETTLE_SECONDS: '600', WEBSITE_AUTH_ENABLED: 'True' });
    world.collectEvents();
  });
  afterEach(() => world.stop());

  const request = (
    init: {
      method?: string;
      body?: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
    } = {},
  ) =>
    new functions.HttpRequest({
      method: init.method ?? 'POST',
      url: 'http://localhost/api/reconcile',
      ...(init.body !== undefined ? { body: { string: init.body } } : {}),
      query: init.query ?? {},
      headers: init.headers ?? {},
    });

  /** As an admin signed in by App Service authentication; with no body or query, a real run. */
  async function post(init: Parameters<typeof request>[0] = {}) {
    const asAdmin = {
      headers: { 'x-ms-client-principal': principalWith(['Guardrail.Admin']) },
      ...(init.body === undefined && init.query === undefined ? { body: '{"dryRun": false}' } : {}),
      ...init,
    };
    const response = await reconcileHttp(request(asAdmin), world.context('reconcile'));
    return {
      status: response.status ?? 200,
      body: response.jsonBody as Report & { error?: string },
      headers: response.headers as Record<string, string> | undefined,
    };
  }

  const roleWrites = () =>
    world.guardrailCalls().filter((c) => c.method === 'PUT' && c.path.includes('roleDefinitions'));
  const seedRole = (guid: string, permissions: object[], extra: Record<string, unknown> = {}) =>
    world.arm.seedRoleDefinition(SCOPE, guid, {
      roleName: ROLE,
      description: DEFAULT_ROLE_DESCRIPTION,
      assignableScopes: [SCOPE],
      permissions,
      updatedBy: 'c0ffee00-0000-0000-0000-000000000001',
      ...extra,
    });

  it('creates the missing role with a GUID from name and scope; the PUT body is the desired definition; a second run creates nothing', async () => {
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.body.role).toMatchObject({
      status: 'created',
      roleId: `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${GUID}`,
    });
    expect(typeof first.body.durationMs).toBe('number');
    const puts = world.arm.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0]!.path).toMatch(new RegExp(`/roleDefinitions/${GUID}$`));
    expect(puts[0]!.body).toEqual({
      properties: {
        roleName: ROLE,
        description: DEFAULT_ROLE_DESCRIPTION,
        type: 'CustomRole',
        permissions: [EXACT],
        assignableScopes: [SCOPE],
      },
    });
    expect(world.teams.cards).toHaveLength(1);

    const second = await post();
    expect(second.body.role.status).toBe('in-sync');
    expect(roleWrites()).toHaveLength(1);
    expect(world.arm.roles.allLatest()).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(1);
  });

  it('our role renamed out of the list (same GUID) is found by id and renamed back: critical drift, not a second role', async () => {
    seedRole(GUID, [EXACT], { roleName: 'Harmless Reader' });
    const run = await post();
    expect(run.body.role).toMatchObject({ status: 'updated', severity: 'critical' });
    expect(world.arm.roles.allLatest()).toHaveLength(1);
    expect(world.arm.roles.latest(GUID)).toMatchObject({ properties: { roleName: ROLE } });
    expect(JSON.stringify(world.teams.cards[0]!.body)).toContain('Harmless Reader');
  });

  it('a write event naming a role of this name that is not assignable here is not adopted', async () => {
    const elsewhere = '/subscriptions/00000000-0000-4000-8000-0000000000bb';
    const other = '99999999-0000-4000-8000-00000000000b';
    const mallory = new AuthorizationManagementClient(
      emulatorCredential(userPrincipal('mallory@contoso.com')),
      SUBSCRIPTION,
      { endpoint: world.arm.url, $host: world.arm.url, tlsOptions: { ca: world.arm.ca } },
    );
    await mallory.roleDefinitions.createOrUpdate(elsewhere, other, {
      roleName: ROLE,
      description: DEFAULT_ROLE_DESCRIPTION,
      permissions: [{ ...EXACT, actions: ['*'] }],
      assignableScopes: [elsewhere],
    });
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    // Not taken for ours (no write to it); ours cannot be created while that name is taken: pending.
    expect(roleWrites()).toHaveLength(1);
    expect(world.arm.roles.latest(other)).toMatchObject({ properties: { assignableScopes: [elsewhere] } });
    expect(world.arm.roles.latest(GUID)).toBeUndefined();
    expect(world.teams.cards).toHaveLength(0);
  });

  it('a drifted role whose createdBy and updatedBy ARM gives as null (as recorded) is fixed; nothing says "null"', async () => {
    seedRole(GUID, [{ ...EXACT, actions: [...EXACT.actions, '*'] }], { createdBy: null, updatedBy: null });
    expect((await post()).body.role).toMatchObject({ status: 'updated', severity: 'critical' });
    expect(world.teams.cards).toHaveLength(1);
    expect(JSON.stringify(world.teams.cards[0]!.body)).not.toMatch(/\bnull\b/);
  });

  it('read lag: a run whose list does not show the new role yet reads it by id: in sync, not a second create', async () => {
    world.arm.options.roleReadLagMs = 60_000;
    expect((await post()).body.role.status).toBe('created');
    expect((await post()).body.role.status).toBe('in-sync');
    await reconcileTimer({} as never, world.context('reconcileTimer'));
    expect(roleWrites()).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(1);
  });

  it('read lag: a role of that name ARM holds but does not list yet (another GUID) is pending — no second role, no 502, no card', async () => {
    world.arm.seedRoleDefinition(
      SCOPE,
      '99999999-0000-4000-8000-000000000009',
      {
        roleName: ROLE,
        description: DEFAULT_ROLE_DESCRIPTION,
        assignableScopes: [SCOPE],
        permissions: [EXACT],
      },
      60_000,
    );
    const run = await post();
    expect(run.status).toBe(200);
    expect(run.body.role.status).toBe('pending');
    expect(world.arm.roles.allLatest()).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(0);
  });

  it('a role of that name that never shows up here (assignable elsewhere in the tenant): pending for the settle time, then one critical card', async () => {
    world.arm.seedRoleDefinition(
      `/subscriptions/00000000-0000-4000-8000-0000000000aa`,
      '99999999-0000-4000-8000-00000000000a',
      {
        roleName: ROLE,
        description: "someone else's",
        assignableScopes: ['/subscriptions/00000000-0000-4000-8000-0000000000aa'],
        permissions: [EXACT],
      },
    );
    await world.withSettings({ GUARDRAIL_ROLE_SETTLE_SECONDS: '0' }, async () => {
      const run = await post();
      expect(run.status).toBe(200);
      expect(run.body.role).toMatchObject({ status: 'ambiguous', severity: 'critical' });
      expect((await post()).body.role.status).toBe('ambiguous');
    });
    expect(world.arm.roles.allLatest()).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(1);
  });

  it('read lag across instances: a second instance whose list does not show the new role yet reads it by id: no write, no second card', async () => {
    world.arm.options.roleReadLagMs = 60_000;
    expect((await post()).body.role.status).toBe('created');
    // Another instance: a new runtime, with no memory of the first one's write.
    const second = await world.withSettings({ GUARDRAIL_TEAMS_RETRY_DELAY_MS: '7' }, () => post());
    expect(second.body.role.status).toBe('in-sync');
    expect(roleWrites()).toHaveLength(1);
    expect(world.arm.roles.allLatest()).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(1);
  });

  it('read lag after an update: the role read by id is in sync; a different change is new drift', async () => {
    seedRole(GUID, [{ ...EXACT, actions: [...EXACT.actions, '*'] }]);
    world.arm.options.roleReadLagMs = 60_000;
    expect((await post()).body.role).toMatchObject({ status: 'updated', severity: 'critical' });
    expect((await post()).body.role.status).toBe('in-sync');
    expect(roleWrites()).toHaveLength(1);
    // Someone else changes it meanwhile (visible at once): that is drift again, and it is fixed.
    seedRole(GUID, [{ ...EXACT, dataActions: ['Microsoft.Compute/virtualMachines/login/action'] }]);
    expect((await post()).body.role.status).toBe('updated');
    expect(roleWrites()).toHaveLength(2);
  });

  it.each([
    [
      'an extra action',
      {
        ...EXACT,
        actions: [...EXACT.actions, 'Microsoft.Security/locations/jitNetworkAccessPolicies/write'],
      },
      'actions',
      'critical',
    ],
    ['a missing action', { ...EXACT, actions: EXACT.actions.slice(1) }, 'actions', 'warning'],
    [
      'a notAction',
      { ...EXACT, notActions: ['Microsoft.Compute/virtualMachines/read'] },
      'notActions',
      'warning',
    ],
    [
      'a dataAction',
      { ...EXACT, dataActions: ['Microsoft.Compute/virtualMachines/login/action'] },
      'dataActions',
      'critical',
    ],
    ['a notDataAction', { ...EXACT, notDataActions: ['x/y'] }, 'notDataActions', 'warning'],
  ])(
    'timer, enforce: %s is restored and alerted with its severity',
    async (_label, permissions, field, severity) => {
      seedRole(GUID, [permissions]);
      await reconcileTimer({} as never, world.context('reconcileTimer'));
      expect(roleWrites()).toHaveLength(1);
      const latest = world.arm.roles.latest(GUID)!.properties as { permissions: unknown[] };
      expect(latest.permissions).toEqual([EXACT]);
      expect(world.teams.cards).toHaveLength(1);
      const text = JSON.stringify(world.teams.cards[0]!.body);
      expect(world.cardHeadlines()[0]).toContain(`had drifted (${severity})`);
      expect(text).toContain(`"${severity === 'critical' ? 'Critical' : 'Warning'}:"`);
      expect(text).toContain(field.toLowerCase().startsWith('not') ? 'excludes' : 'could');
      expect(text).toContain('restored the least-privilege definition');
      expect(text).toContain('c0ffee00-0000-0000-0000-000000000001');
    },
  );

  it('drift in assignable scopes, description, and permissions split across entries', async () => {
    seedRole(GUID, [{ actions: EXACT.actions.slice(0, 2) }, { actions: EXACT.actions.slice(2) }], {
      assignableScopes: [SCOPE, '/'],
      description: 'edited',
    });
    const report = (await post({ body: '{"dryRun": true}' })).body.role;
    expect(report.status).toBe('drift-reported');
    expect(report.changes.map((c) => c.field)).toEqual(['assignableScopes', 'description']);
    expect(report.changes[0]).toMatchObject({ extra: ['/'], severity: 'critical' });
    expect(roleWrites()).toHaveLength(0);
  });

  it('order and case alone are not drift', async () => {
    seedRole(GUID, [{ actions: [...EXACT.actions].reverse().map((a) => a.toLowerCase()) }]);
    expect((await post()).body.role.status).toBe('in-sync');
    expect(world.teams.cards).toHaveLength(0);
  });

  it('report mode reports drift once and writes nothing', async () => {
    seedRole(GUID, [{ ...EXACT, actions: [...EXACT.actions, '*'] }]);
    await world.withSettings({ GUARDRAIL_MODE: 'report' }, async () => {
      expect((await post()).body.role).toMatchObject({ status: 'drift-reported', severity: 'critical' });
      expect((await post()).body.role.status).toBe('drift-reported');
    });
    expect(roleWrites()).toHaveLength(0);
    expect(world.teams.cards).toHaveLength(1);
    expect(JSON.stringify(world.teams.cards[0]!.body)).toContain('reported only');
  });

  it('dry run (query or body) in enforce mode writes nothing', async () => {
    seedRole(GUID, [{ ...EXACT, actions: [] }]);
    expect((await post({ query: { dryRun: 'true' } })).body.role.status).toBe('drift-reported');
    expect((await post({ body: JSON.stringify({ dryRun: true }) })).body.role.status).toBe('drift-reported');
    expect(roleWrites()).toHaveLength(0);
    expect((await post({ body: JSON.stringify({ dryRun: false }) })).body.role.status).toBe('updated');
  });

  it('two roles with the name: ambiguous, alerted, nothing touched', async () => {
    seedRole(GUID, [EXACT]);
    seedRole('22222222-2222-2222-2222-222222222222', [{ actions: ['*'] }]);
    const report = (await post()).body.role;
    expect(report).toMatchObject({ status: 'ambiguous' });
    expect(report.duplicates).toHaveLength(2);
    expect(roleWrites()).toHaveLength(0);
    expect(world.cardHeadlines()[0]).toMatch(/^AMBIGUOUS: 2 roles are named "JIT Access Requester"/);
  });

  it('a role-definition write event reconciles at once and names who made the change', async () => {
    seedRole(GUID, [EXACT]);
    const mallory = new AuthorizationManagementClient(
      emulatorCredential(userPrincipal('mallory@contoso.com')),
      SUBSCRIPTION,
      {
        endpoint: world.arm.url,
        $host: world.arm.url,
        tlsOptions: { ca: world.arm.ca },
      },
    );
    await mallory.roleDefinitions.createOrUpdate(SCOPE, GUID, {
      roleName: ROLE,
      description: DEFAULT_ROLE_DESCRIPTION,
      permissions: [
        {
          ...EXACT,
          actions: [...EXACT.actions, 'Microsoft.Security/locations/jitNetworkAccessPolicies/write'],
        },
      ],
      assignableScopes: [SCOPE],
    });
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(roleWrites()).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(1);
    const text = JSON.stringify(world.teams.cards[0]!.body);
    expect(text).toContain('mallory@contoso.com');
    expect(text).toContain('role definition write event');
    // The guardrail's own write comes back as an event too: in sync now, no write, no alert.
    await world.deliverInbox();
    expect(roleWrites()).toHaveLength(1);
    expect(world.teams.cards).toHaveLength(1);
  });

  it('a role adopted under its own GUID, then renamed and widened in one write, is found by that id and put back: no second role', async () => {
    const legacy = '0c3f1d6e-0000-4000-8000-00000000beef';
    seedRole(legacy, [EXACT]);
    await reconcileTimer({} as never, world.context('reconcileTimer'));
    expect(roleWrites()).toHaveLength(0);
    const mallory = new AuthorizationManagementClient(
      emulatorCredential(userPrincipal('mallory@contoso.com')),
      SUBSCRIPTION,
      { endpoint: world.arm.url, $host: world.arm.url, tlsOptions: { ca: world.arm.ca } },
    );
    await mallory.roleDefinitions.createOrUpdate(SCOPE, legacy, {
      roleName: `${ROLE} (legacy)`,
      description: DEFAULT_ROLE_DESCRIPTION,
      permissions: [{ ...EXACT, actions: ['*'] }],
      assignableScopes: [SCOPE],
    });
    const results = await world.deliverInbox();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const writes = roleWrites();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.path).toMatch(new RegExp(`/roleDefinitions/${legacy}$`));
    expect(world.arm.roles.allLatest()).toHaveLength(1);
    expect(world.arm.roles.latest(legacy)?.properties).toMatchObject({
      roleName: ROLE,
      permissions: [{ actions: [...EXACT.actions] }],
    });
    const text = JSON.stringify(world.teams.cards.map((c) => c.body));
    expect(text).toContain('mallory@contoso.com');
    expect(text).toContain(`${ROLE} (legacy)`);
  });

  it('an ARM failure fails loudly: the timer throws, HTTP answers 502 with a JSON error and no stack', async () => {
    world.arm.injectFault(
      { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      { path: '/roleDefinitions', times: 10 },
    );
    await expect(reconcileTimer({} as never, world.context('reconcileTimer'))).rejects.toThrow(
      /list role definitions failed .*permission-denied/,
    );
    const answer = await post();
    expect(answer.status).toBe(502);
    // What kind of failure and where to look; never ARM's text, which names identities and ids.
    expect(answer.body.error).toMatch(
      /^Azure Resource Manager refused or failed the role read or write; see the function logs \(invocation /,
    );
    expect(JSON.stringify(answer.body)).not.toMatch(/AuthorizationFailed|roleDefinitions|subscriptions\//);
    expect(JSON.stringify(answer.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('a Teams failure fails the run after the fix; the next run sends the alert once', async () => {
    seedRole(GUID, [{ ...EXACT, actions: ['*'] }]);
    world.teams.answerNext(
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
    );
    await expect(reconcileTimer({} as never, world.context('reconcileTimer'))).rejects.toThrow(
      /Teams webhook still failing/,
    );
    expect(roleWrites()).toHaveLength(1);
    await reconcileTimer({} as never, world.context('reconcileTimer'));
    expect(world.teams.cards).toHaveLength(1);
    expect(roleWrites()).toHaveLength(1);
  });
});

describe('POST /api/reconcile: HTTP contract, failing closed', () => {
  const world = new TestWorld();
  beforeAll(async () => {
    await world.start({ WEBSITE_AUTH_ENABLED: 'True' });
  });
  afterAll(() => world.stop());
  beforeEach(() => world.arm.clearRequestLog());

  const call = async (init: {
    method?: string;
    body?: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
  }) => {
    const req = new functions.HttpRequest({
      method: init.method ?? 'POST',
      url: 'http://localhost/api/reconcile',
      ...(init.body !== undefined ? { body: { string: init.body } } : {}),
      query: init.query ?? {},
      headers: init.headers ?? {},
    });
    const response = await reconcileHttp(req, world.context('reconcile'));
    return {
      status: response.status ?? 200,
      body: response.jsonBody as { error?: string; role?: { status: string } },
      headers: (response.headers ?? {}) as Record<string, string>,
    };
  };
  const admin = { 'x-ms-client-principal': principalWith(['Guardrail.Admin']) };
  const roleWrites = () =>
    world.guardrailCalls().filter((c) => c.method === 'PUT' && c.path.includes('roleDefinitions'));

  it.each([
    ['GET', { method: 'GET', headers: admin }, 405],
    ['DELETE', { method: 'DELETE', headers: admin }, 405],
    ['a body that is not JSON', { body: '{dryRun:', headers: admin }, 400],
    ['a JSON array', { body: '[]', headers: admin }, 400],
    ['an unknown field', { body: '{"dryrun": true}', headers: admin }, 400],
    ['dryRun not a boolean', { body: '{"dryRun": "yes"}', headers: admin }, 400],
    ['dryRun=maybe in the query', { query: { dryRun: 'maybe' }, headers: admin }, 400],
    ['Easy Auth headers without a principal', { headers: { 'x-ms-client-principal-idp': 'aad' } }, 401],
    ['a principal that is not base64 JSON', { headers: { 'x-ms-client-principal': '%%%' } }, 401],
    [
      'a signed-in caller without the app role',
      { headers: { 'x-ms-client-principal': principalWith(['Reader']) } },
      403,
    ],
    [
      'a body over 4 KB',
      { body: JSON.stringify({ dryRun: true, pad: 'x'.repeat(5000) }), headers: admin },
      413,
    ],
    ['a write with the function key only', { body: '{"dryRun": false}' }, 403],
    ['a write asked in the query with the function key only', { query: { dryRun: 'false' } }, 403],
  ])('%s → %s with a JSON error, nothing written', async (_label, init, status) => {
    const answer = await call(init);
    expect(answer.status).toBe(status);
    expect(typeof answer.body.error).toBe('string');
    if (status === 405) expect(answer.headers.Allow).toBe('POST');
    expect(roleWrites()).toEqual([]);
  });

  it('a forged x-ms-client-principal is refused (401) when App Service authentication is off, and nothing is written', async () => {
    await world.withSettings({ WEBSITE_AUTH_ENABLED: '' }, async () => {
      const mallory = principalWith(['Guardrail.Admin'], 'mallory');
      const answer = await call({ headers: { 'x-ms-client-principal': mallory }, body: '{"dryRun": false}' });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/trusted only behind App Service authentication/);
      expect(world.logs.map((l) => l.message).join('\n')).not.toContain('requested by mallory');
    });
    await world.withSettings({ WEBSITE_AUTH_ENABLED: 'false' }, async () => {
      expect((await call({ headers: admin })).status).toBe(401);
    });
    expect(roleWrites()).toEqual([]);
  });

  it('WEBSITE_AUTH_ENABLED is compared without case', async () => {
    await world.withSettings({ WEBSITE_AUTH_ENABLED: 'TRUE' }, async () => {
      expect((await call({ headers: admin, query: { dryRun: 'true' } })).status).toBe(200);
    });
  });

  it('the function key and no body is a dry run: it reports and writes nothing', async () => {
    const answer = await call({});
    expect(answer.status).toBe(200);
    expect(answer.body.role?.status).toBe('drift-reported');
    expect(roleWrites()).toEqual([]);
  });

  it('an admin with no body also gets a dry run; only {"dryRun": false} writes', async () => {
    expect((await call({ headers: admin })).body.role?.status).toBe('drift-reported');
    expect(roleWrites()).toEqual([]);
    const answer = await call({ headers: admin, body: '{"dryRun": false}' });
    expect(answer.body.role?.status).toBe('created');
    expect(roleWrites()).toHaveLength(1);
  });

  it('the caller is checked before the settings: a bad setting does not answer an unauthorised caller', async () => {
    await world.withSettings(
      { GUARDRAIL_SUBSCRIPTION_ID: 'not-a-guid', WEBSITE_AUTH_ENABLED: '' },
      async () => {
        const forged = await call({ headers: admin });
        expect(forged.status).toBe(401);
        expect(forged.body.error).not.toMatch(/GUARDRAIL_SUBSCRIPTION_ID/);
      },
    );
    await world.withSettings({ GUARDRAIL_SUBSCRIPTION_ID: 'not-a-guid' }, async () => {
      const allowed = await call({ headers: admin });
      expect(allowed.status).toBe(500);
      expect(allowed.body.error).toMatch(
        /^the app settings are invalid; see the function logs \(invocation /,
      );
      expect(allowed.body.error).not.toContain('not-a-guid');
    });
  });

  it('a body declared larger than 4 KB is refused on its content-length, before it is read', async () => {
    let pulled = 0;
    const req = new functions.HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/reconcile',
      headers: { ...admin, 'content-length': '1000000' },
      body: { string: '{"dryRun": true}' },
    });
    const original = req.body!.getReader.bind(req.body);
    Object.defineProperty(req.body, 'getReader', {
      value: () => {
        pulled += 1;
        return original();
      },
    });
    const response = await reconcileHttp(req, world.context('reconcile'));
    expect(response.status).toBe(413);
    expect(pulled).toBe(0);
  });
});
