import { createArmCredential, credentialProblem, STORAGE_TOKEN_SCOPE } from '../adapters/armCredential.js';
import { createTableAuditTrail } from '../adapters/tableAuditTrail.js';
import { firstLine, lazyTable } from '../adapters/tableStorage.js';
import { ConfigError, loadConfig, type GuardrailConfig } from '../config/settings.js';
import type { AuditRecord } from '../core/auditTrail.js';
import { resolve } from 'node:path';
import { SandboxStateDir } from '../../sandbox/host/sandboxState.js';
import type { CliIo } from './cliIo.js';
import { UsageError } from './readInput.js';
import { parseFlags } from './flags.js';

export const AUDIT_HELP = `Usage: jit-guardrail audit list [--limit 50] [--json]

Lists the guardrail's most recent decisions from its audit table (newest first): when, what (NSG or
role), which rule, the verdict, what was done and how it ended, who wrote the resource, who asked for
the JIT access. Reads the table named by GUARDRAIL_AUDIT_TABLE (default GuardrailAudit) through
GUARDRAIL_STORAGE_CONNECTION_STRING, AzureWebJobsStorage (a connection string), or
AzureWebJobsStorage__tableServiceUri with DefaultAzureCredential.

  --limit N   how many decisions to list (1-10000, default 50)
  --json      print the records as JSON

Exit codes: 0 listed; 1 the table could not be read; 2 bad usage, bad settings or no storage configured.`;

/** Where `npm start` keeps its state by default. */
const SANDBOX_STATE_DIR = '.sandbox';

export const NO_STORAGE =
  'no storage configured: set GUARDRAIL_STORAGE_CONNECTION_STRING to a Table Storage connection string (or AzureWebJobsStorage__tableServiceUri to read it with your Azure sign-in), or start the sandbox with `npm start -- --storage azurite` to keep an audit trail locally';

interface AuditArgs {
  readonly limit: number;
  readonly json: boolean;
}

export async function auditCommand(args: readonly string[], io: CliIo): Promise<number> {
  const fail = (line: string, code: 1 | 2): number => {
    io.stderr(`jit-guardrail audit: ${line}`);
    return code;
  };
  const options = parseAuditArgs(args);
  let config: GuardrailConfig;
  try {
    // The subscription is not used to read the table; any valid id lets the settings load.
    config = loadConfig(
      { GUARDRAIL_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000', ...io.env },
      { requireTeamsWebhook: false },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.oneLine, 2);
  }
  let storage = config.storage;
  if (storage === undefined) {
    // Nothing configured: the audit trail of a sandbox running here with Azurite, if there is one.
    const sandbox = new SandboxStateDir(resolve(SANDBOX_STATE_DIR)).readLive();
    if (sandbox?.storageConnectionString === undefined) return fail(NO_STORAGE, 2);
    io.stderr(
      `jit-guardrail audit: reading the audit trail of the sandbox running from ${SANDBOX_STATE_DIR}`,
    );
    storage = { kind: 'connection-string', value: sandbox.storageConnectionString };
  }
  const credential = createArmCredential(config);
  if (storage.kind === 'endpoint') {
    const problem = await credentialProblem(credential, STORAGE_TOKEN_SCOPE, config.managedIdentityClientId);
    if (problem !== undefined) return fail(problem, 2);
  }
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const trail = createTableAuditTrail(lazyTable(storage, config.tables.audit, credential), () => quiet);
  let records: AuditRecord[];
  try {
    records = await trail.recent(options.limit);
  } catch (error) {
    return fail(
      `cannot read the audit table ${config.tables.audit} (${firstLine(error)}): make sure the storage your settings name is running and reachable`,
      1,
    );
  }
  if (options.json) io.stdout(JSON.stringify(records, null, 2));
  else printRecords(records, io);
  return 0;
}

function parseAuditArgs(args: readonly string[]): AuditArgs {
  const [sub, ...rest] = args;
  if (sub !== 'list')
    throw new UsageError(sub === undefined ? 'missing subcommand: list' : `unknown subcommand '${sub}'`);
  const flags = parseFlags(rest, { switches: ['--json'], valued: ['--limit'] });
  const limitText = flags.value('--limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError('--limit takes a whole number from 1 to 10000');
  return { limit, json: flags.has('--json') };
}

function printRecords(records: readonly AuditRecord[], io: CliIo): void {
  if (records.length === 0) io.stdout('no decisions recorded yet');
  for (const r of records) {
    const what =
      r.kind === 'nsg'
        ? `${r.resource.split('/').pop()} / ${r.rule ?? '*'}`
        : `role ${r.resource.split('/').pop()}`;
    io.stdout(
      `${r.at}  ${r.kind.padEnd(4)}  ${r.action.padEnd(15)} ${r.outcome.padEnd(8)} ${what}${r.requester ? `  requested by ${r.requester}` : ''}${r.who ? `  written by ${r.who}` : ''}${r.detail && r.outcome === 'failed' ? `  (${r.detail})` : ''}`,
    );
  }
}
