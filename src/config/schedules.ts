import { ConfigError } from './configError.js';

// Read when the app loads (the host needs timer schedules then), so this module stays small.

/** NCRONTAB with seconds, as the Functions timer trigger takes it (six fields). */
export const DEFAULT_RECONCILE_SCHEDULE = '0 */15 * * * *';
export const DEFAULT_SWEEP_SCHEDULE = '0 7 * * * *';
export const DEFAULT_OUTBOX_SCHEDULE = '0 */1 * * * *';

const NCRONTAB_FIELD = /^[\d*/,-]+$/;

/**
 * A timer's schedule. The host needs it when the app is loaded, so it is read then (not on first
 * use); a bad value stops the app from loading, with a message naming the setting.
 */
function scheduleFrom(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: string,
): string {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return fallback;
  const fields = value.split(/\s+/);
  if (fields.length !== 6 || !fields.every((f) => NCRONTAB_FIELD.test(f))) {
    throw new ConfigError([
      `${name}: must be an NCRONTAB expression with six fields ({second} {minute} {hour} {day} {month} {day-of-week}), e.g. '${fallback}'`,
    ]);
  }
  return value;
}

export const reconcileScheduleFrom = (env: Readonly<Record<string, string | undefined>>) =>
  scheduleFrom(env, 'GUARDRAIL_RECONCILE_SCHEDULE', DEFAULT_RECONCILE_SCHEDULE);

export const sweepScheduleFrom = (env: Readonly<Record<string, string | undefined>>) =>
  scheduleFrom(env, 'GUARDRAIL_SWEEP_SCHEDULE', DEFAULT_SWEEP_SCHEDULE);

export const outboxScheduleFrom = (env: Readonly<Record<string, string | undefined>>) =>
  scheduleFrom(env, 'GUARDRAIL_OUTBOX_SCHEDULE', DEFAULT_OUTBOX_SCHEDULE);
