import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/settings.js';
import { guardEvent } from '../core/guardEvent.js';
import type { Logger } from '../core/logger.js';
import { reconcileRole } from '../core/reconcileRole.js';
import { sweep } from '../core/sweep.js';
import { diffRole } from '../lib/role/roleDiff.js';
import { parseRoleDefinition } from '../lib/role/roleDefinition.js';
import { createRuntime } from '../runtime.js';
import { SandboxWorld } from '../../sandbox/sandboxWorld.js';
import {
  actorFor,
  seedSubscription,
  SANDBOX_SUBSCRIPTION,
  type SandboxVm,
} from '../../sandbox/seedSubscription.js';
import type { CliIo } from './cliIo.js';
import { UsageError } from './readInput.js';

export const DEMO_HELP = `Usage: jit-guardrail demo [--verbose]

Runs the whole story offline, in this process, against the embedded ARM emulator and a local Teams
sink: a JIT request open to any source is removed within one event and alerted with the requester's
name; a request from one address stays; JIT's deny rules and a public non-JIT rule stay; the requester
role's drift is found and fixed; a request whose event was missed is caught by the sweep.

Exit codes: 0 every step held; 1 a step failed (named in the output).`;

interface Step {
  readonly title: string;
  readonly run: () => Promise<string>;
}

/** A step's check failed; the message says what was seen instead. */
class StepFailed extends Error {}

function check(condition: boolean, seen: string): void {
  if (!condition) throw new StepFailed(seen);
}

export async function demoCommand(args: readonly string[], io: CliIo): Promise<number> {
  const verbose = args.includes('--verbose');
  const unknown = args.filter((a) => a !== '--verbose');
  if (unknown.length > 0) throw new UsageError(`unknown argument ${unknown[0]}`);
  const stateDir = mkdtempSync(join(tmpdir(), 'jit-guardrail-demo-'));
  const world = new SandboxWorld(stateDir);
  const forgetSignals = removeOnSignal(stateDir, io);
  const log: Logger = {
    debug: () => {},
    info: (m) => verbose && io.stderr(`  · ${m}`),
    warn: (m) => verbose && io.stderr(`  · ${m}`),
    error: (m) => io.stderr(`  ! ${m}`),
  };
  try {
    await world.start();
    io.stdout(
      `jit-guardrail demo — local ARM emulator at ${world.arm.url}, subscription ${SANDBOX_SUBSCRIPTION}\n`,
    );
    const vms = await seedSubscription(world.arm);
    const runtime = createRuntime(loadConfig(world.env));
    const deps = runtime.guardDeps(log);
    const handled: string[] = [];
    world.arm.subscribe(async (event) => {
      const outcome = await guardEvent(event, deps);
      handled.push(outcome.status);
    });
    const steps = demoSteps(world, vms, runtime, deps, handled);
    let failed = 0;
    for (const [index, step] of steps.entries()) {
      try {
        const detail = await step.run();
        io.stdout(`✔ ${index + 1}. ${step.title}\n     ${detail}`);
      } catch (error) {
        failed += 1;
        io.stdout(
          `✘ ${index + 1}. ${step.title}\n     ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    io.stdout(
      `\n${steps.length - failed}/${steps.length} steps held; ${world.teams.cards.length} alert(s) reached the Teams sink; ${world.arm.requests.length} ARM requests served.`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    forgetSignals();
    await world.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ctrl-C (or SIGTERM, SIGHUP) ends the demo at once without leaving its temporary folder (the
 * emulator's CA) behind: the folder is removed, then the process exits 128 + the signal's number
 * (130 for Ctrl-C). Returns the undo.
 */
function removeOnSignal(stateDir: string, io: CliIo): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(stateDir, { recursive: true, force: true });
    io.stderr(
      `\njit-guardrail demo: stopped (${signal === 'SIGINT' ? 'Ctrl-C' : signal}); nothing left behind`,
    );
    process.exit(128 + constants.signals[signal]);
  };
  for (const signal of INTERRUPTS) process.on(signal, onSignal);
  return () => {
    for (const signal of INTERRUPTS) process.off(signal, onSignal);
  };
}

function demoSteps(
  world: SandboxWorld,
  vms: readonly SandboxVm[],
  runtime: ReturnType<typeof createRuntime>,
  deps: ReturnType<ReturnType<typeof createRuntime>['guardDeps']>,
  handled: string[],
): Step[] {
  const web01 = vms.find((v) => v.name === 'web-01')!;
  const web02 = vms.find((v) => v.name === 'web-02')!;
  const rules = (vm: SandboxVm) => world.arm.getNsg(vm.nsgId)!.properties.securityRules;
  const openRules = (vm: SandboxVm) =>
    rules(vm).filter(
      (r) =>
        r.name.includes('JITRule-') &&
        r.properties.access === 'Allow' &&
        r.properties.sourceAddressPrefix === '*',
    );
  const cardsMentioning = (text: string) =>
    world.teams.cards.filter((c) => JSON.stringify(c.body).includes(text));
  const denyRulesBefore = new Map(
    vms.map((vm) => [
      vm.name,
      rules(vm)
        .filter((r) => r.properties.access === 'Deny')
        .map((r) => r.name),
    ]),
  );
  const barbara = actorFor(world.arm, web01, 'barbara@contoso.com');

  return [
    {
      title:
        'A JIT request open to any source (*) is removed within one event and alerted with the requester',
      run: async () => {
        handled.length = 0;
        await barbara.request(web01.vmId, 22, '*', 'hotfix on the login page');
        await world.arm.events.idle();
        check(
          openRules(web01).length === 0,
          `the rule is still there: ${openRules(web01)
            .map((r) => r.name)
            .join(', ')}`,
        );
        check(handled.filter((s) => s === 'acted').length === 1, `events handled: ${handled.join(', ')}`);
        const card = cardsMentioning('hotfix on the login page');
        check(
          card.length === 1 && JSON.stringify(card[0]!.body).includes('barbara@contoso.com'),
          'no alert named barbara@contoso.com',
        );
        return `web-01:22 from * removed by the first NSG write event (${handled.length} events seen, the others ignored); the Teams card names barbara@contoso.com`;
      },
    },
    {
      title: 'A JIT request from one address stays',
      run: async () => {
        await barbara.request(web01.vmId, 3389, '203.0.113.7', 'RDP from the office');
        await world.arm.events.idle();
        const kept = rules(web01).filter((r) => r.properties.sourceAddressPrefix === '203.0.113.7');
        check(kept.length === 1, 'the rule from 203.0.113.7 is gone');
        check(
          cardsMentioning('RDP from the office').length === 0,
          'an alert was sent for a compliant request',
        );
        return `web-01:3389 from 203.0.113.7 kept (${kept[0]!.name})`;
      },
    },
    {
      title: "JIT's deny rules and a public non-JIT rule stay",
      run: async () => {
        for (const vm of vms) {
          const deny = rules(vm)
            .filter((r) => r.properties.access === 'Deny')
            .map((r) => r.name);
          check(
            JSON.stringify(deny) === JSON.stringify(denyRulesBefore.get(vm.name)),
            `${vm.name}: deny rules changed`,
          );
        }
        check(
          rules(web01).some((r) => r.name === 'AllowHttpsFromInternet'),
          'AllowHttpsFromInternet was removed',
        );
        return `${[...denyRulesBefore.values()].flat().length} deny rules untouched; AllowHttpsFromInternet (not JIT) untouched`;
      },
    },
    {
      title: 'The requester role drifted (it can edit JIT policies): found, fixed, alerted',
      run: async () => {
        const report = await reconcileRole(
          { dryRun: false, trigger: 'timer' },
          runtime.reconcileDeps(deps.log),
        );
        check(report.status === 'updated', `reconcile said ${report.status}`);
        const stored = world.arm.roles.allLatest()[0]!;
        const diff = diffRole(parseRoleDefinition(stored), runtime.config.role.desired);
        check(diff.inSync, `still differs: ${JSON.stringify(diff.changes)}`);
        check(cardsMentioning('had drifted').length === 1, 'no role alert');
        const extra = report.changes.filter((c) => c.field !== 'description').flatMap((c) => c.extra);
        return `removed ${extra.join(', ')} (${report.severity}); role back to its four permissions`;
      },
    },
    {
      title: 'A request whose event was missed is caught by the sweep',
      run: async () => {
        world.arm.events.deliveryEnabled = false;
        const carol = actorFor(world.arm, web02, 'carol@contoso.com');
        await carol.request(web02.vmId, 3389, 'Any', 'vendor support call');
        check(
          openRules(web02).length === 0 &&
            rules(web02).some((r) => r.properties.sourceAddressPrefix === 'Any'),
          'the request did not open the port',
        );
        const summary = await sweep({ subscriptions: [SANDBOX_SUBSCRIPTION], reportOnly: false }, deps);
        const sub = summary.subscriptions[0]!;
        check(
          !rules(web02).some((r) => r.properties.sourceAddressPrefix === 'Any'),
          'the sweep left the rule in place',
        );
        check(cardsMentioning('vendor support call').length === 1, 'no alert for the swept rule');
        world.arm.events.deliveryEnabled = true;
        return `sweep read ${sub.pages} page(s) of ${sub.nsgsScanned} NSGs, removed ${sub.removed} rule(s); the JIT policy audit flags ${sub.policyFindings.length} port(s) that allow any source`;
      },
    },
  ];
}
