import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ArmEmulator } from './emulator/index.js';
import { SANDBOX_SUBSCRIPTION } from './seedSubscription.js';
import { TeamsSink } from './teamsSink.js';
import { ensurePrivateDir, writePrivateFile } from './host/sandboxState.js';

/** The local world: ARM emulator, Teams sink, and the app settings that point the app at them. */
export class SandboxWorld {
  readonly arm = new ArmEmulator({ lroRetryAfterSeconds: 0 });
  readonly teams = new TeamsSink();
  env: Record<string, string> = {};
  /** The emulator's CA, written for the app (GUARDRAIL_ARM_CA_FILE); removed again by stop(). */
  readonly caFile: string;

  constructor(readonly stateDir: string) {
    this.caFile = join(stateDir, 'emulator-ca.pem');
  }

  async start(
    options: { armPort?: number; teamsPort?: number; settings?: Record<string, string> } = {},
  ): Promise<this> {
    await this.arm.start(options.armPort ?? 0);
    await this.teams.start(options.teamsPort ?? 0);
    ensurePrivateDir(this.stateDir);
    writePrivateFile(this.caFile, this.arm.ca);
    this.env = {
      GUARDRAIL_SUBSCRIPTION_ID: SANDBOX_SUBSCRIPTION,
      GUARDRAIL_TEAMS_WEBHOOK_URL: this.teams.url,
      GUARDRAIL_ARM_ENDPOINT: this.arm.url,
      GUARDRAIL_ARM_CA_FILE: this.caFile,
      GUARDRAIL_LRO_POLL_INTERVAL_MS: '100',
      GUARDRAIL_ARM_RETRY_DELAY_MS: '100',
      GUARDRAIL_TEAMS_RETRY_DELAY_MS: '200',
      ...options.settings,
    };
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.arm.stop(), this.teams.stop()]);
    this.removeCaFile();
  }

  /** Synchronous, so an exit handler can call it too. */
  removeCaFile(): void {
    rmSync(this.caFile, { force: true });
  }
}
