import { spawnSync } from 'node:child_process';
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

const NOT_INDEXED =
  '{"code":"Endpoint validation","message":"Destination endpoint not found. Resource details: resourceId: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/f/functions/guard"}';

describe('postdeploy: the event subscription, once the guard function exists', () => {
  it('retries only while Event Grid cannot find the function yet, then leaves the flag off', () => {
    script([NOT_INDEXED, NOT_INDEXED, 'ok']);
    const { status, out } = run('postdeploy.sh');
    expect(status, out).toBe(0);
    expect(provisions()).toEqual(['true', 'true', 'true']);
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBe('false');
    expect(out).toContain('not indexed yet (attempt 1 of 10)');
    expect(out).toContain('receives the subscription');
  });

  it('stops at once on any other failure, and fails loudly', () => {
    script(['InvalidTemplateDeployment: The template parameter guardrailMode is not valid', 'ok']);
    const { status, out } = run('postdeploy.sh');
    expect(status).not.toBe(0);
    expect(provisions()).toHaveLength(1);
    expect(out).toContain('was not retried');
    expect(envValue('DEPLOY_EVENT_SUBSCRIPTION')).toBe('false');
  });

  it('gives up after a bounded number of attempts', () => {
    script(Array(10).fill(NOT_INDEXED));
    const { status, out } = run('postdeploy.sh', { GUARDRAIL_EVENTS_ATTEMPTS: '3' });
    expect(status).not.toBe(0);
    expect(provisions()).toHaveLength(3);
    expect(out).toContain('still not found by Event Grid after 3 attempts');
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

describe('preprovision: a provision never picks the mode by itself', () => {
  it("keeps the operator's choice", () => {
    expect(run('preprovision.sh', { GUARDRAIL_MODE: 'report' }).status).toBe(0);
    expect(envValue('GUARDRAIL_MODE')).toBeUndefined();
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
    const typo = run('preprovision.sh', { GUARDRAIL_MODE: 'enforced' });
    expect(typo.status).not.toBe(0);
    expect(typo.out).toContain("'enforced'; it must be enforce or report");
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
});
