import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileApp, registrationsOf, type HostView } from '../support/hostRegistrations.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

const bindingsOf = (view: HostView, name: string) =>
  Object.values(view.functions.find((f) => f.name === name)?.bindings ?? {});

describe('the app as the Functions host sees it', () => {
  let entry: string;
  let view: HostView;
  beforeAll(async () => {
    entry = await compileApp();
    view = await registrationsOf(entry);
  }, 60_000);

  it('registers exactly the guard, role events, the reconcile timer and HTTP endpoint, the sweep and outbox timers, with no settings needed at load', () => {
    expect(view.programmingModel).toMatchObject({ name: '@azure/functions' });
    expect(view.functions.map((f) => f.name).sort()).toEqual([
      'guard',
      'outboxTimer',
      'reconcile',
      'reconcileTimer',
      'roleEvents',
      'sweepTimer',
    ]);
  });

  it('GUARDRAIL_DUTY=guard hosts only what the guard identity can do: NSG events, sweep, outbox', async () => {
    const guardApp = await registrationsOf(entry, { GUARDRAIL_DUTY: 'guard' });
    expect(guardApp.functions.map((f) => f.name).sort()).toEqual(['guard', 'outboxTimer', 'sweepTimer']);
  });

  it('GUARDRAIL_DUTY=reconcile hosts only the role functions: role events, timer, admin endpoint, outbox', async () => {
    const reconciler = await registrationsOf(entry, { GUARDRAIL_DUTY: 'Reconcile' });
    expect(reconciler.functions.map((f) => f.name).sort()).toEqual([
      'outboxTimer',
      'reconcile',
      'reconcileTimer',
      'roleEvents',
    ]);
  });

  it('refuses an unknown GUARDRAIL_DUTY by name, so the app does not load half a guardrail', async () => {
    await expect(registrationsOf(entry, { GUARDRAIL_DUTY: 'both' })).rejects.toThrow(
      /GUARDRAIL_DUTY: must be 'guard'/,
    );
  });

  it('roleEvents: an Event Grid trigger', () => {
    expect(bindingsOf(view, 'roleEvents')).toEqual([
      expect.objectContaining({ type: 'eventGridTrigger', direction: 'in' }),
    ]);
  });

  it('guard: an Event Grid trigger', () => {
    expect(bindingsOf(view, 'guard')).toEqual([
      expect.objectContaining({ type: 'eventGridTrigger', direction: 'in' }),
    ]);
  });

  it('reconcileTimer: every 15 minutes by default, not on startup', () => {
    expect(bindingsOf(view, 'reconcileTimer')).toEqual([
      expect.objectContaining({
        type: 'timerTrigger',
        direction: 'in',
        schedule: '0 */15 * * * *',
        runOnStartup: false,
      }),
    ]);
  });

  it('sweepTimer: hourly at minute 7 by default, not on startup', () => {
    expect(bindingsOf(view, 'sweepTimer')).toEqual([
      expect.objectContaining({ type: 'timerTrigger', schedule: '0 7 * * * *', runOnStartup: false }),
    ]);
  });

  it('reconcile: HTTP at /api/reconcile with auth level function', () => {
    const [trigger, output] = bindingsOf(view, 'reconcile');
    expect(trigger).toMatchObject({
      type: 'httpTrigger',
      direction: 'in',
      authLevel: 'function',
      route: 'reconcile',
    });
    expect((trigger as { methods: string[] }).methods).toContain('POST');
    expect(output).toMatchObject({ type: 'http', direction: 'out' });
  });

  it('takes the timer schedule from GUARDRAIL_RECONCILE_SCHEDULE, and refuses a bad one by name', async () => {
    const custom = await registrationsOf(entry, { GUARDRAIL_RECONCILE_SCHEDULE: '0 0 * * * *' });
    expect(bindingsOf(custom, 'reconcileTimer')[0]).toMatchObject({ schedule: '0 0 * * * *' });
    await expect(registrationsOf(entry, { GUARDRAIL_RECONCILE_SCHEDULE: 'hourly' })).rejects.toThrow(
      /GUARDRAIL_RECONCILE_SCHEDULE: must be an NCRONTAB expression/,
    );
  });

  it('the deployment bundle registers exactly what the unbundled app does', async () => {
    const bundled = await registrationsOf(join(ROOT, 'dist/app/index.js'));
    expect(bundled).toEqual(view);
  });
});
