import { isIPv4, isIPv6 } from 'node:net';

const WILDCARD_TAGS = new Set(['*', 'any', 'internet']);

/** Widest prefix length that still counts as specific: anything broader opens the VM to "everyone". */
const NARROWEST_WILDCARD_IPV4 = 8;
const NARROWEST_WILDCARD_IPV6 = 16;

/**
 * True when an NSG source prefix admits the whole internet or a slice of it too wide to be a
 * deliberate choice: `*`, `Any`, `Internet`, `0.0.0.0/0`, `::/0`, or a CIDR broader than /8 (IPv4)
 * or /16 (IPv6).
 */
export function isWildcardSource(prefix: string): boolean {
  const value = prefix.trim();
  if (WILDCARD_TAGS.has(value.toLowerCase())) return true;
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const address = value.slice(0, slash);
  const lengthText = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return false;
  const length = Number(lengthText);
  if (isIPv4(address)) return length <= 32 && length < NARROWEST_WILDCARD_IPV4;
  if (isIPv6(address)) return length <= 128 && length < NARROWEST_WILDCARD_IPV6;
  return false;
}
