// Test data through the real write path: each factory POSTs to the API as admin (the same validation,
// invariants and change log as a user's request) and returns the created row as the API presents it.
// Defaults are valid and unique per call; pass overrides for what the test is about, e.g.
//   const s = await session(t, { peer_ip: '80.81.192.10', network: lan.id });
// A refused create throws with the status and the problem body, so a factory never hides an error.
import { createToken } from '../../src/auth/auth.service.ts';
import type { TestApp } from './app.ts';

/** A created object as the API returns it. */
export type Created = Record<string, any>;
type Overrides = Record<string, unknown>;

let seq = 0;
/** A number unique in this process (names, ASNs and addresses derive from it). */
const next = () => ++seq;

/** POSTs `body` to /api/PATH/ and returns the 201 body; anything else throws with the answer. */
export async function create(t: TestApp, path: string, body: unknown): Promise<Created> {
  const r = await t.api('POST', `/api/${path}/`, body);
  if (r.status !== 201) throw new Error(`factory: POST /api/${path}/ answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The n-th address of a prefix (n = 1: the first host), IPv4 or IPv6. */
export function hostIn(prefix: string, n: number): string {
  const [net, len] = prefix.split('/') as [string, string];
  if (net.includes(':')) {
    const groups = expand6(net).map((g) => BigInt(parseInt(g, 16)));
    let v = groups.reduce((a, g) => (a << 16n) | g, 0n) + BigInt(n);
    const out: string[] = [];
    for (let i = 0; i < 8; i++, v >>= 16n) out.unshift((v & 0xffffn).toString(16));
    return compress6(out);
  }
  const v = net.split('.').reduce((a, o) => a * 256 + Number(o), 0) + n;
  if (Number(len) < 32 && n >= 2 ** (32 - Number(len))) throw new Error(`${prefix} has no host ${n}`);
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}

function expand6(a: string): string[] {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
}

function compress6(groups: string[]): string {
  // The longest run of zero groups (two or more) becomes '::', as in RFC 5952.
  let best = [-1, 0];
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best[1]! && j - i > 1) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best[0]! < 0) return groups.join(':');
  return `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0]! + best[1]!).join(':')}`;
}

/** A relationship (session type). Default name "Relationship N". */
export function relationship(t: TestApp, o: Overrides = {}): Promise<Created> {
  return create(t, 'relationships', { name: `Relationship ${next()}`, ...o });
}

/** A peer ASN. Default: a private 32-bit ASN (4200000000 + N) named "Peer N". */
export function peerAsn(t: TestApp, o: Overrides = {}): Promise<Created> {
  const n = next();
  return create(t, 'peer-asns', { asn: 4_200_000_000 + n, name: `Peer ${n}`, ...o });
}

/** A platform (admin only). Default driver frr, name "<driver> N". */
export function platform(t: TestApp, o: Overrides = {}): Promise<Created> {
  const driver = (o.driver as string | undefined) ?? 'frr';
  return create(t, 'platforms', { name: `${driver} ${next()}`, driver, ...o });
}

/**
 * A router, AS64500, router-id 192.0.2.N. `platform` takes a platform id, or a driver name to create
 * a platform with that driver first (`router(t, { platform: 'bird2' })`).
 */
export async function router(t: TestApp, o: Overrides & { platform?: number | string | null } = {}): Promise<Created> {
  const n = next();
  const { platform: p, ...rest } = o;
  const platformId = typeof p === 'string' ? (await platform(t, { driver: p })).id : p;
  return create(t, 'routers', {
    name: `rt${n}`,
    local_asn: 64500,
    router_id: `192.0.2.${(n % 254) + 1}`,
    ...(platformId !== undefined ? { platform: platformId } : {}),
    ...rest,
  });
}

/** A fabric (an IXP unless `type` says otherwise), named "IX N". */
export function fabric(t: TestApp, o: Overrides = {}): Promise<Created> {
  return create(t, 'fabrics', { name: `IX ${next()}`, ...o });
}

/** A peering network (LAN) of a fabric; creates the fabric when none is given. Default 198.51.100.0/24. */
export async function network(t: TestApp, o: Overrides & { fabric?: number } = {}): Promise<Created> {
  const fabricId = o.fabric ?? (await fabric(t)).id;
  return create(t, 'peering-networks', { name: `LAN ${next()}`, prefix: '198.51.100.0/24', ...o, fabric: fabricId });
}

/**
 * Our connection to a network: creates the router and the network when not given; the address is the
 * network's first host (ipv4_address or ipv6_address by the network's family) unless given.
 */
export async function connection(
  t: TestApp,
  o: Overrides & { router?: number; network?: number } = {},
): Promise<Created> {
  const routerId = o.router ?? (await router(t)).id;
  const net = o.network ? (await t.api('GET', `/api/peering-networks/${o.network}/`)).body : await network(t);
  const addr = net.family === 6 ? { ipv6_address: hostIn(net.prefix, 1) } : { ipv4_address: hostIn(net.prefix, 1) };
  return create(t, 'peering-connections', {
    interface: `et-0/0/${next()}`,
    ...addr,
    ...o,
    router: routerId,
    network: net.id,
  });
}

/** A BGP peer: creates the router when none is given. Default peer 203.0.113.N, remote AS 4200000000 + N. */
export async function bgpPeer(t: TestApp, o: Overrides & { router?: number } = {}): Promise<Created> {
  const n = next();
  const routerId = o.router ?? (await router(t)).id;
  return create(t, 'bgp-peers', {
    peer_ip: `203.0.113.${(n % 254) + 1}`,
    remote_asn: 4_200_000_000 + n,
    ...o,
    router: routerId,
  });
}

/**
 * A peering session with everything it needs: the peer ASN (created unless `asn` names one that
 * exists), the BGP peer on `router` (created unless given) at `peer_ip` (default: a host from the 10th
 * of the network when there is one, else 203.0.113.N), and the session itself with the remaining overrides
 * (`network`, `relationship`, `service_reference`, ...). Pass `bgp_peer` to wrap an existing peer.
 */
export async function session(
  t: TestApp,
  o: Overrides & {
    router?: number;
    network?: number;
    asn?: number;
    peer_ip?: string;
    source_ip?: string;
    bgp_peer?: number;
  } = {},
): Promise<Created> {
  const { router: routerId, asn, peer_ip, source_ip, bgp_peer, ...rest } = o;
  let peerId = bgp_peer;
  if (peerId === undefined) {
    const n = next();
    const remote = asn ?? 4_200_000_000 + n;
    const known = (await t.api('GET', `/api/peer-asns/?asn=${remote}`)).body.count;
    if (!known) await peerAsn(t, { asn: remote, name: `Peer ${remote}` });
    const net = o.network ? (await t.api('GET', `/api/peering-networks/${o.network}/`)).body : null;
    const ip = peer_ip ?? (net ? hostIn(net.prefix, 10 + (n % 200)) : `203.0.113.${(n % 254) + 1}`);
    peerId = (
      await bgpPeer(t, { router: routerId, peer_ip: ip, remote_asn: remote, ...(source_ip ? { source_ip } : {}) })
    ).id;
  }
  return create(t, 'peering-sessions', { bgp_peer: peerId, ...rest });
}

/** A router config template (admin only): a strict Jinja2 body naming the router. */
export function template(t: TestApp, o: Overrides = {}): Promise<Created> {
  return create(t, 'templates', { name: `tpl-${next()}`, body: 'hostname {{ router.name }}\n', ...o });
}

/**
 * A user with a role (admin only) and an API token of theirs (created by the auth service, as
 * `peerdesk token create` does). Call as them with `t.api(..., { role: 'anonymous', headers: u.headers })`.
 */
export async function user(
  t: TestApp,
  role: 'viewer' | 'operator' | 'admin' = 'viewer',
  o: Overrides = {},
): Promise<Created & { token: string; headers: Record<string, string> }> {
  const n = next();
  const row = await create(t, 'users', { username: `user${n}`, password: `password-${n}-long`, role, ...o });
  const token = (await createToken(t.tdb.db, Number(row.id))).key;
  return { ...row, token, headers: { authorization: `Token ${token}` } };
}
