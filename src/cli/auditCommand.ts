import { createArmCredential } from '../adapters/armCredential.js';
import { createTableAuditTrail } from '../adapters/tableAuditTrail.js';
import { lazyTable } from '../adapters/tableStorage.js';
import { ConfigError, loadConfig } from '../config/settings.js';
import type { CliIo } from './cliIo.js';
import { UsageError } from './readInput.js';

export const AUDIT_HELP = `Usage: jit-guardrail audit list [--limit 50] [--json]

Lists the guardrail's most recent decisions from its audit table (newest first): when, what (NSG or
role), which rule, the verdict, what was done and how it ended, who wrote the resource, who asked for
the JIT access. Reads the table named by GUARDRAIL_AUDIT_TABLE (default GuardrailAudit) through
GUARDRAIL_STORAGE_CONNECTION_STRING, AzureWebJobsStorage (a connection string), or
AzureWebJobsStorage__tableServiceUri with DefaultAzureCredential.

Exit codes: 0 listed; 1 the table could not be read; 2 bad usage or no storage configured.`;

export async function auditCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list')
    throw new UsageError(sub === undefined ? 'missing subcommand: list' : `unknown subcommand '${sub}'`);
  let limit = 50;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--limit') {
      limit = Number(rest[++i]);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new UsageError('--limit takes a whole number from 1 to 10000');
    } else if (rest[i] === '--json') json = true;
    else throw new UsageError(`unknown argument ${rest[i]}`);
  }
  let config;
  try {
    config = loadConfig(
      { GUARDRAIL_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000', ...io.env },
      { requireTeamsWebhook: false },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`jit-guardrail audit: ${error.message}`);
    return 2;
  }
  if (config.storage === undefined) {
    io.stderr(
      'jit-guardrail audit: no storage configured: set GUARDRAIL_STORAGE_CONNECTION_STRING (or AzureWebJobsStorage)',
    );
    return 2;
  }
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const trail = createTableAuditTrail(
    lazyTable(config.storage, config.tables.audit, createArmCredential(config)),
    () => quiet,
  );
  let records;
  try {
    records = await trail.recent(limit);
  } catch (error) {
    io.stderr(
      `jit-guardrail audit: cannot read the audit table: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return 1;
  }
  if (json) {
    io.stdout(JSON.stringify(records, null, 2));
    return 0;
  }
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
  return 0;
}
