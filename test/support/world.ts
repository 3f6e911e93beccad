import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import functions from '@azure/functions';
import type { InvocationContext } from '@azure/functions';
import { ArmEmulator, type ArmEmulatorOptions } from '../../sandbox/emulator/index.js';
import { TeamsSink } from '../../sandbox/teamsSink.js';

export const SUBSCRIPTION = '20ff7fc3-e762-44dd-bd96-b71116dcdc23';
export const RESOURCE_GROUP = 'myRg1';
export const LOCATION = 'westeurope';

export interface CapturedLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
}

/** A local world: the ARM emulator, a Teams sink, and the app settings that point the app at them. */
export class TestWorld {
  readonly arm: ArmEmulator;
  readonly teams = new TeamsSink();
  readonly logs: CapturedLog[] = [];
  private caDir: string | undefined;
  env: Record<string, string> = {};

  constructor(options: ArmEmulatorOptions = {}) {
    this.arm = new ArmEmulator({ lroRetryAfterSeconds: 0, ...options });
  }

  async start(settings: Record<string, string> = {}): Promise<this> {
    await Promise.all([this.arm.start(), this.teams.start()]);
    this.caDir = mkdtempSync(join(tmpdir(), 'jit-guardrail-ca-'));
    const caFile = join(this.caDir, 'emulator-ca.pem');
    writeFileSync(caFile, this.arm.ca);
    this.env = {
      GUARDRAIL_TEAMS_WEBHOOK_URL: this.teams.url,
      GUARDRAIL_ARM_ENDPOINT: this.arm.url,
      GUARDRAIL_ARM_CA_FILE: caFile,
      GUARDRAIL_LRO_POLL_INTERVAL_MS: '5',
      GUARDRAIL_ARM_RETRY_DELAY_MS: '5',
      GUARDRAIL_TEAMS_TIMEOUT_MS: '2000',
      ...settings,
    };
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([this.arm.stop(), this.teams.stop()]);
    if (this.caDir) rmSync(this.caDir, { recursive: true, force: true });
  }

  /** An InvocationContext as the host would give, with its logs captured. */
  context(functionName = 'guard'): InvocationContext {
    const capture = (level: CapturedLog['level']) => (...args: unknown[]) => {
      this.logs.push({ level, message: args.map(String).join(' ') });
    };
    return new functions.InvocationContext({
      functionName,
      invocationId: `test-${this.logs.length}`,
      logHandler: (level, ...args) => {
        const mapped = level === 'warning' ? 'warn' : level === 'information' ? 'info' : level === 'error' ? 'error' : 'debug';
        capture(mapped)(...args);
      },
    });
  }

  /** Seeds a VM with its NSG and a JIT policy over ports 22 and 3389 that allows any source. */
  seedJitVm(name: string, options: { allowedSource?: string; rules?: unknown[] } = {}) {
    const seeded = this.arm.seedVm({ subscriptionId: SUBSCRIPTION, resourceGroup: RESOURCE_GROUP, name, location: LOCATION, ...(options.rules ? { rules: options.rules } : {}) });
    return seeded;
  }
}
