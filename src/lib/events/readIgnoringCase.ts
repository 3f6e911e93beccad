/**
 * Reads a property whatever its casing: real ResourceWriteSuccess events have carried both
 * `authorization.scope` and `Authorization.Scope` style keys.
 */
export function readIgnoringCase(record: unknown, key: string): unknown {
  if (typeof record !== 'object' || record === null) return undefined;
  const obj = record as Record<string, unknown>;
  if (key in obj) return obj[key];
  const wanted = key.toLowerCase();
  const match = Object.keys(obj).find((k) => k.toLowerCase() === wanted);
  return match === undefined ? undefined : obj[match];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
