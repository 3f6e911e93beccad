import { DEFAULT_ROLE_NAME, defaultDesiredRole } from '../lib/role/desiredRole.js';
import { parseRoleDefinition, type RoleShape } from '../lib/role/roleDefinition.js';
import { diffRole } from '../lib/role/roleDiff.js';
import type { CliIo } from './cliIo.js';
import {
  asListInput,
  countOf,
  InputError,
  isRecord,
  readJsonInput,
  readsStandardInput,
  shellWord,
  UsageError,
  type ListInput,
} from './readInput.js';

export const ROLE_DIFF_HELP = `Usage: jit-guardrail role diff ACTUAL [--desired FILE]

Compares a role definition (as ARM returns it, or as 'az role definition list' prints it; '-' reads standard input)
with the desired JIT requester role and prints
{"inSync": bool, "changes": [{"field", "extra": [...], "missing": [...]}]}.

Permissions are compared as case-insensitive sets over all permissions[] entries. Without --desired the
desired role is the built-in one (four actions, nothing else), assignable in the role's own subscription
only (the one its id names): a wider scope, such as "/" or a management group, is drift. With --desired,
scopes are compared when that file names them. --desired takes any of those, an Azure CLI role file, or
{"actions": [...], ...}.
Save ACTUAL with
  ${azRoleList(DEFAULT_ROLE_NAME)}
UTF-8 and UTF-16 files with a byte order mark are read.

Exit codes: 0 in sync, 3 drift, 2 bad input.`;

export async function roleDiffCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { actualPath, desiredPath } = parseArgs(args);
  if (io.stdinIsTty === true && (actualPath === '-' || desiredPath === '-')) {
    io.stderr(
      `jit-guardrail role diff: reading a role definition from standard input, end with Ctrl-D (Ctrl-Z Enter on Windows); or pass a FILE: ${azRoleList(DEFAULT_ROLE_NAME)}`,
    );
  }
  try {
    const actual = await loadRole(actualPath, 'role definition', io);
    const desired =
      desiredPath === undefined
        ? defaultDesiredRole(DEFAULT_ROLE_NAME, subscriptionScopeOf(actual))
        : await loadRole(desiredPath, 'desired role', io);
    const diff = diffRole(actual, desired);
    io.stdout(JSON.stringify({ inSync: diff.inSync, changes: diff.changes }));
    return diff.inSync ? 0 : 3;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.stderr(`jit-guardrail role diff: ${error.message}`);
    return 2;
  }
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
      desiredPath = optionValue(arg, args[++i]);
    } else if (arg.startsWith('--desired=')) {
      desiredPath = optionValue(arg, arg.slice('--desired='.length));
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else if (actualPath === undefined) {
      actualPath = arg;
    } else {
      throw new UsageError('role diff takes one ACTUAL file');
    }
  }
  if (actualPath === undefined) throw new UsageError('missing ACTUAL (a file, or - for standard input)');
  if (actualPath === '-' && desiredPath === '-') {
    throw new UsageError('only one of ACTUAL and --desired can be - (standard input)');
  }
  return { actualPath, desiredPath };
}

/** The FILE after `--desired` or `--desired=`, named in errors as the user typed the option. */
function optionValue(typed: string, value: string | undefined): string {
  if (value === undefined || value === '' || (value.startsWith('-') && value !== '-')) {
    throw new UsageError(`${typed} needs a FILE${value ? ` (got ${value})` : ''}`);
  }
  return value;
}

/**
 * The requester role is assignable in its own subscription only: the one its id names (or its first
 * subscription scope). Undefined when the file names none, and scopes are then not compared.
 */
function subscriptionScopeOf(role: RoleShape): string[] | undefined {
  const candidates = [role.id ?? '', ...(role.assignableScopes ?? [])];
  for (const candidate of candidates) {
    const match = /^\/subscriptions\/([0-9a-f-]{36})(\/|$)/i.exec(candidate);
    if (match) return [`/subscriptions/${match[1]}`];
  }
  return undefined;
}

async function loadRole(path: string, what: RoleInput, io: CliIo): Promise<RoleShape> {
  const label = `${what} ${readsStandardInput(path) ? '(standard input)' : path}`;
  const json = await readJsonInput(path, io.stdin, label, whatToSave(what));
  const list = asListInput(json);
  if (list !== undefined) throw new InputError(`${label} ${describeList(list, path, what)}`);
  try {
    return parseRoleDefinition(json);
  } catch (error) {
    throw new InputError(
      `${label}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
}

type RoleInput = 'role definition' | 'desired role';

function whatToSave(what: RoleInput): string {
  return what === 'desired role'
    ? 'put a role in it: ARM JSON, az output, an az role file, or {"actions": [...]}'
    : `save one with ${azRoleList(DEFAULT_ROLE_NAME)}`;
}

/** What a list is and how to pass one role from it. */
function describeList(list: ListInput, path: string, what: RoleInput): string {
  const count = countOf(list.items.length, 'role definition');
  // A bare array of role definitions is what `az role definition list` prints without --query "[0]".
  if (list.firstItemFilter === '.[0]' && what === 'role definition') {
    if (list.items.length === 0) {
      return `is an empty list: no role matched; check the --name you gave az role definition list (the default role is "${DEFAULT_ROLE_NAME}")`;
    }
    if (list.items.length === 1) {
      return `is a list of ${count} as 'az role definition list' prints it; add --query "[0]": ${azRoleList(roleNameOf(list.items[0]))}`;
    }
    return `is a list of ${count}; pass one, e.g. ${azRoleList(DEFAULT_ROLE_NAME)}`;
  }
  if (list.items.length === 0) return `is an empty list: ${whatToSave(what)}`;
  const saveAs = what === 'desired role' ? 'desired.json' : 'role.json';
  const pick = readsStandardInput(path)
    ? `pipe it through jq '${list.firstItemFilter}'`
    : `jq '${list.firstItemFilter}' ${shellWord(path)} > ${saveAs}`;
  return `is a list of ${count}; pass one, e.g. ${pick}`;
}

function roleNameOf(role: unknown): string {
  if (!isRecord(role)) return DEFAULT_ROLE_NAME;
  const roleName = isRecord(role.properties) ? role.properties.roleName : role.roleName;
  return typeof roleName === 'string' ? roleName : DEFAULT_ROLE_NAME;
}

function azRoleList(roleName: string): string {
  // The name comes from the file: quoted, so a pasted command runs nothing it holds.
  return `az role definition list --name ${shellWord(roleName)} --query "[0]" -o json > role.json`;
}
