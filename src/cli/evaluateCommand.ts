import type { CliIo } from './cliIo.js';
import { evaluateNsg } from '../lib/nsg/evaluateNsg.js';
import { parseNsgDocument } from '../lib/nsg/nsgDocument.js';
import {
  asListInput,
  countOf,
  describeSource,
  InputError,
  isRecord,
  printable,
  readJsonInput,
  readsStandardInput,
  shellWord,
  UsageError,
} from './readInput.js';

export const EVALUATE_HELP = `Usage: jit-guardrail evaluate [FILE|-]

Reads one NSG as ARM returns it from GET (a file, or standard input) and prints
{"nsg": "<name>", "rules": [{"name", "verdict": "remove"|"keep", "reason"}]}
with one entry per security rule, in input order. Save an NSG in that shape with
  ${azRestGetNsg('/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/networkSecurityGroups/<name>')} > nsg.json
('az network nsg show' flattens it and is refused). UTF-8 and UTF-16 files with a byte order mark are read.

Exit codes: 0 evaluated, 2 unreadable input or not an NSG.`;

const SAVE_ONE_NSG = `save one NSG with ${azRestGetNsg('<NSG id>')} > nsg.json`;

export async function evaluateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const source = parseArgs(args);
  if (readsStandardInput(source) && io.stdinIsTty === true) {
    io.stderr(
      `jit-guardrail evaluate: reading one NSG from standard input, end with Ctrl-D (Ctrl-Z Enter on Windows); or pass a FILE: ${SAVE_ONE_NSG}`,
    );
  }
  let evaluation;
  try {
    const json = await readJsonInput(source, io.stdin, describeSource(source), SAVE_ONE_NSG);
    refuseKnownWrongShapes(json, source);
    evaluation = evaluateNsg(parseNsgDocument(json), io.now());
  } catch (error) {
    io.stderr(`jit-guardrail evaluate: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const output: Record<string, unknown> = { nsg: evaluation.nsg, rules: evaluation.rules };
  if (evaluation.exemption.status !== 'none') output.exemption = evaluation.exemption;
  if (evaluation.exemption.status === 'invalid') {
    io.stderr(
      `jit-guardrail evaluate: warning: tag jit-guardrail-exempt-until='${printable(evaluation.exemption.tagValue)}' is ${evaluation.exemption.problem}; it exempts nothing`,
    );
  }
  io.stdout(JSON.stringify(output));
  return 0;
}

function parseArgs(args: readonly string[]): string | undefined {
  const option = args.find((arg) => arg.startsWith('-') && arg !== '-');
  if (option !== undefined) throw new UsageError(`unknown option ${option}`);
  if (args.length > 1) throw new UsageError('evaluate takes at most one FILE argument');
  return args[0];
}

/** The shapes a user really has at hand (a list, or the Azure CLI's flattened NSG), named with their fix. */
function refuseKnownWrongShapes(json: unknown, source: string | undefined): void {
  const where = describeSource(source);
  const list = asListInput(json);
  if (list !== undefined) {
    const first = list.items[0];
    if (list.items.length === 0)
      throw new InputError(`${where} is an empty list, not an NSG: ${SAVE_ONE_NSG}`);
    if (isFlattenedNsg(first)) {
      throw new InputError(
        `${where} is a list of ${countOf(list.items.length, 'NSG')} as 'az network nsg list' prints them; evaluate reads one NSG as ARM returns it: ${azRestGetNsg(nsgIdOf(first))} > nsg.json`,
      );
    }
    const pick = readsStandardInput(source)
      ? `pipe it through jq '${list.firstItemFilter}'`
      : `jq '${list.firstItemFilter}' ${shellWord(source)} > nsg.json`;
    throw new InputError(
      `${where} is a list of ${countOf(list.items.length, looksLikeNsg(first) ? 'NSG' : 'item')}; pass one NSG, e.g. ${pick}`,
    );
  }
  if (isFlattenedNsg(json)) {
    throw new InputError(
      `${where} is an NSG as 'az network nsg show' prints it (properties flattened away); evaluate reads it as ARM returns it: ${azRestGetNsg(nsgIdOf(json))} > nsg.json`,
    );
  }
}

/** `az network nsg show|list` and the SDK lift `securityRules` out of `properties`. */
function isFlattenedNsg(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && !('properties' in value) && 'securityRules' in value;
}

function looksLikeNsg(value: unknown): boolean {
  return (
    isFlattenedNsg(value) ||
    (isRecord(value) && isRecord(value.properties) && 'securityRules' in value.properties)
  );
}

/** The file's NSG id when it looks like one: the command is printed to be pasted into a shell. */
const NSG_ID =
  /^\/subscriptions\/[\w-]+\/resourceGroups\/[\w.()-]+\/providers\/Microsoft\.Network\/networkSecurityGroups\/[\w.-]+$/i;

function nsgIdOf(nsg: Record<string, unknown>): string {
  return typeof nsg.id === 'string' && NSG_ID.test(nsg.id) ? nsg.id : '<NSG id>';
}

function azRestGetNsg(id: string): string {
  return `az rest --method get --url ${shellWord(`https://management.azure.com${id}?api-version=2024-05-01`)}`;
}
