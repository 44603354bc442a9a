// Which network addresses outbound requests may reach: only public unicast, plus ranges an admin allows.
import ipaddr from 'ipaddr.js';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** A parsed CIDR range (`10.0.0.0/8`, `2001:db8::/32`; a bare address means a single host). */
export interface Cidr {
  addr: Addr;
  bits: number;
  text: string;
}

/** Parses `ADDR/LEN` or a bare address into a range, or null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const s = text.trim();
  try {
    if (s.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(s);
      return { addr, bits, text: s };
    }
    if (!ipaddr.isValid(s)) return null;
    const addr = ipaddr.parse(s);
    return { addr, bits: addr.kind() === 'ipv4' ? 32 : 128, text: s };
  } catch {
    return null;
  }
}

/** Parses a list of CIDR texts, ignoring blanks; throws on an invalid entry. */
export function parseCidrList(list: string[] | string | undefined): Cidr[] {
  const items = typeof list === 'string' ? list.split(',') : (list ?? []);
  const out: Cidr[] = [];
  for (const item of items) {
    if (!item.trim()) continue;
    const c = parseCidr(item);
    if (!c) throw new Error(`"${item}" is not a CIDR`);
    out.push(c);
  }
  return out;
}

// IPv6 ranges that embed an IPv4 address (NAT64, 6to4) are judged by that address.
function embeddedV4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (a.isIPv4MappedAddress()) return a.toIPv4Address();
  const b = a.toByteArray();
  const range = a.range();
  if (range === 'rfc6052' || range === 'rfc6145') return new ipaddr.IPv4(b.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(b.slice(2, 6));
  return null;
}

function inList(a: Addr, allow: Cidr[]): boolean {
  return allow.some((c) => c.addr.kind() === a.kind() && a.match(c.addr, c.bits));
}

/**
 * Why an address may not be reached (loopback, private, link-local and metadata, CGNAT, multicast,
 * unspecified, reserved, …), or null when it is public unicast or inside an allowed range.
 * IPv4-mapped and IPv4-embedding IPv6 addresses are judged by their IPv4 address.
 */
export function blockedReason(address: string, allow: Cidr[] = []): string | null {
  let a: Addr;
  try {
    // ipaddr.parse also accepts odd IPv4 forms (0x7f000001, 2130706433, 127.1): they are judged by value.
    a = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return 'not an IP address';
  }
  if (inList(a, allow)) return null;
  if (a.kind() === 'ipv6') {
    const v4 = embeddedV4(a as ipaddr.IPv6);
    if (v4) {
      if (inList(v4, allow)) return null;
      const r = v4.range();
      return r === 'unicast' ? null : `${r} address (embedded in IPv6)`;
    }
  }
  const range = a.range();
  return range === 'unicast' ? null : `${range} address`;
}
