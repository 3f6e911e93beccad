/**
 * Defender for Cloud names the rules it writes `SecurityCenter-JITRule…` (before May 2023) or
 * `MicrosoftDefenderForCloud-JITRule…` (since). Allow rules continue with `-<int>-<guid>`, the standing
 * deny rules with `_<int>_<guid>`; the number and GUID are opaque.
 */
const JIT_RULE_NAME = /^(securitycenter|microsoftdefenderforcloud)-jitrule[-_]/i;

export function isJitRuleName(name: string): boolean {
  return JIT_RULE_NAME.test(name);
}

const DESCRIPTION_VM = /\bof VM '([^']+)'/i;

/** The VM name that JIT puts in a rule description (`… for policy 'default' of VM 'vm1'.`). */
export function vmNameFromDescription(description: string | undefined): string | undefined {
  if (description === undefined) return undefined;
  return DESCRIPTION_VM.exec(description)?.[1];
}
