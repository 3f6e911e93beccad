import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/settings.js';
import { silentLogger } from '../src/core/logger.js';
import { createRuntime } from '../src/runtime.js';
import { ArmEmulator, type ArmEmulatorOptions, nsgId } from '../sandbox/emulator/index.js';
import { shapeEvent } from '../sandbox/emulator/eventPublisher.js';
import { SECURITY_RP_PRINCIPAL } from '../sandbox/emulator/principal.js';
import { TeamsSink } from '../sandbox/teamsSink.js';

export const SUB = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
export const RG = 'rg-bench';

/** An emulator, a Teams sink and a runtime pointed at them, for one benchmark. */
export async function benchWorld(options: ArmEmulatorOptions, settings: Record<string, string> = {}) {
  const arm = await new ArmEmulator({ lroRetryAfterSeconds: 0, lroPollsUntilDone: 0, ...options }).start();
  arm.nameSubscription(SUB, 'Bench subscription');
  const teams = await new TeamsSink().start();
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  writeFileSync(join(dir, 'ca.pem'), arm.ca);
  const env = {
    GUARDRAIL_SUBSCRIPTION_ID: SUB,
    GUARDRAIL_TEAMS_WEBHOOK_URL: teams.url,
    GUARDRAIL_ARM_ENDPOINT: arm.url,
    GUARDRAIL_ARM_CA_FILE: join(dir, 'ca.pem'),
    GUARDRAIL_LRO_POLL_INTERVAL_MS: '1',
    GUARDRAIL_ARM_RETRY_DELAY_MS: '50',
    ...settings,
  };
  const runtime = createRuntime(loadConfig(env));
  return {
    arm,
    teams,
    env,
    runtime,
    deps: runtime.guardDeps(silentLogger),
    async stop() {
      await arm.stop();
      await teams.stop();
    },
  };
}

export function jitRule(i: number, source: string) {
  return {
    name: `MicrosoftDefenderForCloud-JITRule-${1000 + i}-${i.toString(16).toUpperCase().padStart(32, '0')}`,
    properties: {
      description: `MDC JIT Network Access rule created by an initiation request for policy 'default' of VM 'vm${i}'.`,
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '22',
      sourceAddressPrefix: source,
      destinationAddressPrefix: '*',
      access: 'Allow',
      priority: 100,
      direction: 'Inbound',
    },
  };
}

/** Seeds an NSG straight into state (no event) and returns a ResourceWriteSuccess event for it, as JIT would send. */
export function seedWithEvent(arm: ArmEmulator, name: string, rules: unknown[]): Record<string, unknown> {
  const id = nsgId(SUB, RG, name);
  arm.seedNsg(id, { location: 'westeurope', properties: { securityRules: rules } });
  return shapeEvent(
    {
      id: `${name}-event`,
      time: new Date().toISOString(),
      fact: {
        type: 'Microsoft.Resources.ResourceWriteSuccess',
        subscriptionId: SUB,
        tenantId: arm.state.tenantId,
        resourceUri: id,
        operationName: 'Microsoft.Network/networkSecurityGroups/write',
        principal: SECURITY_RP_PRINCIPAL,
        correlationId: `${name}-corr`,
        httpMethod: 'PUT',
        url: `${arm.url}${id}`,
      },
    },
    'EventGridSchema',
  );
}
