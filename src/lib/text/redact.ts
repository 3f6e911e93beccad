/*
 * Secrets are found by the key that names them, written plain, percent-encoded once, JSON-escaped or
 * HTML-escaped, and by shape for bare JWTs. Every pattern is a short prefix followed by runs of
 * characters that end at a character the run cannot hold, and alternatives start with different
 * characters: a failed attempt backtracks over one run at most, so the time stays linear in the text.
 */

/** `=` plain, percent-encoded, JSON-escaped. */
const EQ = String.raw`(?:=|%3D|\\u003D)`;
/** `"` or `'` around a key or value: plain, JSON-escaped (`\"`), HTML-escaped. */
const QUOTE = String.raw`(?:\\?["']|&quot;|&#39;)`;
/**
 * A secret value runs until a delimiter: whitespace, a quote, `&` (also the start of `&amp;`), `\`
 * (the start of `\u0026` or of a closing `\"`), brackets, `;`, `:`, `,`, `|`, `#`, or the percent-encoded
 * form of one of those. Other `%XX` (`%2B`, `%2F`, `%3D` in base64) stay part of the value, and so
 * does a JSON-escaped slash.
 */
const VALUE = String.raw`(?:[^\s"'\x60<>&\\;:,()[\]{}|#%]|%(?!2[02367C]|3[ABCE])|\\/)+`;
/** A SAS token keeps `&` and `=` between its fields; it ends at `;` (connection strings) or a delimiter. */
const SAS_VALUE = String.raw`(?:[^\s"'\x60<>\\;,|%]|%(?!2[027]|3[BCE]))+`;

const SECRETS: readonly (readonly [RegExp, string])[] = [
  // A webhook or SAS signature, wherever a query parameter can start (also first in a bare token).
  // Also as a JSON property or header (`"sig": "…"`, `sig: …`), with spaces, `&#61;`, or a bracket.
  [
    new RegExp(
      String.raw`((?<=^|\W|%3F|%26|\\u0026|\\u003F)sig${QUOTE}?[ \t]*(?:${EQ}|:|&#61;)[ \t]*${QUOTE}?[([]?)${VALUE}`,
      'gi',
    ),
    '$1REDACTED',
  ],
  // A legacy Office 365 connector URL carries its secret in the path, not the query.
  [/(IncomingWebhook\/)[^/\s"'?#]+/gi, '$1REDACTED'],
  // A function key in a query. Only there: a JSON `"code"` is an ARM error code, not a key.
  [new RegExp(String.raw`((?<=[?&]|&amp;|%3F|%26|\\u0026|\\u003F)code${EQ})${VALUE}`, 'gi'), '$1REDACTED'],
  // Keys by name, as a header line, a connection-string field or a JSON property.
  [
    new RegExp(
      String.raw`((?:x-functions-key|aeg-sas-key|aeg-sas-token|accountkey|sharedaccesskey)${QUOTE}?[ \t]*(?:[:=]|%3D|%3A|\\u003D)[ \t]*${QUOTE}?)${VALUE}`,
      'gi',
    ),
    '$1REDACTED',
  ],
  // A whole SAS: `SharedAccessSignature=sv=…&sig=…;` or a `SharedAccessSignature sr=…&sig=…` token.
  [
    new RegExp(
      String.raw`((?<![a-z])sharedaccesssignature(?:${EQ}|(?:[ \t]+|%20)(?=s[a-z]{1,3}${EQ})))${SAS_VALUE}`,
      'gi',
    ),
    '$1REDACTED',
  ],
  [new RegExp(String.raw`((?<![a-z])bearer(?:[ \t]+|%20))${VALUE}`, 'gi'), '$1REDACTED'],
  // A bare JWT: three base64url segments, the header being JSON (`{"` is `eyJ`); it may follow an
  // encoded `=` (`%3D`, `\u003d`), but not sit inside a longer base64url run.
  [/(?<=^|[^\w-]|%[0-9A-Fa-f]{2}|\\u00[0-9A-Fa-f]{2})eyJ[\w-]+\.[\w-]+\.[\w-]+/g, 'REDACTED'],
];

/**
 * Removes what must never leave the process: webhook and SAS signatures, function keys, storage and
 * Service Bus keys, bearer tokens and JWTs. The key and separator are kept, the value becomes `REDACTED`.
 */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRETS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A copy of plain data (objects, arrays) with every string redacted; keys are kept as they are.
 * Other objects (class instances) are not walked and are returned as they are.
 */
export function redactValue<T>(value: T): T {
  return copyRedacted(value, new WeakMap()) as T;
}

function copyRedacted(value: unknown, copies: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    copies.set(value, out);
    for (const item of value) out.push(copyRedacted(item, copies));
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  copies.set(value, out);
  for (const [key, item] of Object.entries(value)) define(out, key, copyRedacted(item, copies));
  return out;
}

/** Errors nest causes rarely more than two or three deep; a cycle must end somewhere. */
const MAX_CAUSE_DEPTH = 5;
/** Set from the error's own fields, never copied from its enumerable properties. */
const ERROR_FIELDS = new Set(['name', 'message', 'stack', 'cause']);

/**
 * An Error with the message, stack and cause chain of `error` redacted, its name kept, and its own
 * enumerable primitive properties (and `retryable`, often a getter) copied. Objects it carries, such
 * as an SDK error's request and response, are left behind.
 */
export function redactError(error: unknown): Error {
  return redactErrorAt(error, 0);
}

function redactErrorAt(error: unknown, depth: number): Error {
  if (!isErrorLike(error)) return new Error(redact(describe(error)));
  const cause =
    depth < MAX_CAUSE_DEPTH ? redactCause((error as { cause?: unknown }).cause, depth) : undefined;
  const copy = new Error(redact(error.message), cause === undefined ? undefined : { cause });
  // Not enumerable, as on a native Error: logs and JSON show the copy as they would the original.
  Object.defineProperty(copy, 'name', {
    value: typeof error.name === 'string' ? error.name : 'Error',
    writable: true,
    configurable: true,
  });
  copy.stack = typeof error.stack === 'string' ? redact(error.stack) : `${copy.name}: ${copy.message}`;
  for (const [key, value] of Object.entries(error)) {
    if (ERROR_FIELDS.has(key) || (typeof value === 'object' && value !== null) || typeof value === 'function')
      continue;
    define(copy, key, typeof value === 'string' ? redact(value) : value);
  }
  const retryable = (error as { retryable?: unknown }).retryable;
  if (typeof retryable === 'boolean') define(copy, 'retryable', retryable);
  return copy;
}

/** Errors are redacted in turn, plain data copied redacted; any other object is left behind. */
function redactCause(cause: unknown, depth: number): unknown {
  if (isErrorLike(cause)) return redactErrorAt(cause, depth + 1);
  if (typeof cause !== 'object' || cause === null || Array.isArray(cause) || isPlainObject(cause))
    return redactValue(cause);
  return undefined;
}

/** By shape, not `instanceof`: errors from SDK bundles or other realms are errors too. */
function isErrorLike(value: unknown): value is { message: string; name?: unknown; stack?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'a thrown value that cannot be shown';
  }
}

/** An own data property, even for a key such as `__proto__` that assignment would treat specially. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
