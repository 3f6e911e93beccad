import { isIPv4, isIPv6 } from 'node:net';

const WILDCARD_TAGS = new Set(['*', 'any', 'internet']);

/**
 * The narrowest prefixes that count as a wildcard, /7 of IPv4 and /15 of IPv6 (a /8 or a /16 is still
 * a deliberate choice), as the number of addresses they hold: sources holding as many are "everyone".
 */
const WILDCARD_ADDRESSES = { 4: 1n << BigInt(32 - 7), 6: 1n << BigInt(128 - 15) } as const;

/** A service tag (`VirtualNetwork`, `Storage.WestEurope`): a name, not an address. */
const SERVICE_TAG = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;

/**
 * True when an NSG source prefix admits the whole internet or a slice of it too wide to be a
 * deliberate choice: `*`, `Any`, `Internet`, `0.0.0.0/0`, `::/0`, or a CIDR broader than /8 (IPv4)
 * or /16 (IPv6), IPv6's private ranges (unique local, link-local) aside. An IPv6 prefix is also
 * judged by the IPv4-mapped addresses it holds (`::ffff:0.0.0.0/96` is all of IPv4). A source that is
 * neither a service tag nor an address this code can read (`0.0.0.00/0`, `0/0`, a range) counts as a
 * wildcard: what cannot be judged is not left open.
 */
export function isWildcardSource(prefix: string): boolean {
  return isWildcardSourceSet([prefix]);
}

/**
 * True when a rule's sources admit the internet: one of them is a wildcard, or together, overlaps
 * counted once, they cover at least as many addresses as the narrowest wildcard prefix (a /7 of IPv4,
 * a /15 of IPv6). A wildcard cut into pieces (256 × /8) is still a wildcard; two /8s are a /7's worth.
 */
export function isWildcardSourceSet(prefixes: readonly string[]): boolean {
  const ranges: AddressRange[] = [];
  for (const prefix of prefixes) {
    const value = prefix.trim();
    if (WILDCARD_TAGS.has(value.toLowerCase())) return true;
    if (value === '' || SERVICE_TAG.test(value)) continue;
    const range = rangeOf(value);
    if (range === undefined) return true;
    if (range.family === 6 && PRIVATE_IPV6.some((p) => within(range, p))) continue;
    ranges.push(range);
    const mapped = mappedIpv4Of(range);
    if (mapped !== undefined) ranges.push(mapped);
  }
  return ([4, 6] as const).some(
    (family) => coveredAddresses(ranges.filter((r) => r.family === family)) >= WILDCARD_ADDRESSES[family],
  );
}

/** True for an IPv4 or IPv6 address or CIDR this code reads (strictly, as Node does). */
export function isReadableAddress(prefix: string): boolean {
  return rangeOf(prefix.trim()) !== undefined;
}

interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

/** The addresses a CIDR (or a bare address) names; undefined for a tag or anything malformed. */
function rangeOf(value: string): AddressRange | undefined {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const lengthText = slash < 0 ? undefined : value.slice(slash + 1);
  // Strict, like the address: no leading zeros (`/008`).
  if (lengthText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(lengthText)) return undefined;
  if (isIPv4(address)) {
    const length = lengthText === undefined ? 32 : Number(lengthText);
    return length <= 32 ? block(4, ipv4ToBigInt(address), length) : undefined;
  }
  if (isIPv6(address)) {
    const length = lengthText === undefined ? 128 : Number(lengthText);
    if (length > 128) return undefined;
    const value6 = ipv6ToBigInt(address);
    if (value6 === undefined) return undefined;
    return block(6, value6, length);
  }
  return undefined;
}

/** IPv4-mapped IPv6 addresses, `::ffff:0:0/96`. */
const MAPPED_FIRST = 0xffffn << 32n;
const MAPPED_LAST = MAPPED_FIRST + 0xffffffffn;

/** The IPv4 addresses an IPv6 range holds in their mapped form, as an IPv4 range. */
function mappedIpv4Of(range: AddressRange): AddressRange | undefined {
  if (range.family !== 6 || range.last < MAPPED_FIRST || range.first > MAPPED_LAST) return undefined;
  const first = (range.first > MAPPED_FIRST ? range.first : MAPPED_FIRST) - MAPPED_FIRST;
  const last = (range.last < MAPPED_LAST ? range.last : MAPPED_LAST) - MAPPED_FIRST;
  return { family: 4, first, last };
}

/** Unique local (fc00::/7) and link-local (fe80::/10): not reachable from the internet. */
const PRIVATE_IPV6: readonly AddressRange[] = [block(6, 0xfcn << 120n, 7), block(6, 0xfe8n << 116n, 10)];

function within(inner: AddressRange, outer: AddressRange): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

function block(family: 4 | 6, address: bigint, length: number): AddressRange {
  const bits = family === 4 ? 32 : 128;
  const size = 1n << BigInt(bits - length);
  const first = address - (address % size);
  return { family, first, last: first + size - 1n };
}

function coveredAddresses(ranges: readonly AddressRange[]): bigint {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let total = 0n;
  let end = -1n;
  for (const range of sorted) {
    if (range.last <= end) continue;
    total += range.last - (range.first > end ? range.first : end + 1n) + 1n;
    end = range.last;
  }
  return total;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(address: string): bigint | undefined {
  let text = address.split('%')[0]!;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = ipv4ToBigInt(tail[1]!);
    text = `${text.slice(0, -tail[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return undefined;
  const hextets = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...right];
  return hextets.reduce((acc, h) => (acc << 16n) + BigInt(parseInt(h, 16)), 0n);
}
