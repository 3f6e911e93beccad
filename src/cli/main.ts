import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../core/redact.js';
import type { CliIo } from './cliIo.js';
import { packageRoot } from './packageRoot.js';
import { UsageError } from './readInput.js';

const HELP = `Usage: jit-guardrail <command> [options]

Commands:
  evaluate [FILE|-]               decide which rules of one NSG (ARM JSON) the guardrail would remove
  role diff ACTUAL [--desired F]  compare a role definition with the least-privilege JIT requester role
  sweep [--subscription ID ...]   find and remove wildcard JIT rules that events missed; audit JIT policies
  audit list [--limit N] [--json] the latest decisions from the audit table
  demo                            run the whole story offline against the embedded emulator; exit 0 if it held
  sandbox start | request-jit     the local world behind 'npm start', and a way to ask it for JIT access
  help [COMMAND]                  this list, or a command's options

Options:
  --help, -h                      this list
  --version, -v                   print the version

Run 'jit-guardrail <command> --help' for a command's options.`;

interface Command {
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Commands load on use, so `evaluate` does not pay for the Azure SDK clients `sweep` needs. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  evaluate: async () => {
    const m = await import('./evaluateCommand.js');
    return { help: m.EVALUATE_HELP, run: m.evaluateCommand };
  },
  role: async () => {
    const m = await import('./roleDiffCommand.js');
    return { help: m.ROLE_DIFF_HELP, run: m.roleDiffCommand };
  },
  audit: async () => {
    const m = await import('./auditCommand.js');
    return { help: m.AUDIT_HELP, run: m.auditCommand };
  },
  demo: async () => {
    const m = await import('./demoCommand.js');
    return { help: m.DEMO_HELP, run: m.demoCommand };
  },
  sandbox: async () => {
    const m = await import('./sandboxCommand.js');
    return { help: m.SANDBOX_HELP, run: m.sandboxCommand };
  },
  sweep: async () => {
    const m = await import('./sweepCommand.js');
    return { help: m.SWEEP_HELP, run: m.sweepCommand };
  },
};

/** Runs the CLI and returns the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-v') {
    io.stdout(`jit-guardrail ${packageVersion()}`);
    return 0;
  }
  if (name === 'help' && args[0] !== undefined && Object.hasOwn(COMMANDS, args[0])) {
    return runCli([args[0], '--help'], io);
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    io.stderr(`jit-guardrail: unknown command '${name}'; run 'jit-guardrail --help' for the commands`);
    return 2;
  }
  const command = await load();
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(command.help);
    return 0;
  }
  try {
    // Everything a command prints is redacted, but the sandbox's own start-up text: it prints the
    // local function key and admin token on purpose, so they can be used.
    return await command.run(args, name === 'sandbox' ? io : redactingIo(io));
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`jit-guardrail ${name}: ${error.message}; see 'jit-guardrail ${name} --help'`);
      return 2;
    }
    throw error;
  }
}

/** The version in this package's package.json. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

function redactingIo(io: CliIo): CliIo {
  return {
    ...io,
    stdout: (text) => io.stdout(redact(text)),
    // Messages may quote what a file held: no escape sequence of it reaches the terminal.
    stderr: (text) => io.stderr(withoutControlCharacters(redact(text))),
    progress: (text) => io.progress(redact(text)),
  };
}

/** Lines and tabs stay; every other control character (ESC above all) is shown as '?'. */
function withoutControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

export async function main(): Promise<void> {
  const io: CliIo = {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    progress: (text) => process.stderr.write(text),
    now: () => new Date(),
    env: process.env,
    isTty: process.stderr.isTTY === true,
    stdin: process.stdin,
    stdinIsTty: process.stdin.isTTY === true,
  };
  try {
    process.exitCode = await runCli(process.argv.slice(2), io);
  } catch (error) {
    // An unexpected failure: its reason, redacted, without a stack trace a user cannot act on.
    io.stderr(redact(`jit-guardrail: ${error instanceof Error ? error.message : String(error)}`));
    process.exitCode = 1;
  }
}
