import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  LocalFunctionsHost,
  type FunctionsLibrary,
  type Registration,
} from '../../sandbox/host/localFunctionsHost.js';
import { renderCard } from '../../sandbox/host/cardPrinter.js';
import { KeptRuleReporter } from '../../sandbox/host/keptRules.js';
import { LocalTableStorage } from '../../sandbox/host/localTableStorage.js';
import { SandboxStateDir, type SandboxState } from '../../sandbox/host/sandboxState.js';
import { watchForStop, type StopWatch } from '../../sandbox/host/stopSignals.js';
import { SandboxWorld } from '../../sandbox/sandboxWorld.js';
import {
  actorFor,
  seedSubscription,
  SANDBOX_LOCATION,
  SANDBOX_SUBSCRIPTION,
  type SandboxVm,
} from '../../sandbox/seedSubscription.js';
import { ConfigError, loadConfig, type GuardrailMode } from '../config/settings.js';
import { adminAuthFrom } from '../lib/http/reconcileRequest.js';
import { WATCHED_NSG_OPERATIONS, WATCHED_ROLE_OPERATIONS } from '../lib/events/watchedOperations.js';
import type { CliIo } from './cliIo.js';
import { packageRoot } from './packageRoot.js';
import { shellWord, UsageError } from './readInput.js';

export const SANDBOX_HELP = `Usage:
  jit-guardrail sandbox start [--port 7071] [--storage memory|azurite] [--state-dir .sandbox] [--verbose]
  jit-guardrail sandbox request-jit --vm NAME --source PREFIX [--port VM_PORT] [--as UPN] [--justification TEXT] [--state-dir .sandbox]

Through npm, put the options after --:  npm start -- --port 7072 --storage azurite

start: runs the local world until Ctrl-C — the ARM emulator seeded with a small subscription (two
resource groups, three VMs with NSGs, JIT policies of which one allows any source, the requester role
with drift), the function app loaded through its real registrations behind a local Functions host
(Event Grid webhook with the validation handshake, POST /api/reconcile, the timers on their
schedules), and a Teams sink that prints each card and saves it under <state-dir>/cards.
  --port N        the Functions host's port (default: the PORT environment variable, else 7071)
  --storage S     memory (default): the app keeps its audit trail and alert outbox in memory;
                  azurite: an in-memory Azurite Table service, so 'jit-guardrail audit list' can read the trail
  --state-dir D   the sandbox's folder (sandbox.json, the emulator's CA, cards); one running sandbox per folder
The app's settings are checked first: a bad one (say GUARDRAIL_MODE=bogus) stops the start, named.

request-jit: asks the running sandbox's JIT for access to a VM port, as a person would (default
requester: you@contoso.com). Watch the sandbox terminal for the alert.
  --port VM_PORT  the VM's port to open, one of its JIT ports (default: the first) — not the sandbox's
                  port: the sandbox is found through <state-dir>/sandbox.json

Exit codes: 0 done; 1 the sandbox could not do it; 2 bad usage, a bad setting, or no sandbox running.`;

const DEFAULT_STATE_DIR = '.sandbox';
const DEFAULT_PORT = 7071;
/** The options `start` takes, each with a value; npm keeps them for itself unless they follow `--`. */
const START_OPTIONS = ['port', 'storage', 'state-dir'] as const;
/** Options that stand alone, as in every other command. */
const START_SWITCHES = ['verbose'] as const;
const REQUEST_OPTIONS = ['vm', 'source', 'port', 'as', 'justification', 'state-dir'] as const;
const PORTS_TO_PROBE = 20;
const STOP_WITHIN_MS = 10_000;

type StorageMode = 'memory' | 'azurite';

interface StartOptions {
  readonly stateDir: string;
  readonly port: number;
  readonly storage: StorageMode;
  readonly verbose: boolean;
}

/** A mistake or a refusal the user can act on: one line, and the exit code. */
class SandboxExit extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2,
  ) {
    super(message);
  }
}

export async function sandboxCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'start' && sub !== 'request-jit')
    throw new UsageError(
      sub === undefined ? 'missing subcommand: start or request-jit' : `unknown subcommand '${sub}'`,
    );
  try {
    return sub === 'start'
      ? await start(startOptionsFrom(rest, io.env), io)
      : await requestJit(parseOptions(rest, REQUEST_OPTIONS), io);
  } catch (error) {
    if (!(error instanceof SandboxExit)) throw error;
    io.stderr(`jit-guardrail sandbox${sub === 'start' ? '' : ` ${sub}`}: ${error.message}`);
    return error.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Options

function startOptionsFrom(args: readonly string[], env: CliIo['env']): StartOptions {
  const { options, positionals } = splitArgs(args, START_SWITCHES);
  refuseOptionsNpmKept(options, positionals, env);
  if (positionals.length > 0)
    throw new SandboxExit(
      `unexpected argument ${positionals[0]}: start takes --port N, --storage memory|azurite, --state-dir D`,
      2,
    );
  refuseUnknown(options, [...START_OPTIONS, ...START_SWITCHES]);
  const storage = options.storage ?? 'memory';
  if (storage !== 'memory' && storage !== 'azurite')
    throw new SandboxExit(`--storage takes memory or azurite, not '${storage}'`, 2);
  return {
    stateDir: resolve(options['state-dir'] ?? DEFAULT_STATE_DIR),
    port: portFrom(options.port, env.PORT),
    storage,
    verbose: options.verbose === 'true',
  };
}

/** `--port N`, else the PORT environment variable, else 7071. */
function portFrom(flag: string | undefined, fromEnv: string | undefined): number {
  const [raw, name] =
    flag !== undefined
      ? [flag, '--port']
      : fromEnv !== undefined && fromEnv.trim() !== ''
        ? [fromEnv.trim(), 'PORT']
        : [String(DEFAULT_PORT), 'the default port'];
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new SandboxExit(`${name} must be a TCP port from 0 to 65535, not '${raw}'`, 2);
  return port;
}

/**
 * `npm start --port 7072` gives npm the option (npm_config_port) and the script only `7072`; say so,
 * with the command that works, rather than guess which value was meant for which option.
 */
function refuseOptionsNpmKept(
  options: Record<string, string>,
  positionals: readonly string[],
  env: CliIo['env'],
): void {
  if (env.npm_lifecycle_event === undefined) return;
  const kept = START_OPTIONS.filter(
    (name) => options[name] === undefined && env[`npm_config_${name.replace('-', '_')}`] !== undefined,
  );
  if (kept.length === 0) return;
  const leftOver = [...positionals];
  const pairs = kept.map((name) => {
    const value = env[`npm_config_${name.replace('-', '_')}`];
    return `--${name} ${value === 'true' ? (leftOver.shift() ?? 'VALUE') : value}`;
  });
  const given = Object.entries(options).map(([name, value]) => `--${name} ${value}`);
  throw new SandboxExit(
    `npm kept ${kept.map((n) => `--${n}`).join(' and ')} for itself; put the sandbox's options after --: \`npm start -- ${[...given, ...pairs].join(' ')}\``,
    2,
  );
}

function splitArgs(
  args: readonly string[],
  switches: readonly string[] = [],
): { options: Record<string, string>; positionals: string[] } {
  const options: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    if (switches.includes(arg.slice(2))) {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('--'))
        throw new SandboxExit(`${arg} takes no value; drop '${next}'`, 2);
      options[arg.slice(2)] = 'true';
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) throw new SandboxExit(`${arg} needs a value`, 2);
    options[arg.slice(2)] = value;
    i += 1;
  }
  return { options, positionals };
}

function parseOptions(args: readonly string[], known: readonly string[]): Record<string, string> {
  const { options, positionals } = splitArgs(args);
  if (positionals.length > 0) throw new SandboxExit(`unexpected argument ${positionals[0]}`, 2);
  refuseUnknown(options, known);
  return options;
}

function refuseUnknown(options: Record<string, string>, known: readonly string[]): void {
  const unknown = Object.keys(options).find((name) => !known.includes(name));
  if (unknown !== undefined)
    throw new SandboxExit(
      `unknown option --${unknown}; this command takes ${known.map((n) => `--${n}`).join(', ')}`,
      2,
    );
}

/** `npm start` with these options: the command printed wherever the user has to start again. */
function npmStartCommand(options: StartOptions, changes: { port?: number; stateDir?: string } = {}): string {
  const stateDir = changes.stateDir ?? options.stateDir;
  const parts = [
    `--port ${changes.port ?? options.port}`,
    ...(stateDir === resolve(DEFAULT_STATE_DIR) ? [] : [`--state-dir ${shellWord(stateDir)}`]),
    ...(options.storage === 'memory' ? [] : [`--storage ${options.storage}`]),
    ...(options.verbose ? ['--verbose'] : []),
  ];
  return `npm start -- ${parts.join(' ')}`;
}

/** The first port after `port` nothing listens on (loopback), for a suggestion that works as printed. */
async function freePortAfter(port: number): Promise<number> {
  const from = (port === 0 ? DEFAULT_PORT : port) + 1;
  for (let candidate = from; candidate < from + PORTS_TO_PROBE && candidate <= 65535; candidate++) {
    if (await isPortFree(candidate)) return candidate;
  }
  return from;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

// ---------------------------------------------------------------------------------------------
// start

/** What runs while the sandbox does, stopped in reverse order. */
type Stopper = () => Promise<void>;

async function start(options: StartOptions, io: CliIo): Promise<number> {
  const stateDir = new SandboxStateDir(options.stateDir);
  let busy;
  try {
    busy = stateDir.claim();
  } catch (error) {
    throw new SandboxExit(error instanceof Error ? error.message : String(error), 2);
  }
  if (busy !== undefined) {
    const second = `${options.stateDir}-2`;
    // The port asked for, if it is free; else the next free one.
    const port = (await isPortFree(options.port)) ? options.port : await freePortAfter(options.port);
    throw new SandboxExit(
      `a sandbox is already running from ${options.stateDir} (pid ${busy.pid}${busy.hostUrl ? `, ${busy.hostUrl}` : ''}): use it, stop it, or start a second one with \`${npmStartCommand(options, { port, stateDir: second })}\``,
      1,
    );
  }
  const world = new SandboxWorld(options.stateDir);
  const onExit = () => {
    world.removeCaFile();
    stateDir.release();
  };
  process.on('exit', onExit);
  const stopWatch = watchForStop(io.env);
  const stoppers: Stopper[] = [];
  try {
    return await runSandbox(options, { stateDir, world, stopWatch, stoppers }, io);
  } finally {
    stopWatch.cancel();
    await stopInOrder(stoppers);
    onExit();
    process.off('exit', onExit);
  }
}

/** What `start` set up before the sandbox runs, and the stoppers it adds to as it goes. */
interface SandboxParts {
  readonly stateDir: SandboxStateDir;
  readonly world: SandboxWorld;
  readonly stopWatch: StopWatch;
  readonly stoppers: Stopper[];
}

async function runSandbox(
  options: StartOptions,
  { stateDir, world, stopWatch, stoppers }: SandboxParts,
  io: CliIo,
): Promise<number> {
  stoppers.push(() => world.stop());
  await world.start();
  const storage = options.storage === 'azurite' ? new LocalTableStorage() : undefined;
  if (storage !== undefined) {
    stoppers.push(() => storage.stop());
    await storage.start();
  }
  const settings = sandboxSettings(world, storage);
  const mode = refuseBadSettings({ ...io.env, ...settings });
  const vmNames = new Map<string, string>();
  const kept = new KeptRuleReporter({
    getNsg: (id) => world.arm.getNsg(id),
    vmNameOf: (nsgId) => vmNames.get(nsgId.toLowerCase()),
  });
  const host = await startAppInHost(options, settings, stoppers, io, (name, event) => {
    if (name === 'guard') for (const line of kept.linesAfterGuard(event)) io.stdout(line);
  });
  const vms = await seedSubscription(world.arm);
  for (const vm of vms) vmNames.set(vm.nsgId.toLowerCase(), vm.name);
  await subscribeEventGrid(world, host.host);
  printCardsAsTheyCome(world, options.stateDir, io);
  const state = stateOf(world, host, vms, storage);
  stateDir.write(state);
  io.stdout(readyText(state, options, mode));

  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const reason = await stopWatch.requested;
  io.stdout(`\nstopping the sandbox (${reason === 'SIGINT' ? 'Ctrl-C' : reason})…`);
  // Stopping is bounded: whatever hangs, the process (and so every port it holds) ends.
  setTimeout(() => process.exit(1), STOP_WITHIN_MS).unref();
  await stopInOrder(stoppers);
  io.stdout('stopped.');
  // Nothing the app left behind (a timer, a keep-alive socket) may keep a stopped sandbox alive.
  setTimeout(() => process.exit(), 3000).unref();
  return 0;
}

async function stopInOrder(stoppers: Stopper[]): Promise<void> {
  while (stoppers.length > 0) await stoppers.pop()!();
}

/** The settings the sandbox gives the app, over the user's own environment. */
function sandboxSettings(
  world: SandboxWorld,
  storage: LocalTableStorage | undefined,
): Record<string, string> {
  return {
    ...world.env,
    // As deployed, the reconcile endpoint sits behind App Service authentication (its stand-in here).
    WEBSITE_AUTH_ENABLED: 'True',
    // The sandbox is offline: its storage is the one it runs, or none (the app keeps state in memory).
    ...(storage !== undefined
      ? { GUARDRAIL_STORAGE_CONNECTION_STRING: storage.connectionString }
      : {
          GUARDRAIL_STORAGE_CONNECTION_STRING: '',
          AzureWebJobsStorage: '',
          AzureWebJobsStorage__tableServiceUri: '',
        }),
  };
}

/** The app would refuse every invocation with a bad setting; refuse to start instead, naming it. */
function refuseBadSettings(appEnvironment: Readonly<Record<string, string | undefined>>): GuardrailMode {
  try {
    return loadConfig(appEnvironment).mode;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const one = error.problems.length === 1;
    throw new SandboxExit(
      `bad app setting${one ? '' : 's'} ${error.problems.join('; ')} — fix or unset ${one ? 'it' : 'them'} in your environment, then npm start again`,
      2,
    );
  }
}

interface StartedHost {
  readonly host: LocalFunctionsHost;
  readonly functionKey: string;
  readonly adminToken: string;
  readonly eventGridKey: string;
}

async function startAppInHost(
  options: StartOptions,
  settings: Record<string, string>,
  stoppers: Stopper[],
  io: CliIo,
  onInvoked: (functionName: string, input: unknown) => void,
): Promise<StartedHost> {
  try {
    const started = await loadAppIntoHost(settings, options, io, onInvoked);
    stoppers.push(() => started.host.stop());
    return started;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const free = await freePortAfter(options.port);
      throw new SandboxExit(
        `port ${options.port} is in use (another sandbox or Functions host?); run \`${npmStartCommand(options, { port: free })}\``,
        1,
      );
    }
    throw new SandboxExit(error instanceof Error ? error.message : String(error), 1);
  }
}

/**
 * Loads the deployment bundle the way the Functions host does: the functions-core stand-in first, then the
 * app's entry, whose `app.*` calls register with it. Nothing here may have loaded `@azure/functions`
 * before, or it would have switched to test mode and registered nothing.
 */
async function loadAppIntoHost(
  settings: Record<string, string>,
  options: StartOptions,
  io: CliIo,
  onInvoked: (functionName: string, input: unknown) => void,
): Promise<StartedHost> {
  Object.assign(process.env, settings);
  const root = packageRoot(import.meta.url);
  createRequire(import.meta.url)(join(root, 'sandbox/functionsCorePreload.cjs'));
  // The deployment bundle, exactly as it would run in Azure.
  const entry = pathToFileURL(join(root, 'dist/app/index.js'));
  if (!existsSync(entry)) throw new Error('the deployment bundle is missing; run npm run build');
  await import(entry.href);
  const core = (globalThis as unknown as { __functionsCore?: { registrations: Registration[] } })
    .__functionsCore;
  if (!core || core.registrations.length === 0)
    throw new Error(
      'the app registered no functions (was @azure/functions loaded before the host stand-in?)',
    );
  const lib = ((await import('@azure/functions')) as unknown as { default: FunctionsLibrary }).default;
  const functionKey = randomBytes(16).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const eventGridKey = randomBytes(16).toString('hex');
  const host = new LocalFunctionsHost(core.registrations, lib, {
    port: options.port,
    functionKey,
    eventGridKey,
    easyAuth: { adminToken, adminAppRole: adminAuthFrom(process.env).adminAppRole },
    log: (line) => {
      if (options.verbose || !/^\[[^\]]+\] (debug|trace): /.test(line)) io.stderr(line);
    },
    onInvoked,
  });
  await host.start();
  return { host, functionKey, adminToken, eventGridKey };
}

/** Two event subscriptions, filtered as infra/app/guardEvents.bicep filters them. */
async function subscribeEventGrid(world: SandboxWorld, host: LocalFunctionsHost): Promise<void> {
  await world.arm.subscribeWebhookValidated(
    host.eventGridUrl('guard'),
    'EventGridSchema',
    WATCHED_NSG_OPERATIONS,
  );
  await world.arm.subscribeWebhookValidated(
    host.eventGridUrl('roleEvents'),
    'EventGridSchema',
    WATCHED_ROLE_OPERATIONS,
  );
}

function printCardsAsTheyCome(world: SandboxWorld, stateDir: string, io: CliIo): void {
  const cardsDir = join(stateDir, 'cards');
  mkdirSync(cardsDir, { recursive: true });
  let saved = 0;
  world.teams.onCard((card) => {
    saved += 1;
    const file = join(cardsDir, `${String(saved).padStart(3, '0')}.json`);
    writeFileSync(file, JSON.stringify(card.body, null, 2));
    io.stdout(`\n📣 Teams card ${saved} (${file})\n${renderCard(card.body)}\n`);
  });
}

function stateOf(
  world: SandboxWorld,
  started: StartedHost,
  vms: readonly SandboxVm[],
  storage: LocalTableStorage | undefined,
): SandboxState {
  return {
    pid: process.pid,
    armUrl: world.arm.url,
    caFile: world.caFile,
    hostUrl: started.host.url,
    functionKey: started.functionKey,
    adminToken: started.adminToken,
    eventGridKey: started.eventGridKey,
    subscriptionId: SANDBOX_SUBSCRIPTION,
    storageConnectionString: storage?.connectionString,
    vms: vms.map(({ name, resourceGroup, vmId, jitPorts }) => ({ name, resourceGroup, vmId, jitPorts })),
  };
}

/** JIT's own refusal when ARM gave one (it names the cause); otherwise the sandbox did not answer. */
function refusalOf(error: unknown): string {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number'
    ? `JIT refused the request: ${message}`
    : `the sandbox did not answer (${message}): is it still running? start one with \`npm start\``;
}

function readyText(state: SandboxState, options: StartOptions, mode: GuardrailMode): string {
  const open = state.vms.filter((vm) => vm.resourceGroup === 'rg-web').map((vm) => vm.name);
  // The printed commands must work as printed, also for a sandbox in another state folder.
  const where = stateDirArgument(options.stateDir);
  const stateFile = join(options.stateDir, 'sandbox.json');
  const audit =
    state.storageConnectionString === undefined
      ? `in memory (\`npm start -- --storage azurite\` keeps it where 'jit-guardrail audit list' can read it)`
      : `Azurite Table Storage, in memory (connection string: storageConnectionString in ${stateFile})`;
  // From the default folder `audit list` finds the sandbox itself; from another, it needs the string.
  const auditCommand =
    state.storageConnectionString === undefined
      ? ''
      : where === ''
        ? `\n  npx jit-guardrail audit list   # the guardrail's decisions, newest first`
        : `\n  GUARDRAIL_STORAGE_CONNECTION_STRING=${shellWord(state.storageConnectionString)} npx jit-guardrail audit list   # the guardrail's decisions, newest first`;
  return `
jit-guardrail sandbox is running (Ctrl-C stops it)

  Mode              ${mode === 'enforce' ? 'enforce: wildcard JIT rules are removed (GUARDRAIL_MODE=report only reports them)' : 'report: wildcard JIT rules are reported, not removed (GUARDRAIL_MODE)'}
  ARM emulator      ${state.armUrl}   (CA: ${state.caFile})
  Functions host    ${state.hostUrl}
    Event Grid      ${state.hostUrl}/runtime/webhooks/eventgrid?functionName=guard        (NSG writes)
                    ${state.hostUrl}/runtime/webhooks/eventgrid?functionName=roleEvents   (role-definition writes)
                    (each needs the Event Grid system key, as in Azure: eventGridKey in ${stateFile})
    HTTP            POST ${state.hostUrl}/api/reconcile   (function key and admin sign-in below)
    timers          reconcileTimer, sweepTimer on their schedules
  Teams sink        cards print here and are saved in ${join(options.stateDir, 'cards')}
  Audit trail       ${audit}
  Subscription      ${state.subscriptionId}: ${state.vms.map((vm) => `${vm.name} (${vm.resourceGroup}, JIT ports ${vm.jitPorts.join('/')})`).join(', ')}
                    JIT on ${open.join(' and ')} allows requests from any source; the requester role has drift.

Try next, in another terminal:

  npx jit-guardrail sandbox request-jit --vm web-01 --source '*'${where}            # removed within one event, alerted
  npx jit-guardrail sandbox request-jit --vm sql-01 --source 198.51.100.7${where}   # allowed: stays, no alert
  curl -sS -X POST "${state.hostUrl}/api/reconcile?code=${state.functionKey}" -H "Authorization: Bearer ${state.adminToken}"   # dry run: reports the role drift
  curl -sS -X POST "${state.hostUrl}/api/reconcile?code=${state.functionKey}" -H "Authorization: Bearer ${state.adminToken}" -d '{"dryRun": false}'   # fixes it
  npx jit-guardrail sweep --emulator ${state.armUrl} --ca ${shellWord(state.caFile)} --subscription ${state.subscriptionId} --report-only${auditCommand}
`;
}

function stateDirArgument(stateDir: string): string {
  return stateDir === resolve(DEFAULT_STATE_DIR) ? '' : ` --state-dir ${shellWord(stateDir)}`;
}

// ---------------------------------------------------------------------------------------------
// request-jit

async function requestJit(options: Record<string, string>, io: CliIo): Promise<number> {
  const dir = resolve(options['state-dir'] ?? DEFAULT_STATE_DIR);
  const state = new SandboxStateDir(dir).readLive();
  if (state === undefined) {
    const startIt =
      dir === resolve(DEFAULT_STATE_DIR) ? 'npm start' : `npm start -- --state-dir ${shellWord(dir)}`;
    throw new SandboxExit(`no sandbox running: start one with \`${startIt}\``, 2);
  }
  if (!options.vm || !options.source)
    throw new SandboxExit(
      `request-jit needs --vm NAME and --source PREFIX, e.g. --vm web-01 --source '*'`,
      2,
    );
  const vm = state.vms.find((v) => v.name.toLowerCase() === options.vm!.toLowerCase());
  if (!vm)
    throw new SandboxExit(
      `no VM '${options.vm}': the sandbox has ${state.vms.map((v) => v.name).join(', ')}`,
      2,
    );
  const port = vmPortFrom(options.port, vm);
  const upn = options.as ?? 'you@contoso.com';
  try {
    const actor = actorFor({ url: state.armUrl, ca: readFileSync(state.caFile, 'utf8') }, vm, upn);
    await actor.request(
      vm.vmId,
      port,
      options.source,
      options.justification ?? 'requested from the sandbox CLI',
    );
  } catch (error) {
    throw new SandboxExit(refusalOf(error), 1);
  }
  io.stdout(
    `JIT access requested by ${upn}: ${vm.name}:${port} from ${options.source} (${SANDBOX_LOCATION}). Watch the sandbox terminal.`,
  );
  return 0;
}

/** `--port` of request-jit is the VM's port: one of its JIT ports, the first by default. */
function vmPortFrom(flag: string | undefined, vm: SandboxState['vms'][number]): number {
  if (flag === undefined) return vm.jitPorts[0]!;
  const port = Number(flag);
  if (!vm.jitPorts.includes(port))
    throw new SandboxExit(
      `--port is the VM port to open, and ${vm.name} has JIT on ${vm.jitPorts.join(' and ')} only (the sandbox's own port comes from sandbox.json)`,
      2,
    );
  return port;
}
