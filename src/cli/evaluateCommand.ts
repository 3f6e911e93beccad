import type { CliIo } from './cliIo.js';
import { evaluateNsg } from '../lib/nsg/evaluateNsg.js';
import { parseNsgDocument } from '../lib/nsg/nsgDocument.js';
import { readInput, UsageError } from './readInput.js';

export const EVALUATE_HELP = `Usage: jit-guardrail evaluate [FILE|-]

Reads one NSG as ARM returns it from GET (a file, or standard input) and prints
{"nsg": "<name>", "rules": [{"name", "verdict": "remove"|"keep", "reason"}]}
with one entry per security rule, in input order.

Exit codes: 0 evaluated, 2 unreadable input or not an NSG.`;

export async function evaluateCommand(args: readonly string[], io: CliIo): Promise<number> {
  if (args.length > 1) throw new UsageError('evaluate takes at most one FILE argument');
  const source = args[0];
  let text: string;
  try {
    text = await readInput(source);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    io.stderr(`jit-guardrail evaluate: cannot read ${source ?? 'standard input'}: ${code}`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid JSON';
    io.stderr(`jit-guardrail evaluate: ${source ?? 'standard input'} is not JSON: ${reason.split('\n')[0]}`);
    return 2;
  }
  let evaluation;
  try {
    evaluation = evaluateNsg(parseNsgDocument(json), io.now());
  } catch (error) {
    io.stderr(`jit-guardrail evaluate: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const output: Record<string, unknown> = { nsg: evaluation.nsg, rules: evaluation.rules };
  if (evaluation.exemption.status !== 'none') output.exemption = evaluation.exemption;
  if (evaluation.exemption.status === 'invalid') {
    io.stderr(
      `jit-guardrail evaluate: warning: tag jit-guardrail-exempt-until='${evaluation.exemption.tagValue}' is ${evaluation.exemption.problem}; it exempts nothing`,
    );
  }
  io.stdout(JSON.stringify(output));
  return 0;
}
