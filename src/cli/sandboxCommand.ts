import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  LocalFunctionsHost,
  type FunctionsLibrary,
  type Registration,
} from '../../sandbox/host/localFunctionsHost.js';
import { renderCard } from '../../sandbox/host/cardPrinter.js';
import { SandboxWorld } from '../../sandbox/sandboxWorld.js';
import {
  actorFor,
  seedSubscription,
  SANDBOX_LOCATION,
  SANDBOX_SUBSCRIPTION,
} from '../../sandbox/seedSubscription.js';
import { adminAuthFrom } from '../lib/http/reconcileRequest.js';
import { WATCHED_NSG_OPERATIONS, WATCHED_ROLE_OPERATIONS } from '../lib/events/watchedOperations.js';
import type { CliIo } from './cliIo.js';
import { packageRoot } from './packageRoot.js';
import { UsageError } from './readInput.js';

export const SANDBOX_HELP = `Usage:
  jit-guardrail sandbox start [--port 7071] [--state-dir .sandbox] [--verbose true]
  jit-guardrail sandbox request-jit --vm NAME --source PREFIX [--port N] [--as UPN] [--justification TEXT] [--state-dir .sandbox]

start: runs the local world until Ctrl-C — the ARM emulator seeded with a small subscription (two
resource groups, three VMs with NSGs, JIT policies of which one allows any source, the requester role
with drift), the function app loaded through its real registrations behind a local Functions host
(Event Grid webhook with the validation handshake, POST /api/reconcile, the timers on their
schedules), and a Teams sink that prints each card and saves it under <state-dir>/cards.

request-jit: asks the running sandbox's JIT for access to a VM port, as a person would (default port:
the VM's first JIT port; default requester: you@contoso.com). Watch the sandbox terminal for the alert.

Exit codes: 0 done; 1 the sandbox could not do it; 2 bad usage or no sandbox running.`;

interface SandboxState {
  readonly armUrl: string;
  readonly caFile: string;
  readonly hostUrl: string;
  readonly functionKey: string;
  /** Signs in to the App Service authentication stand-in as an admin (see LocalFunctionsHost). */
  readonly adminToken: string;
  /** The Event Grid webhook's system key. */
  readonly eventGridKey: string;
  readonly subscriptionId: string;
  readonly vms: readonly { name: string; resourceGroup: string; vmId: string; jitPorts: readonly number[] }[];
}

export async function sandboxCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const options = parseOptions(rest);
  const stateDir = resolve(options['state-dir'] ?? '.sandbox');
  if (sub === 'start') return start(stateDir, Number(options.port ?? 7071), options.verbose === 'true', io);
  if (sub === 'request-jit') return requestJit(stateDir, options, io);
  throw new UsageError(
    sub === undefined ? 'missing subcommand: start or request-jit' : `unknown subcommand '${sub}'`,
  );
}

async function start(stateDir: string, port: number, verbose: boolean, io: CliIo): Promise<number> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a TCP port');
  const world = await new SandboxWorld(stateDir).start();
  let loaded: Awaited<ReturnType<typeof loadAppIntoHost>>;
  try {
    loaded = await loadAppIntoHost(world, port, verbose, io);
  } catch (error) {
    await world.stop();
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    io.stderr(
      `jit-guardrail sandbox: ${inUse ? `port ${port} is in use (another sandbox or Functions host?); pass --port` : error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  const { host, functionKey, adminToken, eventGridKey } = loaded;
  const vms = await seedSubscription(world.arm);
  // Two event subscriptions, filtered as infra/app/guardEvents.bicep filters them: NSG writes to
  // the guard, role-definition writes to the reconciler's roleEvents.
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
  const cardsDir = join(stateDir, 'cards');
  mkdirSync(cardsDir, { recursive: true });
  let saved = 0;
  world.teams.onCard((card) => {
    saved += 1;
    const file = join(cardsDir, `${String(saved).padStart(3, '0')}.json`);
    writeFileSync(file, JSON.stringify(card.body, null, 2));
    io.stdout(`\n📣 Teams card ${saved} (${file})\n${renderCard(card.body)}\n`);
  });
  const state: SandboxState = {
    armUrl: world.arm.url,
    caFile: world.env.GUARDRAIL_ARM_CA_FILE!,
    hostUrl: host.url,
    functionKey,
    adminToken,
    eventGridKey,
    subscriptionId: SANDBOX_SUBSCRIPTION,
    vms: vms.map(({ name, resourceGroup, vmId, jitPorts }) => ({ name, resourceGroup, vmId, jitPorts })),
  };
  // It holds the local function key and admin token: readable by this user only.
  const stateFile = join(stateDir, 'sandbox.json');
  writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  chmodSync(stateFile, 0o600);
  io.stdout(readyText(state, stateDir));

  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.stdout('\nstopping the sandbox…');
  await host.stop();
  await world.stop();
  io.stdout('stopped.');
  return 0;
}

/**
 * Loads the deployment bundle the way the Functions host does: the functions-core stand-in first, then the
 * app's entry, whose `app.*` calls register with it. Nothing here may have loaded `@azure/functions`
 * before, or it would have switched to test mode and registered nothing.
 */
async function loadAppIntoHost(
  world: SandboxWorld,
  port: number,
  verbose: boolean,
  io: CliIo,
): Promise<{ host: LocalFunctionsHost; functionKey: string; adminToken: string; eventGridKey: string }> {
  // As deployed, the reconcile endpoint sits behind App Service authentication (its stand-in here).
  Object.assign(process.env, world.env, { WEBSITE_AUTH_ENABLED: 'True' });
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
    port,
    functionKey,
    eventGridKey,
    easyAuth: { adminToken, adminAppRole: adminAuthFrom(process.env).adminAppRole },
    log: (line) => {
      if (verbose || !/^\[[^\]]+\] (debug|trace): /.test(line)) io.stderr(line);
    },
  });
  await host.start();
  return { host, functionKey, adminToken, eventGridKey };
}

function readyText(state: SandboxState, stateDir: string): string {
  const open = state.vms.filter((vm) => vm.resourceGroup === 'rg-web').map((vm) => vm.name);
  // The printed commands must work as printed, also for a sandbox in another state folder.
  const where = stateDir === resolve('.sandbox') ? '' : ` --state-dir ${stateDir}`;
  return `
jit-guardrail sandbox is running (Ctrl-C stops it)

  ARM emulator      ${state.armUrl}   (CA: ${state.caFile})
  Functions host    ${state.hostUrl}
    Event Grid      ${state.hostUrl}/runtime/webhooks/eventgrid?functionName=guard        (NSG writes)
                    ${state.hostUrl}/runtime/webhooks/eventgrid?functionName=roleEvents   (role-definition writes)
                    (each needs the Event Grid system key, as in Azure: eventGridKey in ${join(stateDir, 'sandbox.json')})
    HTTP            POST ${state.hostUrl}/api/reconcile   (function key and admin sign-in below)
    timers          reconcileTimer, sweepTimer on their schedules
  Teams sink        cards print here and are saved in ${join(stateDir, 'cards')}
  Subscription      ${state.subscriptionId}: ${state.vms.map((vm) => `${vm.name} (${vm.resourceGroup}, JIT ports ${vm.jitPorts.join('/')})`).join(', ')}
                    JIT on ${open.join(' and ')} allows requests from any source; the requester role has drift.

Try next, in another terminal:

  npx jit-guardrail sandbox request-jit --vm web-01 --source '*'${where}            # removed within one event, alerted
  npx jit-guardrail sandbox request-jit --vm sql-01 --source 198.51.100.7${where}   # allowed: stays, no alert
  curl -sS -X POST "${state.hostUrl}/api/reconcile?code=${state.functionKey}" -H "Authorization: Bearer ${state.adminToken}"   # dry run: reports the role drift
  curl -sS -X POST "${state.hostUrl}/api/reconcile?code=${state.functionKey}" -H "Authorization: Bearer ${state.adminToken}" -d '{"dryRun": false}'   # fixes it
  npx jit-guardrail sweep --emulator ${state.armUrl} --ca ${state.caFile} --subscription ${state.subscriptionId} --report-only
`;
}

async function requestJit(stateDir: string, options: Record<string, string>, io: CliIo): Promise<number> {
  const stateFile = join(stateDir, 'sandbox.json');
  if (!existsSync(stateFile)) {
    io.stderr(
      `jit-guardrail sandbox request-jit: no sandbox found in ${stateDir}; start one with 'npm start'`,
    );
    return 2;
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as SandboxState;
  if (!options.vm || !options.source) throw new UsageError('request-jit needs --vm NAME and --source PREFIX');
  const vm = state.vms.find((v) => v.name.toLowerCase() === options.vm!.toLowerCase());
  if (!vm) {
    io.stderr(
      `jit-guardrail sandbox request-jit: no VM '${options.vm}' (the sandbox has ${state.vms.map((v) => v.name).join(', ')})`,
    );
    return 2;
  }
  const port = options.port === undefined ? vm.jitPorts[0]! : Number(options.port);
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
    io.stderr(
      `jit-guardrail sandbox request-jit: JIT refused or the sandbox is gone: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return 1;
  }
  io.stdout(
    `JIT access requested by ${upn}: ${vm.name}:${port} from ${options.source} (${SANDBOX_LOCATION}). Watch the sandbox terminal.`,
  );
  return 0;
}

function parseOptions(args: readonly string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${arg}`);
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    options[arg.slice(2)] = value;
    i += 1;
  }
  return options;
}
