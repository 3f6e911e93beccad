import { createHash } from 'node:crypto';

/**
 * The role definition's GUID, derived from role name and scope (a name-based UUID, version 5
 * layout), so that two runs — or a run that cannot see the previous one's write yet — never
 * create two roles.
 */
export function roleDefinitionGuid(roleName: string, scope: string): string {
  const bytes = createHash('sha1')
    .update(`jit-guardrail|${roleName.toLowerCase()}|${scope.replace(/\/+$/, '').toLowerCase()}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
