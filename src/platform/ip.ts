// IP addresses, prefixes and ASNs: validation, canonical text and sortable keys for both engines.
import ipaddr from 'ipaddr.js';

export interface ParsedIp {
  /** Canonical text: dotted quad, or lower-case compressed IPv6 (RFC 5952). */
  text: string;
  family: 4 | 6;
  /** Fixed-width hex key ('4'+8 or '6'+32 hex digits): sorts numerically within a family. */
  key: string;
  bytes: number[];
}

export interface ParsedPrefix {
  text: string;
  family: 4 | 6;
  network: ParsedIp;
  length: number;
  /** Network key + '/' + three-digit length: sorts by address then length. */
  key: string;
}

function hex(bytes: number[]): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Parses an IP address (no prefix length) or returns null. Rejects IPv4 shorthand like `10.1`. */
export function parseIp(input: string): ParsedIp | null {
  const s = String(input).trim();
  if (!s) return null;
  if (s.includes(':')) {
    if (!ipaddr.IPv6.isValid(s) || s.includes('%')) return null;
    const a = ipaddr.IPv6.parse(s);
    const bytes = a.toByteArray();
    return { text: a.toString(), family: 6, key: '6' + hex(bytes), bytes };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return null;
  const a = ipaddr.IPv4.parse(s);
  const bytes = a.toByteArray();
  return { text: a.toString(), family: 4, key: '4' + hex(bytes), bytes };
}

/** Parses `addr/len`. With strict, host bits must be zero; otherwise they are masked off. */
export function parsePrefix(input: string, opts: { strict?: boolean } = {}): ParsedPrefix | { error: string } {
  const s = String(input).trim();
  const slash = s.indexOf('/');
  if (slash < 0) return { error: 'must be a prefix like 192.0.2.0/24 or 2001:db8::/32' };
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip) return { error: 'is not a valid IPv4 or IPv6 prefix' };
  const max = ip.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return { error: `prefix length must be 0..${max}` };
  const length = Number(lenText);
  const masked = ip.bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  if (opts.strict && masked.some((b, i) => b !== ip.bytes[i])) {
    const fixed = fromBytes(masked);
    return { error: `has host bits set (did you mean ${fixed.text}/${length}?)` };
  }
  const network = fromBytes(masked);
  return {
    text: `${network.text}/${length}`,
    family: ip.family,
    network,
    length,
    key: `${network.key}/${String(length).padStart(3, '0')}`,
  };
}

function fromBytes(bytes: number[]): ParsedIp {
  return parseIp(ipaddr.fromByteArray(bytes).toString())!;
}

/** True when the address lies inside the prefix (same family). */
export function prefixContains(prefix: ParsedPrefix, ip: ParsedIp): boolean {
  if (prefix.family !== ip.family) return false;
  let bits = prefix.length;
  for (let i = 0; i < ip.bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip.bytes[i] & mask) !== prefix.network.bytes[i]) return false;
  }
  return true;
}

/** The key of an IP given as text (for filters and joins). */
export function ipKey(text: string): string | null {
  return parseIp(text)?.key ?? null;
}

export const ASN_MAX = 4294967295;

/** Parses an ASN given as a number, `65000`, `AS65000` or asdot `1.10`; null when invalid or out of range. */
export function parseAsn(input: unknown): number | null {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 && input <= ASN_MAX ? input : null;
  if (typeof input !== 'string') return null;
  const s = input.trim().replace(/^as/i, '');
  let m = /^(\d{1,10})$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    return n <= ASN_MAX ? n : null;
  }
  m = /^(\d{1,5})\.(\d{1,5})$/.exec(s);
  if (m) {
    const hi = Number(m[1]);
    const lo = Number(m[2]);
    return hi <= 65535 && lo <= 65535 ? hi * 65536 + lo : null;
  }
  return null;
}

/** Whether a string is a syntactically valid IRR AS-SET or ASN reference, `SOURCE::` prefix allowed. */
export function isIrrSetName(input: string): boolean {
  const s = input.trim();
  const m = /^(?:([A-Za-z0-9-]+)::)?(.+)$/.exec(s);
  if (!m) return false;
  const parts = m[2].split(':');
  return (
    parts.every((p) => /^AS-[A-Za-z0-9_-]+$/i.test(p) || /^AS\d{1,10}$/i.test(p)) &&
    parts.some((p) => /^AS-/i.test(p) || parts.length === 1)
  );
}
