import { defaultDesiredRole } from '../lib/role/desiredRole.js';
import { parseRoleDefinition, type RoleShape } from '../lib/role/roleDefinition.js';
import { diffRole } from '../lib/role/roleDiff.js';
import type { CliIo } from './cliIo.js';
import { readInput, UsageError } from './readInput.js';

export const ROLE_DIFF_HELP = `Usage: jit-guardrail role diff ACTUAL [--desired FILE]

Compares a role definition (as ARM returns it, or as 'az role definition list' prints it; '-' reads standard input)
with the desired JIT requester role and prints
{"inSync": bool, "changes": [{"field", "extra": [...], "missing": [...]}]}.

Permissions are compared as case-insensitive sets over all permissions[] entries. Without --desired the
desired role is the built-in one (four actions, nothing else); assignable scopes are compared only when
the desired file names them. --desired takes any of those, an Azure CLI role file, or {"actions": [...], ...}.

Exit codes: 0 in sync, 3 drift, 2 bad input.`;

export async function roleDiffCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { actualPath, desiredPath } = parseArgs(args);
  let desired: RoleShape = defaultDesiredRole();
  if (desiredPath !== undefined) {
    const loaded = await loadRole(desiredPath, 'desired role', io);
    if (loaded === undefined) return 2;
    desired = loaded;
  }
  const actual = await loadRole(actualPath, 'role definition', io);
  if (actual === undefined) return 2;
  const diff = diffRole(actual, desired);
  io.stdout(JSON.stringify({ inSync: diff.inSync, changes: diff.changes }));
  return diff.inSync ? 0 : 3;
}

function parseArgs(args: readonly string[]): { actualPath: string; desiredPath: string | undefined } {
  if (args[0] !== 'diff')
    throw new UsageError(
      args[0] === undefined ? 'missing subcommand: diff' : `unknown subcommand '${args[0]}'`,
    );
  let actualPath: string | undefined;
  let desiredPath: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--desired') {
      desiredPath = args[++i];
      if (desiredPath === undefined) throw new UsageError('--desired needs a FILE');
    } else if (arg.startsWith('--desired=')) {
      desiredPath = arg.slice('--desired='.length);
    } else if (arg.startsWith('--') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else if (actualPath === undefined) {
      actualPath = arg;
    } else {
      throw new UsageError('role diff takes one ACTUAL file');
    }
  }
  if (actualPath === undefined) throw new UsageError('missing ACTUAL (a file, or - for standard input)');
  return { actualPath, desiredPath };
}

async function loadRole(path: string, what: string, io: CliIo): Promise<RoleShape | undefined> {
  let text: string;
  try {
    text = await readInput(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    io.stderr(`jit-guardrail role diff: cannot read ${what} ${path}: ${code}`);
    return undefined;
  }
  try {
    return parseRoleDefinition(JSON.parse(text));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    io.stderr(`jit-guardrail role diff: ${what} ${path}: ${reason}`);
    return undefined;
  }
}
