import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/runCliCaptured.js';
import { JIT_REQUESTER_ACTIONS } from '../../src/lib/role/desiredRole.js';
import { fixture, FIXTURES } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'role-cli-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
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
      /cannot read role definition \/nonexistent.json: ENOENT/,
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
});
