import { createReadStream } from 'node:fs';

/** What a command was given by hand: the message says what to type instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Input a command cannot use; the message is one line that names the fix. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export type InputStream = AsyncIterable<Uint8Array | string>;

/** `-` or no argument means standard input. */
export function readsStandardInput(path: string | undefined): path is '-' | undefined {
  return path === undefined || path === '-';
}

/** How messages name the input: the path as typed, or "standard input". */
export function describeSource(path: string | undefined): string {
  return readsStandardInput(path) ? 'standard input' : path;
}

/** Reads a file, or standard input for `-` or no argument, decoded as editors and shells save text. */
export async function readInput(
  path: string | undefined,
  stdin: InputStream = process.stdin,
): Promise<string> {
  const bytes = readsStandardInput(path) ? await readAll(stdin) : await readBounded(path);
  return decodeText(bytes);
}

/** Why a file could not be read, in words, with what to do. */
const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file: check the path (or pass - to read standard input)',
  EISDIR: 'it is a folder: pass a file',
  EACCES: 'permission denied: check the file can be read by you',
};

/** No NSG or role definition comes near this; `/dev/zero` or a wrong file must not fill the memory. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

function tooLarge(): InputError {
  return new InputError(
    `is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB: pass one NSG or role definition, not a dump`,
  );
}

async function readBounded(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    size += (chunk as Buffer).length;
    if (size > MAX_INPUT_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Honours a byte order mark: Windows PowerShell's `>` and `Out-File` save UTF-16 LE with one, and some
 * editors put one before UTF-8. Without a mark the text is UTF-8.
 */
export function decodeText(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) {
    return buffer.subarray(3).toString('utf8');
  }
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return buffer.subarray(2).toString('utf16le');
  if (buffer[0] === 0xfe && buffer[1] === 0xff) {
    const evenLength = (buffer.length - 2) & ~1;
    // Node has no UTF-16 BE decoder: swap each pair (in a copy) and read it as LE.
    return Buffer.from(buffer.subarray(2, 2 + evenLength))
      .swap16()
      .toString('utf16le');
  }
  // No mark, but every other byte zero: UTF-16 as some tools write it without one (JSON starts with
  // an ASCII character, so its first high byte is zero: LE has it second, BE first).
  if (buffer.length >= 4 && buffer[1] === 0 && buffer[3] === 0 && buffer[0] !== 0) {
    return buffer.toString('utf16le');
  }
  if (buffer.length >= 4 && buffer[0] === 0 && buffer[2] === 0 && buffer[1] !== 0) {
    return Buffer.from(buffer.subarray(0, buffer.length & ~1))
      .swap16()
      .toString('utf16le');
  }
  return buffer.toString('utf8');
}

async function readAll(stream: InputStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > MAX_INPUT_BYTES) throw tooLarge();
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and parses JSON input. `label` names it in messages ("nsg.json", "role definition role.json");
 * `whenEmpty` says what to put in an empty input.
 */
export async function readJsonInput(
  path: string | undefined,
  stdin: InputStream | undefined,
  label: string,
  whenEmpty: string,
): Promise<unknown> {
  let text: string;
  try {
    text = await readInput(path, stdin);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${label} ${error.message}`);
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new InputError(`cannot read ${label}: ${READ_FAILURES[code] ?? code}`);
  }
  if (text.trim() === '') throw new InputError(`${label} is empty: ${whenEmpty}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Node quotes part of the input: control characters from the file must not reach the terminal.
    const reason = printable(error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'invalid JSON');
    throw new InputError(`${label} is not JSON: ${reason}`);
  }
}

/** Text from a file made safe for a terminal: control characters (escape sequences) shown as '?'. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** A list where one item was expected: a bare array (`az … list`) or ARM's `{"value": [...]}`. */
export interface ListInput {
  readonly items: readonly Record<string, unknown>[];
  /** The jq filter that picks the first item. */
  readonly firstItemFilter: '.[0]' | '.value[0]';
}

/** A list of objects, as list calls return them; other arrays are left to the parser to refuse. */
export function asListInput(json: unknown): ListInput | undefined {
  const isListOfObjects = (value: unknown): value is Record<string, unknown>[] =>
    Array.isArray(value) && value.every(isRecord);
  if (isListOfObjects(json)) return { items: json, firstItemFilter: '.[0]' };
  if (isRecord(json) && isListOfObjects(json.value) && !('name' in json) && !('properties' in json)) {
    return { items: json.value, firstItemFilter: '.value[0]' };
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A path as it can be pasted into a shell command. */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** "1 NSG", "3 NSGs". */
export function countOf(count: number, singular: string): string {
  return `${count} ${singular}${count === 1 ? '' : 's'}`;
}
