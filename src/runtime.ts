import { createArmCredential } from './adapters/armCredential.js';
import { createJitPolicyGateway } from './adapters/jitPolicyGateway.js';
import { createNsgGateway } from './adapters/nsgGateway.js';
import { createRoleGateway } from './adapters/roleGateway.js';
import { createSubscriptionGateway } from './adapters/subscriptionGateway.js';
import { createTeamsSender, longestSendMs, type TeamsSender } from './adapters/teamsWebhook.js';
import { loadConfig, SETTING_NAMES, type GuardrailConfig } from './config/settings.js';
import { createMemoryOutbox } from './core/alertOutbox.js';
import { sharePolicyReads } from './core/sharedPolicyReads.js';
import { cacheSubscriptionNames } from './core/subscriptionNames.js';
import { cacheGroupMembership } from './core/groupMembership.js';
import { createMemoryAuditTrail } from './core/auditTrail.js';
import { createTableAuditTrail } from './adapters/tableAuditTrail.js';
import { createTableOutbox, DEFAULT_LEASE_MS } from './adapters/tableOutbox.js';
import { createTableRemovalIntents } from './adapters/tableRemovalIntents.js';
import { createMemoryRemovalIntents } from './core/removalIntents.js';
import { createMemoryRoleAnchor } from './core/roleAnchor.js';
import { createTableRoleAnchor } from './adapters/tableRoleAnchor.js';
import { lazyTable } from './adapters/tableStorage.js';
import type { GuardDeps } from './core/guardEvent.js';
import type { SweepDeps } from './core/sweep.js';
import { createResourceGraphGateway } from './adapters/resourceGraphGateway.js';
import type { Logger } from './core/logger.js';
import { redact } from './core/redact.js';
import { createRoleWriteMemory, type ReconcileDeps } from './core/reconcileRole.js';

/** Config plus the adapters built from it, created once per process and shared by invocations. */
export interface Runtime {
  readonly config: GuardrailConfig;
  guardDeps(log: Logger): GuardDeps & SweepDeps;
  reconcileDeps(log: Logger): ReconcileDeps;
}

/** Without a webhook (CLI only) an alert's headline goes to standard error instead of Teams. */
const printingSender: TeamsSender = {
  async send(message) {
    console.error(
      redact(
        `alert (no Teams webhook configured): ${message.attachments[0]?.content.fallbackText ?? 'see card'}`,
      ),
    );
  },
};

export function createRuntime(config: GuardrailConfig): Runtime {
  const credential = createArmCredential(config);
  const nsgs = createNsgGateway(config, credential);
  const jitPolicies = sharePolicyReads(createJitPolicyGateway(config, credential), () => new Date());
  const roles = createRoleGateway(config, credential);
  const resourceGraph = createResourceGraphGateway(config, credential);
  const isBelowGuardedGroup =
    config.guardedManagementGroup === undefined
      ? undefined
      : cacheGroupMembership(resourceGraph, config.guardedManagementGroup, () => new Date());
  const subscriptionNames = cacheSubscriptionNames(
    createSubscriptionGateway(config, credential),
    () => new Date(),
  );
  const teams =
    config.teamsWebhookUrl === undefined
      ? printingSender
      : createTeamsSender({
          url: config.teamsWebhookUrl,
          maxAttempts: config.teams.maxAttempts,
          timeoutMs: config.teams.timeoutMs,
          baseDelayMs: config.teams.retryDelayMs,
        });
  const consoleLog: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m) => console.warn(redact(m)),
    error: (m) => console.error(redact(m)),
  };
  const outbox =
    config.storage === undefined
      ? createMemoryOutbox()
      : createTableOutbox(lazyTable(config.storage, config.tables.outbox, credential), () => consoleLog, {
          // A claim outlives the longest send twice over, so no sender is taken over mid-send.
          leaseMs: Math.max(DEFAULT_LEASE_MS, 2 * longestSendMs(config.teams)),
        });
  // Intents share the outbox's table: written just before a DELETE, settled once its alert is queued.
  const intents =
    config.storage === undefined
      ? createMemoryRemovalIntents()
      : createTableRemovalIntents(
          lazyTable(config.storage, config.tables.outbox, credential),
          () => consoleLog,
        );
  const audit =
    config.storage === undefined
      ? createMemoryAuditTrail()
      : createTableAuditTrail(lazyTable(config.storage, config.tables.audit, credential), () => consoleLog);
  const memory = createRoleWriteMemory();
  // The role anchor shares the outbox's table too (the reconciler app's own storage).
  const anchor =
    config.storage === undefined
      ? createMemoryRoleAnchor()
      : createTableRoleAnchor(lazyTable(config.storage, config.tables.outbox, credential), () => consoleLog);
  const now = () => new Date();

  const reconcileDeps = (log: Logger): ReconcileDeps => ({
    mode: config.mode,
    scope: config.role.scope,
    desired: config.role.desired,
    settleMs: config.role.settleMs,
    portalUrl: config.portalUrl,
    roles,
    teams,
    outbox,
    audit,
    memory,
    anchor,
    log,
    now,
  });

  return {
    config,
    reconcileDeps,
    guardDeps: (log) => ({
      mode: config.mode,
      portalUrl: config.portalUrl,
      exemptionMaxDays: config.exemptionMaxDays,
      nsgs,
      jitPolicies,
      subscriptionNames,
      teams,
      outbox,
      intents,
      audit,
      log,
      now,
      guardedSubscriptions: config.guardedSubscriptions,
      isBelowGuardedGroup,
      resourceGraph,
    }),
  };
}

let cached: { key: string; runtime: Runtime } | undefined;

/**
 * The runtime for the current app settings. Settings are validated on first use (a bad one fails
 * every invocation with a message naming it, before any Azure call) and the runtime is reused for
 * as long as the settings stay the same.
 */
export function runtimeFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Runtime {
  const key = JSON.stringify(SETTING_NAMES.map((name) => env[name] ?? null));
  if (cached?.key !== key) cached = { key, runtime: createRuntime(loadConfig(env)) };
  return cached.runtime;
}
