import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FIXTURES } from './fixtures.js';

/** One recorded request and real ARM's answer, whatever recorder wrote it. */
export interface RecordedExchange {
  /** 0-based position in the recording, as its SOURCES.md counts. */
  readonly index: number;
  readonly method: string;
  readonly path: string;
  /** With the leading `?`, or empty. */
  readonly query: string;
  readonly requestBody: unknown;
  readonly status: number;
  /** Header names in lower case, first value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/**
 * Reads a recording under `test/fixtures/arm/recordings`: vcrpy YAML (Azure CLI), .NET and
 * PowerShell `SessionRecords` JSON, or a Cloud Custodian cassette.
 */
export function loadRecording(relativePath: string): RecordedExchange[] {
  const text = readFileSync(join(FIXTURES, 'arm/recordings', relativePath), 'utf8');
  if (relativePath.endsWith('.yaml')) return fromVcr(parseYaml(text) as Vcr);
  const json = JSON.parse(text) as SessionRecords | Vcr;
  return 'Entries' in json ? fromSessionRecords(json) : fromVcr(json);
}

interface Vcr {
  interactions: {
    request: { method: string; uri: string; body: string | null };
    response: {
      status: { code: number };
      headers: Record<string, string[]>;
      body: { string?: string; data?: unknown };
    };
  }[];
}

interface SessionRecords {
  Entries: {
    RequestMethod: string;
    RequestUri: string;
    /** Text (.NET Fluent, PowerShell) or already JSON (the test proxy's format). */
    RequestBody: unknown;
    StatusCode: number;
    ResponseHeaders: Record<string, string[]>;
    ResponseBody: unknown;
  }[];
}

function fromVcr(recording: Vcr): RecordedExchange[] {
  return recording.interactions.map(({ request, response }, index) => ({
    index,
    method: request.method.toUpperCase(),
    ...pathAndQuery(request.uri),
    requestBody: parseBody(request.body),
    status: response.status.code,
    headers: firstValues(response.headers),
    body: response.body.data !== undefined ? response.body.data : parseBody(response.body.string),
  }));
}

function fromSessionRecords(recording: SessionRecords): RecordedExchange[] {
  return recording.Entries.map((entry, index) => ({
    index,
    method: entry.RequestMethod.toUpperCase(),
    ...pathAndQuery(entry.RequestUri),
    requestBody: parseBody(entry.RequestBody),
    status: entry.StatusCode,
    headers: firstValues(entry.ResponseHeaders),
    body: parseBody(entry.ResponseBody),
  }));
}

function pathAndQuery(uri: string): { path: string; query: string } {
  const url = new URL(uri, 'https://management.azure.com');
  return { path: url.pathname, query: url.search };
}

function parseBody(text: unknown): unknown {
  if (typeof text !== 'string') return text ?? undefined;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function firstValues(headers: Record<string, string[] | string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, values]) => [
      name.toLowerCase(),
      Array.isArray(values) ? (values[0] ?? '') : values,
    ]),
  );
}

/**
 * Every key path of a JSON value with its JSON type, e.g. `properties.securityRules[].name: string`;
 * array elements share one `[]` path.
 */
export function shapeOf(value: unknown, prefix = '', into = new Map<string, Set<string>>()) {
  const add = (type: string) => {
    const types = into.get(prefix) ?? new Set<string>();
    types.add(type);
    into.set(prefix, types);
  };
  if (Array.isArray(value)) {
    add('array');
    for (const item of value) shapeOf(item, `${prefix}[]`, into);
  } else if (value !== null && typeof value === 'object') {
    add('object');
    for (const [k, v] of Object.entries(value)) shapeOf(v, prefix ? `${prefix}.${k}` : k, into);
  } else {
    add(value === null ? 'null' : typeof value);
  }
  return into;
}

/** Where two bodies differ in shape: paths one has and the other lacks, and paths of other types. */
export function shapeDifference(recorded: unknown, emulated: unknown) {
  const real = shapeOf(recorded);
  const ours = shapeOf(emulated);
  const missing = [...real.keys()].filter((p) => !ours.has(p)).sort();
  const extra = [...ours.keys()].filter((p) => !real.has(p)).sort();
  const retyped = [...real.keys()]
    .filter((p) => ours.has(p))
    .filter((p) => ![...ours.get(p)!].every((t) => real.get(p)!.has(t)))
    .map((p) => `${p}: ${[...real.get(p)!].join('|')} → ${[...ours.get(p)!].join('|')}`)
    .sort();
  return { missing, extra, retyped };
}
