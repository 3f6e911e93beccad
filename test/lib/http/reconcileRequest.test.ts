import { describe, expect, it } from 'vitest';
import {
  adminAuthFrom,
  authorizeReconcileCaller,
  decideReconcileRun,
  type Caller,
} from '../../../src/lib/http/reconcileRequest.js';

const headers = (values: Record<string, string>) => ({
  get: (name: string) => values[name.toLowerCase()] ?? null,
});
const principal = (body: Record<string, unknown>) => Buffer.from(JSON.stringify(body)).toString('base64');
const AUTH_ON = adminAuthFrom({ WEBSITE_AUTH_ENABLED: 'True' });
const admin: Caller = { name: 'ops', mayWrite: true };
const keyOnly: Caller = { name: undefined, mayWrite: false };

describe('the reconcile caller: only what the platform vouches for', () => {
  it('a principal from another identity provider than Entra ID is refused', () => {
    const sent = principal({ auth_typ: 'github', claims: [{ typ: 'roles', val: 'Guardrail.Admin' }] });
    expect(
      authorizeReconcileCaller(
        {
          method: 'POST',
          headers: headers({ 'x-ms-client-principal': sent, 'x-ms-client-principal-idp': 'github' }),
        },
        AUTH_ON,
      ),
    ).toMatchObject({ ok: false, status: 401 });
  });

  it('a principal cannot name which claim holds its roles (role_typ pointing at its name)', () => {
    const sent = principal({
      auth_typ: 'aad',
      role_typ: 'name',
      claims: [{ typ: 'name', val: 'Guardrail.Admin' }],
    });
    expect(
      authorizeReconcileCaller(
        { method: 'POST', headers: headers({ 'x-ms-client-principal': sent }) },
        AUTH_ON,
      ),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('the role claim by its long name counts', () => {
    const sent = principal({
      auth_typ: 'aad',
      claims: [
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Guardrail.Admin' },
      ],
    });
    expect(
      authorizeReconcileCaller(
        { method: 'POST', headers: headers({ 'x-ms-client-principal': sent }) },
        AUTH_ON,
      ),
    ).toEqual({ name: undefined, mayWrite: true });
  });

  it.each([' True ', 'TRUE', 'true'])('WEBSITE_AUTH_ENABLED=%j turns it on', (value) => {
    expect(adminAuthFrom({ WEBSITE_AUTH_ENABLED: value }).platformAuthEnabled).toBe(true);
  });
  it.each(['1', 'yes', '', 'false'])('WEBSITE_AUTH_ENABLED=%j does not', (value) => {
    expect(adminAuthFrom({ WEBSITE_AUTH_ENABLED: value }).platformAuthEnabled).toBe(false);
  });
});

describe('the reconcile run: a write only when asked for in so many words', () => {
  const query = (text: string) => new URLSearchParams(text);
  it.each([
    ['a string "false" in the body', '{"dryRun": "false"}', ''],
    ['dryRun twice in the query', '', 'dryRun=false&dryRun=true'],
    ['dryRun twice in the body', '{"dryRun": true, "dryRun": false}', ''],
    ['body and query disagreeing', '{"dryRun": true}', 'dryRun=false'],
    ['dryRun=False in the query', '', 'dryRun=False'],
    ['a number', '{"dryRun": 0}', ''],
  ])('%s is refused (400)', (_what, body, q) => {
    expect(decideReconcileRun(admin, body, query(q))).toMatchObject({ ok: false, status: 400 });
  });

  it('nothing asked for is a dry run, for everyone', () => {
    expect(decideReconcileRun(admin, '', query(''))).toEqual({ ok: true, dryRun: true });
    expect(decideReconcileRun(keyOnly, '', query(''))).toEqual({ ok: true, dryRun: true });
  });

  it('a write asked for by the function key alone is refused (403); by an admin it runs', () => {
    expect(decideReconcileRun(keyOnly, '{"dryRun": false}', query(''))).toMatchObject({ status: 403 });
    expect(decideReconcileRun(admin, '{"dryRun": false}', query(''))).toEqual({ ok: true, dryRun: false });
    expect(decideReconcileRun(admin, '', query('dryRun=false'))).toEqual({ ok: true, dryRun: false });
  });

  it('an unknown field is named without its control characters reaching the log', () => {
    const answer = decideReconcileRun(admin, JSON.stringify({ 'x\nforged line': 1 }), query(''));
    expect(answer).toMatchObject({ ok: false, status: 400 });
    expect((answer as { error: string }).error).not.toContain('\n');
  });
});
