import { evaluateCommand, EVALUATE_HELP, type CommandIo } from './evaluateCommand.js';
import { UsageError } from './readInput.js';
import { roleDiffCommand, ROLE_DIFF_HELP } from './roleDiffCommand.js';

const HELP = `Usage: jit-guardrail <command> [options]

Commands:
  evaluate [FILE|-]              decide which rules of one NSG (ARM JSON) the guardrail would remove
  role diff ACTUAL [--desired F]  compare a role definition with the least-privilege JIT requester role

Run 'jit-guardrail <command> --help' for a command's options.`;

const COMMANDS: Record<
  string,
  { help: string; run: (args: readonly string[], io: CommandIo) => Promise<number> }
> = {
  evaluate: { help: EVALUATE_HELP, run: evaluateCommand },
  role: { help: ROLE_DIFF_HELP, run: roleDiffCommand },
};

/** Runs the CLI and returns the process exit code. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`jit-guardrail: unknown command '${name}'\n${HELP}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`jit-guardrail ${name}: ${error.message}\n${command.help}`);
      return 2;
    }
    throw error;
  }
}

export async function main(): Promise<void> {
  const io: CommandIo = {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    now: () => new Date(),
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
