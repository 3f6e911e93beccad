import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const HOOKS = join(ROOT, 'infra/hooks');

/**
 * A stand-in `azd` on PATH: `env set` / `env get-value` keep values in files, like the azd
 * environment's .env; each `provision` records the DEPLOY_EVENT_SUBSCRIPTION value it saw and
 * answers with the next scripted outcome ("ok", or text to print before failing).
 */
const FAKE_AZD = `#!/bin/sh
dir="$FAKE_AZD_DIR"
case "$1 $2" in
  "env set") printf '%s' "$4" > "$dir/env/$3"; exit 0 ;;
  "env get-value") [ -f "$dir/env/$3" ] || { echo "ERROR: key '$3' not found" >&2; exit 1; }; cat "$dir/env/$3"; exit 0 ;;
esac
if [ "$1" = provision ]; then
  n=$(ls "$dir/provisions" | wc -l)
  cat "$dir/env/DEPLOY_EVENT_SUBSCRIPTION" > "$dir/provisions/$((n + 1))" 2>/dev/null || echo unset > "$dir/provisions/$((n + 1))"
  outcome=$(sed -n "$((n + 1))p" "$dir/outcomes")
  [ "$outcome" = ok ] && { echo "SUCCESS: provisioned"; exit 0; }
  echo "ERROR: deployment failed: $outcome"; exit 1
fi
echo "fake azd: unexpected: $*" >&2; exit 9
`;

let dir: string;

function run(hook: string, env: Record<string, string> = {}) {
  const result = spawnSync('sh', [join(HOOKS, hook)], {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
      FAKE_AZD_DIR: dir,
      GUARDRAIL_EVENTS_RETRY_SECONDS: '0',
      ...env,
    },
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}
const envValue = (key: string) => {
  try {
    return readFileSync(join(dir, 'env', key), 'utf8');
  } catch {
    return undefined;
  }
};
const provisions = () =>
  readdirSync(join(dir, 'provisions'))
    .sort((a, b) => Number(a) - Number(b))
    .map((f) => readFileSync(join(dir, 'provisions', f), 'utf8'));
const script = (outcomes: string[]) => writeFileSync(join(dir, 'outcomes'), `${outcomes.join('\n')}\n`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jit-guardrail-hooks-'));
  for (const sub of ['bin', 'env', 'provisions']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'bin/azd'), FAKE_AZD);
  chmodSync(join(dir, 'bin/azd'), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Event Grid's answer when a destination function is not indexed yet, naming the function. */
const notIndexed = (app: string, fn: string) =>
  `{"code":"Endpoint validation","message":"Destination endpoint not found. Resource details: resourceId: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/${app}/functions/${fn}"}`;
const NOT_INDEXED = notIndexed('func-guardrail-x', 'guard');

describe('postdeploy: the event subscriptions, once both the guard and roleEvents functions exist', () => {
  it('retries while Event Grid cannot find either function yet, naming it, then leaves the flag off', () => {
    // The guard app indexes first; the reconciler app's roleEvents a little later.
    script([NOT_INDEXED, notIndexed('func-reconciler-x', 'roleEvents'), 'ok']);
    const { status, out } = run('postdeploy.sh');
    expect(status, out).toBe(0);
    expect(provisions()).toEqual(['true', 'true', 'true']);
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBe('false');
    expect(out).toContain('Not indexed yet: sites/func-guardrail-x/functions/guard (attempt 1 of 10)');
    expect(out).toContain('Not indexed yet: sites/func-reconciler-x/functions/roleEvents (attempt 2 of 10)');
    expect(out).toContain('The guard and roleEvents functions receive the subscription');
  });

  it('waits for both: a provision that still misses roleEvents is retried even after guard was found', () => {
    script([
      notIndexed('func-reconciler-x', 'roleEvents'),
      notIndexed('func-reconciler-x', 'roleEvents'),
      'ok',
    ]);
    const { status, out } = run('postdeploy.sh');
    expect(status, out).toBe(0);
    expect(provisions()).toHaveLength(3);
    expect(out).not.toContain('was not retried');
  });

  it('stops at once on any other failure, and fails loudly', () => {
    script(['InvalidTemplateDeployment: The template parameter guardrailMode is not valid', 'ok']);
    const { status, out } = run('postdeploy.sh');
    expect(status).not.toBe(0);
    expect(provisions()).toHaveLength(1);
    expect(out).toContain('was not retried');
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBe('false');
  });

  it('refuses a retry setting that would not be bounded, before touching anything', () => {
    for (const [name, value] of [
      ['GUARDRAIL_EVENTS_ATTEMPTS', 'abc'],
      ['GUARDRAIL_EVENTS_ATTEMPTS', '99999999999999999999'],
      ['GUARDRAIL_EVENTS_ATTEMPTS', '0'],
      ['GUARDRAIL_EVENTS_RETRY_SECONDS', '-1'],
    ] as const) {
      const { status, out } = run('postdeploy.sh', { [name]: value });
      expect(status, `${name}=${value}`).not.toBe(0);
      expect(out).toContain(`${name} is '${value}'`);
    }
    expect(provisions()).toEqual([]);
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBeUndefined();
  });

  it('gives up after a bounded number of attempts', () => {
    script(Array(10).fill(NOT_INDEXED));
    const { status, out } = run('postdeploy.sh', { GUARDRAIL_EVENTS_ATTEMPTS: '3' });
    expect(status).not.toBe(0);
    expect(provisions()).toHaveLength(3);
    expect(out).toContain(
      'Event Grid still found no sites/func-guardrail-x/functions/guard after 3 attempts',
    );
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBe('false');
  });
});

describe('postdeploy interrupted', () => {
  it('Ctrl-C while waiting for the function still turns the flag off', async () => {
    script(Array(10).fill(NOT_INDEXED));
    const child = spawn('sh', [join(HOOKS, 'postdeploy.sh')], {
      env: {
        PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
        FAKE_AZD_DIR: dir,
        GUARDRAIL_EVENTS_RETRY_SECONDS: '20',
      },
      stdio: 'ignore',
      detached: true, // its own process group, which Ctrl-C signals as a whole
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    for (let i = 0; i < 100 && provisions().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(provisions()).toEqual(['true']);
    await new Promise((r) => setTimeout(r, 200)); // into the sleep between attempts
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBe('false');
  });
});

describe('postdown: the next azd up starts clean', () => {
  it('moves the Key Vault to its next name generation and turns the event subscription flag off', () => {
    writeFileSync(join(dir, 'env/DEPLOY_EVENT_SUBSCRIPTION'), 'true');
    expect(run('postdown.sh').status).toBe(0);
    expect(envValue('GUARDRAIL_KEY_VAULT_GENERATION')).toBe('2');
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBe('false');
    const second = run('postdown.sh');
    expect(envValue('GUARDRAIL_KEY_VAULT_GENERATION')).toBe('3');
    expect(second.out).toContain('azd pipeline config');
  });
});

describe('postdown: a generation it cannot read stops it', () => {
  it('refuses a malformed generation instead of guessing one', () => {
    for (const bad of [' 3', 'abc', '-2', '010', '1000']) {
      writeFileSync(join(dir, 'env/GUARDRAIL_KEY_VAULT_GENERATION'), bad);
      const { status, out } = run('postdown.sh');
      expect(status, bad).not.toBe(0);
      expect(out).toContain(`GUARDRAIL_KEY_VAULT_GENERATION is '${bad}'`);
      expect(envValue('GUARDRAIL_KEY_VAULT_GENERATION')).toBe(bad);
    }
    writeFileSync(join(dir, 'env/GUARDRAIL_KEY_VAULT_GENERATION'), '998');
    expect(run('postdown.sh').status).toBe(0);
    expect(envValue('GUARDRAIL_KEY_VAULT_GENERATION')).toBe('999');
    expect(run('postdown.sh').out).toContain('is the last one');
  });
});

describe('preprovision: a provision never picks the mode by itself', () => {
  it("keeps the operator's choice, and records one only exported in the shell", () => {
    writeFileSync(join(dir, 'env/GUARDRAIL_MODE'), 'report');
    const kept = run('preprovision.sh', { GUARDRAIL_MODE: 'report' });
    expect(kept.status).toBe(0);
    expect(kept.out).toBe('');
    rmSync(join(dir, 'env/GUARDRAIL_MODE'));
    const exported = run('preprovision.sh', { GUARDRAIL_MODE: 'report' });
    expect(exported.status).toBe(0);
    expect(envValue('GUARDRAIL_MODE')).toBe('report');
    expect(exported.out).toContain('now recorded');
  });

  it('records enforce, once and visibly, when a person provisions a new environment', () => {
    const { status, out } = run('preprovision.sh');
    expect(status).toBe(0);
    expect(envValue('GUARDRAIL_MODE')).toBe('enforce');
    expect(out).toContain('azd env set GUARDRAIL_MODE report');
  });

  it('refuses a CI provision without the repository variable, and a mode that does not exist', () => {
    const ci = run('preprovision.sh', { CI: 'true', GUARDRAIL_MODE: '' });
    expect(ci.status).not.toBe(0);
    expect(ci.out).toContain('Set the repository variable GUARDRAIL_MODE');
    expect(envValue('GUARDRAIL_MODE')).toBeUndefined();
    for (const ci of [{ CI: '1' }, { TF_BUILD: 'True' }] as Record<string, string>[]) {
      expect(run('preprovision.sh', ci).status, JSON.stringify(ci)).not.toBe(0);
    }
    expect(envValue('GUARDRAIL_MODE')).toBeUndefined();
    const typo = run('preprovision.sh', { GUARDRAIL_MODE: 'enforced' });
    expect(typo.status).not.toBe(0);
    expect(typo.out).toContain("'enforced'; it must be enforce or report");
  });
});

describe('preprovision: reusing a system topic needs its name and its resource group', () => {
  it('refuses one without the other, before anything is provisioned', () => {
    const nameOnly = run('preprovision.sh', {
      GUARDRAIL_MODE: 'report',
      GUARDRAIL_EXISTING_SYSTEM_TOPIC: 'evgt-platform',
    });
    expect(nameOnly.status).not.toBe(0);
    expect(nameOnly.out).toContain('GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP is not');
    const groupOnly = run('preprovision.sh', {
      GUARDRAIL_MODE: 'report',
      GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP: 'rg-platform',
    });
    expect(groupOnly.status).not.toBe(0);
    const both = run('preprovision.sh', {
      GUARDRAIL_MODE: 'report',
      GUARDRAIL_EXISTING_SYSTEM_TOPIC: 'evgt-platform',
      GUARDRAIL_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP: 'rg-platform',
    });
    expect(both.status, both.out).toBe(0);
  });
});

describe('preprovision: further subscriptions are ids', () => {
  it('refuses anything but GUIDs separated by commas or spaces, before anything is provisioned', () => {
    const ok = run('preprovision.sh', {
      GUARDRAIL_MODE: 'report',
      GUARDRAIL_SWEEP_SUBSCRIPTIONS:
        ' 22222222-0000-4000-8000-000000000002,,33333333-0000-4000-8000-00000000000A ',
    });
    expect(ok.status, ok.out).toBe(0);
    expect(
      run('preprovision.sh', { GUARDRAIL_MODE: 'report', GUARDRAIL_SWEEP_SUBSCRIPTIONS: '' }).status,
    ).toBe(0);
    for (const bad of [
      'contoso-prod',
      '22222222-0000-4000-8000-000000000002;33333333-0000-4000-8000-000000000003',
      '22222222-0000-4000-8000-000000000002\t33333333-0000-4000-8000-000000000003',
      '/subscriptions/22222222-0000-4000-8000-000000000002',
      '*',
      '22222222-0000-4000-8000-000000000002\nnot-an-id',
      'not-an-id\n22222222-0000-4000-8000-000000000002',
    ]) {
      const refused = run('preprovision.sh', {
        GUARDRAIL_MODE: 'report',
        GUARDRAIL_SWEEP_SUBSCRIPTIONS: bad,
      });
      expect(refused.status, bad).not.toBe(0);
      expect(refused.out).toMatch(/is not a subscription id|holds a line break or a tab/);
      expect(refused.out).toContain('Nothing was provisioned');
    }
  });
});

describe('preprovision: management groups are named by id', () => {
  it('refuses a display name, and a requester role both at a group and with its own scopes', () => {
    for (const setting of ['GUARDRAIL_GUARDED_MANAGEMENT_GROUP', 'GUARDRAIL_ROLE_MANAGEMENT_GROUP']) {
      expect(
        run('preprovision.sh', { GUARDRAIL_MODE: 'report', [setting]: 'mg-contoso_prod(1)' }).status,
      ).toBe(0);
      for (const bad of [
        'Contoso Production',
        'mg\nother',
        '/providers/Microsoft.Management/managementGroups/x',
      ]) {
        const refused = run('preprovision.sh', { GUARDRAIL_MODE: 'report', [setting]: bad });
        expect(refused.status, `${setting}=${bad}`).not.toBe(0);
        expect(refused.out).toContain(`${setting} is not a management group id`);
      }
    }
    const both = run('preprovision.sh', {
      GUARDRAIL_MODE: 'report',
      GUARDRAIL_ROLE_MANAGEMENT_GROUP: 'mg-contoso',
      GUARDRAIL_ROLE_ASSIGNABLE_SCOPES: '/subscriptions/22222222-0000-4000-8000-000000000002',
    });
    expect(both.status).not.toBe(0);
    expect(both.out).toContain('unset GUARDRAIL_ROLE_ASSIGNABLE_SCOPES');
  });

  it('prints a hostile value as it is (dash echo would read its backslashes)', () => {
    const refused = run('preprovision.sh', {
      GUARDRAIL_MODE: 'report',
      GUARDRAIL_SWEEP_SUBSCRIPTIONS: 'x\\cy',
    });
    expect(refused.out).toContain("'x\\cy' is not a subscription id");
  });
});

describe('every hook has a Windows twin azure.yaml names', () => {
  it('posix and pwsh scripts for each hook', () => {
    const azureYaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
    for (const hook of ['preprovision', 'postdeploy', 'postdown']) {
      expect(azureYaml).toContain(`run: ./infra/hooks/${hook}.sh`);
      expect(azureYaml).toContain(`run: ./infra/hooks/${hook}.ps1`);
      expect(readFileSync(join(HOOKS, `${hook}.ps1`), 'utf8').length).toBeGreaterThan(100);
    }
  });

  it('the pwsh postdeploy (not run here: no pwsh) retries the same one answer and names the same functions', () => {
    const ps1 = readFileSync(join(HOOKS, 'postdeploy.ps1'), 'utf8');
    const sh = readFileSync(join(HOOKS, 'postdeploy.sh'), 'utf8');
    for (const text of [
      'Destination endpoint not found',
      'sites/[^/" ]*/functions/[A-Za-z0-9_]*',
      'roleEvents',
    ])
      for (const [name, hook] of [
        ['postdeploy.sh', sh],
        ['postdeploy.ps1', ps1],
      ] as const)
        expect(hook, `${name}: ${text}`).toContain(text);
    expect(ps1).toMatch(/finally \{\s+Invoke-Azd env set DEPLOY_EVENT_SUBSCRIPTION false/);
  });
});
