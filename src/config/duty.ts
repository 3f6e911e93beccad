import { ConfigError } from './configError.js';

/**
 * Which functions this app hosts. Deployed, the guardrail is two apps with two identities: the
 * guard (NSG events, sweep, outbox) can delete security rules and never write a role; the
 * reconciler (role timer, role-definition events, the admin endpoint) writes the JIT requester role
 * and never touches an NSG. `all` hosts both in one process: the sandbox and local development.
 */
export type GuardrailDuty = 'guard' | 'reconcile' | 'all';

export const DUTIES: readonly GuardrailDuty[] = ['guard', 'reconcile', 'all'];

/**
 * Read when the app loads (the host indexes functions then); a bad value stops it loading. In Azure
 * (`WEBSITE_SITE_NAME` is set there) it must be given: an app that silently hosted both duties
 * would expose the admin endpoint where only the guard was meant to run.
 */
export function dutyFrom(env: Readonly<Record<string, string | undefined>>): GuardrailDuty {
  const value = env.GUARDRAIL_DUTY?.trim().toLowerCase();
  if (value === undefined || value === '') {
    if (env.WEBSITE_SITE_NAME?.trim()) {
      throw new ConfigError([
        `GUARDRAIL_DUTY: is required in Azure: 'guard' or 'reconcile' (each app runs one; infra sets it)`,
      ]);
    }
    return 'all';
  }
  if ((DUTIES as readonly string[]).includes(value)) return value as GuardrailDuty;
  throw new ConfigError([
    `GUARDRAIL_DUTY: must be 'guard' (NSG events, sweep, outbox), 'reconcile' (the JIT requester role) or 'all' (both, for the sandbox)`,
  ]);
}

export const hostsGuard = (duty: GuardrailDuty) => duty !== 'reconcile';
export const hostsReconcile = (duty: GuardrailDuty) => duty !== 'guard';
