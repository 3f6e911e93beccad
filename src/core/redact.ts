const SECRETS: [RegExp, string][] = [
  [/([?&]sig=)[^&\s"'<>]+/gi, '$1REDACTED'],
  [/([?&]code=)[^&\s"'<>]+/gi, '$1REDACTED'],
  [/(AccountKey=)[^;\s"']+/gi, '$1REDACTED'],
  [/(SharedAccessSignature=)[^;\s"']+/gi, '$1REDACTED'],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, '$1REDACTED'],
];

/** Removes what must never reach a log: webhook signatures, function keys, account keys, bearer tokens. */
export function redact(text: string): string {
  return SECRETS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
