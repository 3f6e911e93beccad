import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { armTokenScope, createArmCredential, credentialProblem } from '../adapters/armCredential.js';
import type { TeamsSender } from '../adapters/teamsWebhook.js';
import { ConfigError, GUID, loadConfig, type GuardrailConfig } from '../config/settings.js';
import type { Logger } from '../core/logger.js';
import { sweep, sweepExitCode, type SweepProgress } from '../core/sweep.js';
import { createRuntime } from '../runtime.js';
import { parseFlags } from './flags.js';
import type { CliIo } from './cliIo.js';
import { UsageError } from './readInput.js';

export const SWEEP_HELP = `Usage: jit-guardrail sweep [--subscription ID ...] [--report-only] [--emulator URL [--ca FILE]] [--verbose]

Lists every NSG of each subscription (one ARM read per page of NSGs), removes JIT rules open to the
internet through the same path as the event guard, alerts Teams (when GUARDRAIL_TEAMS_WEBHOOK_URL is
set; otherwise alerts are printed), and audits JIT policies for ports that allow any source.
Deletes are paced inside ARM's write limit (10 per second).

  --subscription ID   subscription to sweep (a GUID); repeat for several (default:
                      GUARDRAIL_SWEEP_SUBSCRIPTIONS, then GUARDRAIL_SUBSCRIPTION_ID)
  --report-only       delete nothing; report what would be removed
  --emulator URL      use the local ARM emulator at URL instead of Azure (DefaultAzureCredential, e.g.
                      'az login', is used otherwise)
  --ca FILE           PEM certificate to trust for --emulator (default: GUARDRAIL_ARM_CA_FILE); the
                      sandbox prints it (by default .sandbox/emulator-ca.pem)
  --verbose           log every step to standard error

Progress goes to standard error (a spinner on a terminal, lines otherwise); the JSON summary to standard output.

Exit codes: 0 nothing left open; 3 wildcard rules (report-only) or JIT policies allowing any source
remain; 1 something failed (named in the summary); 2 bad usage or settings, no Azure sign-in, or an
emulator that cannot be reached or trusted.`;

/** Where `npm start` (the sandbox) writes the emulator's certificate, run from the project folder. */
const SANDBOX_CA_FILE = '.sandbox/emulator-ca.pem';

interface SweepArgs {
  readonly subscriptions: readonly string[];
  readonly reportOnly: boolean;
  readonly emulator: string | undefined;
  readonly ca: string | undefined;
  readonly verbose: boolean;
}

/** A reason the sweep cannot start, as the one line to print; exit 2. */
class SweepRefusal extends Error {}

export async function sweepCommand(args: readonly string[], io: CliIo): Promise<number> {
  const options = parseSweepArgs(args);
  try {
    const config = sweepConfig(options, io.env);
    await checkWayIn(config, options.ca ?? (io.env.GUARDRAIL_ARM_CA_FILE || undefined));
    return await runSweep(config, options, io);
  } catch (error) {
    if (!(error instanceof SweepRefusal)) throw error;
    io.stderr(`jit-guardrail sweep: ${error.message}`);
    return 2;
  }
}

async function runSweep(config: GuardrailConfig, options: SweepArgs, io: CliIo): Promise<number> {
  const screen = spinnerAwareIo(io);
  const log: Logger = {
    debug: (m) => options.verbose && screen.stderr(`debug: ${m}`),
    info: (m) => options.verbose && screen.stderr(m),
    warn: (m) => screen.stderr(`warning: ${m}`),
    error: (m) => screen.stderr(`error: ${m}`),
  };
  const deps = createRuntime(config).guardDeps(log);
  const summary = await sweep(
    {
      subscriptions: config.guardedSubscriptions,
      reportOnly: options.reportOnly,
      ...(config.guardedManagementGroup === undefined
        ? {}
        : { managementGroup: config.guardedManagementGroup }),
      onProgress: (p) => screen.progress(progressLine(p, io.isTty)),
    },
    // Printed alerts go through the same screen, so they never land on the spinner's line.
    config.teamsWebhookUrl === undefined ? { ...deps, teams: printingSender(screen.stderr) } : deps,
  );
  screen.endProgress();
  io.stdout(JSON.stringify(summary, null, 2));
  return sweepExitCode(summary);
}

/** The settings with the command line's choices in; a problem with one a flag set is named by the flag. */
function sweepConfig(options: SweepArgs, given: CliIo['env']): GuardrailConfig {
  const env: Record<string, string | undefined> = { ...given };
  const flagOf = new Map<string, string>();
  if (options.emulator !== undefined) {
    env.GUARDRAIL_ARM_ENDPOINT = options.emulator;
    flagOf.set('GUARDRAIL_ARM_ENDPOINT', '--emulator');
  }
  if (options.ca !== undefined) {
    env.GUARDRAIL_ARM_CA_FILE = options.ca;
    flagOf.set('GUARDRAIL_ARM_CA_FILE', '--ca');
  }
  // The settings need one subscription the guardrail is "for"; the first swept one stands in.
  const sweepList =
    options.subscriptions.length > 0 ? options.subscriptions.join(',') : env.GUARDRAIL_SWEEP_SUBSCRIPTIONS;
  // Read as the settings read it: separators alone name no subscription.
  const firstListed = sweepList?.split(/[\s,]+/).find(Boolean);
  if (!firstListed && !env.GUARDRAIL_SUBSCRIPTION_ID)
    throw new SweepRefusal(
      'no subscription to sweep: pass --subscription <subscription id> (a GUID; `az account show --query id -o tsv` prints yours)',
    );
  env.GUARDRAIL_SWEEP_SUBSCRIPTIONS = sweepList;
  // Subscriptions named on the command line are the whole sweep: not the management group's too.
  if (options.subscriptions.length > 0) delete env.GUARDRAIL_GUARDED_MANAGEMENT_GROUP;
  const derivedSubscriptionId = !env.GUARDRAIL_SUBSCRIPTION_ID;
  if (derivedSubscriptionId) env.GUARDRAIL_SUBSCRIPTION_ID = firstListed;
  try {
    return loadConfig(env, { requireTeamsWebhook: false });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems
      // A stand-in subscription id's problem is its source's, already named.
      .filter((p) => !(derivedSubscriptionId && p.startsWith('GUARDRAIL_SUBSCRIPTION_ID:')))
      .map((p) => {
        const setting = p.slice(0, p.indexOf(':'));
        return flagOf.has(setting) ? `${flagOf.get(setting)}${p.slice(setting.length)}` : p;
      });
    throw new SweepRefusal(problems.join('; '));
  }
}

/**
 * Before the first ARM call: can we get in? Against Azure, is anyone signed in; against the emulator,
 * does it answer and is its certificate trusted. Each answer is one line, instead of the same
 * failure repeated by every call.
 */
async function checkWayIn(config: GuardrailConfig, caFile: string | undefined): Promise<void> {
  if (config.arm.isLoopback) {
    const problem = await emulatorProblem(config.arm.endpoint, config.arm.ca, caFile);
    if (problem !== undefined) throw new SweepRefusal(problem);
    return;
  }
  const problem = await credentialProblem(
    createArmCredential(config),
    armTokenScope(config),
    config.managedIdentityClientId,
  );
  if (problem !== undefined) throw new SweepRefusal(problem);
}

const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const EMULATOR_PROBE_TIMEOUT_MS = 5_000;

/** One TLS handshake with the emulator, trusting what the ARM clients will trust. */
function emulatorProblem(
  endpoint: string,
  ca: string | undefined,
  caFile: string | undefined,
): Promise<string | undefined> {
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port: Number(url.port || 443),
      ...(ca !== undefined ? { ca } : {}),
      ...(isIP(host) === 0 ? { servername: host } : {}),
    });
    socket.setTimeout(EMULATOR_PROBE_TIMEOUT_MS);
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.once('secureConnect', () => done(undefined));
    const notAnswering = (reason: string) =>
      `nothing answers at ${endpoint} (${reason}): start the sandbox (npm start) and pass the --emulator URL it prints`;
    socket.once('timeout', () => done(notAnswering(`no reply in ${EMULATOR_PROBE_TIMEOUT_MS / 1000} s`)));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      if (UNTRUSTED_CERTIFICATE.has(code))
        done(
          caFile === undefined
            ? `the ARM emulator's certificate is not trusted: pass --ca <file> with the CA file the sandbox prints (a sandbox started here with npm start writes it to ${SANDBOX_CA_FILE})`
            : `the ARM emulator's certificate is not signed by the CA in ${caFile}: the sandbox makes a new one at every start; pass --ca with the file it printed this time`,
        );
      else if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH'].includes(code)) done(notAnswering(code));
      // Anything else is left to the sweep, which names it in its summary.
      else done(undefined);
    });
  });
}

/** Writes through io, ending a spinner's open line first so no other output lands on it. */
function spinnerAwareIo(io: CliIo): {
  stderr: (text: string) => void;
  progress: (text: string) => void;
  endProgress: () => void;
} {
  let lineOpen = false;
  const clearLine = () => {
    if (lineOpen) io.progress('\r\x1b[2K');
    lineOpen = false;
  };
  return {
    stderr: (text) => {
      clearLine();
      io.stderr(text);
    },
    progress: (text) => {
      io.progress(text);
      lineOpen = !text.endsWith('\n');
    },
    endProgress: () => {
      if (lineOpen) io.progress('\n');
      lineOpen = false;
    },
  };
}

/** Without a webhook the CLI prints each alert's headline instead of posting it. */
function printingSender(print: (text: string) => void): TeamsSender {
  return {
    async send(message) {
      print(
        `alert (no Teams webhook configured): ${message.attachments[0]?.content.fallbackText ?? 'see card'}`,
      );
    },
  };
}

function progressLine(p: SweepProgress, tty: boolean): string {
  const text = `${p.subscriptionId}: ${p.nsgsScanned} NSGs in ${p.pages} page(s), ${p.wildcardRules} wildcard JIT rule(s)`;
  if (!tty) return `${text}\n`;
  const spinner = '|/-\\'[p.pages % 4];
  return `\r${spinner} ${text}`;
}

function parseSweepArgs(args: readonly string[]): SweepArgs {
  const flags = parseFlags(args, {
    switches: ['--report-only', '--verbose'],
    valued: ['--subscription', '--emulator', '--ca'],
    repeatable: ['--subscription'],
  });
  const subscriptions = flags.values('--subscription');
  const notGuid = subscriptions.find((s) => !GUID.test(s));
  if (notGuid !== undefined)
    throw new UsageError(
      `--subscription '${notGuid}' is not a subscription id: a subscription id is a GUID such as 20ff7fc3-e762-44dd-bd96-b71116dcdc23; \`az account list -o table\` lists yours`,
    );
  return {
    subscriptions,
    reportOnly: flags.has('--report-only'),
    emulator: flags.value('--emulator'),
    ca: flags.value('--ca'),
    verbose: flags.has('--verbose'),
  };
}
