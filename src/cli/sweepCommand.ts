import { ConfigError, loadConfig } from '../config/settings.js';
import type { Logger } from '../core/logger.js';
import { sweep, sweepExitCode, type SweepProgress } from '../core/sweep.js';
import { createRuntime } from '../runtime.js';
import type { CliIo } from './cliIo.js';
import { UsageError } from './readInput.js';

export const SWEEP_HELP = `Usage: jit-guardrail sweep [--subscription ID ...] [--report-only] [--emulator URL [--ca FILE]] [--verbose]

Lists every NSG of each subscription (one ARM read per page of NSGs), removes JIT rules open to the
internet through the same path as the event guard, alerts Teams (when GUARDRAIL_TEAMS_WEBHOOK_URL is
set; otherwise alerts are printed), and audits JIT policies for ports that allow any source.
Deletes are paced inside ARM's write limit (10 per second).

  --subscription ID   subscription to sweep; repeat for several (default: GUARDRAIL_SWEEP_SUBSCRIPTIONS,
                      then GUARDRAIL_SUBSCRIPTION_ID)
  --report-only       delete nothing; report what would be removed
  --emulator URL      use the local ARM emulator at URL instead of Azure (DefaultAzureCredential, e.g.
                      'az login', is used otherwise)
  --ca FILE           PEM certificate to trust for --emulator (default: GUARDRAIL_ARM_CA_FILE)
  --verbose           log every step to standard error

Progress goes to standard error (a bar on a terminal, lines otherwise); the JSON summary to standard output.

Exit codes: 0 nothing left open; 3 wildcard rules (report-only) or JIT policies allowing any source
remain; 1 something failed (named in the summary); 2 bad usage or settings.`;

interface SweepArgs {
  readonly subscriptions: string[];
  readonly reportOnly: boolean;
  readonly emulator: string | undefined;
  readonly ca: string | undefined;
  readonly verbose: boolean;
}

export async function sweepCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseSweepArgs(args);
  const env: Record<string, string | undefined> = { ...io.env };
  if (options.emulator !== undefined) env.GUARDRAIL_ARM_ENDPOINT = options.emulator;
  if (options.ca !== undefined) env.GUARDRAIL_ARM_CA_FILE = options.ca;
  if (options.subscriptions.length > 0) {
    env.GUARDRAIL_SWEEP_SUBSCRIPTIONS = options.subscriptions.join(',');
    env.GUARDRAIL_SUBSCRIPTION_ID ??= options.subscriptions[0];
  } else if (env.GUARDRAIL_SUBSCRIPTION_ID === undefined && env.GUARDRAIL_SWEEP_SUBSCRIPTIONS) {
    env.GUARDRAIL_SUBSCRIPTION_ID = env.GUARDRAIL_SWEEP_SUBSCRIPTIONS.split(/[\s,]+/)[0];
  }
  let config;
  try {
    config = loadConfig(env, { requireTeamsWebhook: false });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(
      `jit-guardrail sweep: ${error.message}${options.subscriptions.length === 0 ? '\n(give --subscription ID)' : ''}`,
    );
    return 2;
  }
  const log: Logger = {
    debug: (m) => options.verbose && io.stderr(`debug: ${m}`),
    info: (m) => options.verbose && io.stderr(m),
    warn: (m) => io.stderr(`warning: ${m}`),
    error: (m) => io.stderr(`error: ${m}`),
  };
  const runtime = createRuntime(config);
  const summary = await sweep(
    {
      subscriptions: config.guardedSubscriptions,
      reportOnly: options.reportOnly,
      onProgress: (p) => io.progress(progressLine(p, io.isTty)),
    },
    runtime.guardDeps(log),
  );
  if (io.isTty) io.progress('\n');
  io.stdout(JSON.stringify(summary, null, 2));
  return sweepExitCode(summary);
}

function progressLine(p: SweepProgress, tty: boolean): string {
  const text = `${p.subscriptionId}: ${p.nsgsScanned} NSGs in ${p.pages} page(s), ${p.wildcardRules} wildcard JIT rule(s)`;
  if (!tty) return `${text}\n`;
  const spinner = '|/-\\'[p.pages % 4];
  return `\r${spinner} ${text}`;
}

function parseSweepArgs(args: readonly string[]): SweepArgs {
  const parsed = {
    subscriptions: [] as string[],
    reportOnly: false,
    emulator: undefined as string | undefined,
    ca: undefined as string | undefined,
    verbose: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--subscription') parsed.subscriptions.push(value());
    else if (arg === '--report-only') parsed.reportOnly = true;
    else if (arg === '--emulator') parsed.emulator = value();
    else if (arg === '--ca') parsed.ca = value();
    else if (arg === '--verbose') parsed.verbose = true;
    else throw new UsageError(`unknown argument ${arg}`);
  }
  return parsed;
}
