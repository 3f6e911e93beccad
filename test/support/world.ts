import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import functions from '@azure/functions';
import type { InvocationContext } from '@azure/functions';
import { ArmEmulator, type ArmEmulatorOptions } from '../../sandbox/emulator/index.js';
import { JitActor } from '../../sandbox/jitActor.js';
import { TeamsSink } from '../../sandbox/teamsSink.js';
import { guard } from '../../src/functions/guard.js';
import { roleEvents } from '../../src/functions/roleEvents.js';
import { cardFacts, cardHeadline } from './cardText.js';
import { isWatchedRoleOperation } from '../../src/lib/events/watchedOperations.js';
import { LOCAL_EMULATOR_TOKEN } from '../../src/adapters/armCredential.js';
import {
  displayOf,
  emulatorCredential,
  principalFromToken,
  userPrincipal,
} from '../../sandbox/emulator/principal.js';
import { NetworkManagementClient } from '@azure/arm-network';

export const SUBSCRIPTION = '20ff7fc3-e762-44dd-bd96-b71116dcdc23';
export const SUBSCRIPTION_NAME = 'Contoso Production';
export const RESOURCE_GROUP = 'myRg1';
export const LOCATION = 'westeurope';

/** How the emulator logs the guardrail's local token. */
export const GUARDRAIL_PRINCIPAL = displayOf(principalFromToken(LOCAL_EMULATOR_TOKEN));

export interface CapturedLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
}

/** A local world: the ARM emulator, a Teams sink, and the app settings that point the app at them. */
export class TestWorld {
  readonly arm: ArmEmulator;
  readonly teams = new TeamsSink();
  readonly logs: CapturedLog[] = [];
  /** Every event the emulator published, in its delivery schema, not yet handed to the guard. */
  readonly inbox: Record<string, unknown>[] = [];
  private caDir: string | undefined;
  private savedEnv: NodeJS.ProcessEnv | undefined;
  env: Record<string, string> = {};

  constructor(options: ArmEmulatorOptions = {}) {
    // Fast by default: no LRO waits, and JIT's own write done at once (the realistic hold is tested on its own).
    this.arm = new ArmEmulator({ lroRetryAfterSeconds: 0, jitWriteHoldMs: 0, ...options });
    this.arm.nameSubscription(SUBSCRIPTION, SUBSCRIPTION_NAME);
  }

  async start(settings: Record<string, string> = {}): Promise<this> {
    await Promise.all([this.arm.start(), this.teams.start()]);
    this.caDir = mkdtempSync(join(tmpdir(), 'jit-guardrail-ca-'));
    const caFile = join(this.caDir, 'emulator-ca.pem');
    writeFileSync(caFile, this.arm.ca);
    this.env = {
      GUARDRAIL_SUBSCRIPTION_ID: SUBSCRIPTION,
      GUARDRAIL_TEAMS_WEBHOOK_URL: this.teams.url,
      GUARDRAIL_ARM_ENDPOINT: this.arm.url,
      GUARDRAIL_ARM_CA_FILE: caFile,
      GUARDRAIL_LRO_POLL_INTERVAL_MS: '5',
      GUARDRAIL_ARM_RETRY_DELAY_MS: '5',
      GUARDRAIL_TEAMS_TIMEOUT_MS: '2000',
      GUARDRAIL_TEAMS_RETRY_DELAY_MS: '5',
      ...settings,
    };
    this.savedEnv = { ...process.env };
    Object.assign(process.env, this.env);
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([this.arm.stop(), this.teams.stop()]);
    if (this.caDir) rmSync(this.caDir, { recursive: true, force: true });
    if (this.savedEnv) process.env = this.savedEnv;
  }

  /** Collects published events instead of delivering them, so a test decides when the guard runs. */
  collectEvents(schema: 'EventGridSchema' | 'CloudEventSchemaV1_0' = 'EventGridSchema'): () => void {
    return this.arm.subscribe((event) => void this.inbox.push(event), schema);
  }

  /** Hands every collected event to the guard, as the Functions host would, one at a time. */
  async deliverInbox(): Promise<PromiseSettledResult<void>[]> {
    await this.arm.events.idle();
    const events = this.inbox.splice(0);
    const results: PromiseSettledResult<void>[] = [];
    for (const event of events) {
      results.push(
        await this.deliver(event).then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        ),
      );
    }
    return results;
  }

  /**
   * Runs the function the deployed event subscriptions route this event to, with the current
   * settings: role-definition writes to the reconciler's `roleEvents`, everything else to `guard`.
   */
  deliver(event: unknown): Promise<void> {
    return isRoleEvent(event) ? roleEvents(event, this.context('roleEvents')) : guard(event, this.context());
  }

  /** Sets app settings for the duration of `fn` (the runtime is rebuilt when settings change). */
  async withSettings<T>(settings: Record<string, string>, fn: () => Promise<T>): Promise<T> {
    const previous = Object.fromEntries(Object.keys(settings).map((k) => [k, process.env[k]]));
    Object.assign(process.env, settings);
    try {
      return await fn();
    } finally {
      for (const [k, v] of Object.entries(previous)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  /** ARM calls made by the guardrail (not by the people or JIT in the scenario). */
  guardrailCalls(): { method: string; path: string; status: number }[] {
    return this.arm.requests
      .filter((r) => r.principal === GUARDRAIL_PRINCIPAL)
      .map(({ method, path, status }) => ({ method, path, status }));
  }

  /** An `@azure/arm-network` client acting as a person (for writes that are not JIT's). */
  networkClientAs(upn: string): NetworkManagementClient {
    return new NetworkManagementClient(emulatorCredential(userPrincipal(upn)), SUBSCRIPTION, {
      endpoint: this.arm.url,
      $host: this.arm.url,
      tlsOptions: { ca: this.arm.ca },
      retryOptions: { maxRetries: 0 },
    });
  }

  /** Cards the Teams sink accepted, each as label → value of its facts (footer included). */
  cardFacts(): Record<string, string>[] {
    return this.teams.cards.map((card) => cardFacts(card.body));
  }

  /** The headline of each card the Teams sink accepted. */
  cardHeadlines(): string[] {
    return this.teams.cards.map((card) => cardHeadline(card.body));
  }

  actor(upn: string): JitActor {
    return new JitActor({
      armUrl: this.arm.url,
      ca: this.arm.ca,
      subscriptionId: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      location: LOCATION,
      upn,
    });
  }

  /** An InvocationContext as the host would give, with its logs captured. */
  context(functionName = 'guard'): InvocationContext {
    const capture =
      (level: CapturedLog['level']) =>
      (...args: unknown[]) => {
        this.logs.push({ level, message: args.map(String).join(' ') });
      };
    return new functions.InvocationContext({
      functionName,
      invocationId: `test-${this.logs.length}`,
      logHandler: (level, ...args) => {
        const mapped =
          level === 'warning'
            ? 'warn'
            : level === 'information'
              ? 'info'
              : level === 'error'
                ? 'error'
                : 'debug';
        capture(mapped)(...args);
      },
    });
  }

  /** Seeds a VM with its own NSG in the test subscription. */
  /**
   * A VM whose NSG now holds a wildcard JIT rule that `actor` opened (events collected, not yet
   * delivered): the NSG write event to deliver, and the rule's name.
   */
  async wildcardJitRule(actor: JitActor, vmName: string, justification: string) {
    const vm = this.seedVm(vmName);
    await actor.enable(vm.vmId, [22]);
    await actor.request(vm.vmId, 22, '*', justification);
    await this.arm.events.idle();
    const event = this.inbox
      .splice(0)
      .filter((e) =>
        (e.data as { operationName: string }).operationName.endsWith('networkSecurityGroups/write'),
      )
      .pop()!;
    const rule = this.arm
      .getNsg(vm.nsgId)!
      .properties.securityRules.find((r) => r.properties.access === 'Allow')!;
    return { vm, event, ruleName: rule.name };
  }

  seedVm(name: string, options: { rules?: unknown[]; tags?: Record<string, string> } = {}) {
    return this.arm.seedVm({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      name,
      location: LOCATION,
      ...options,
    });
  }
}

function isRoleEvent(event: unknown): boolean {
  const one = Array.isArray(event) ? event[0] : event;
  const data = typeof one === 'object' && one !== null ? (one as { data?: unknown }).data : undefined;
  const operation =
    typeof data === 'object' && data !== null
      ? (data as { operationName?: unknown }).operationName
      : undefined;
  return typeof operation === 'string' && isWatchedRoleOperation(operation);
}
