// Parsers for IOS-XR NETCONF answers in the Cisco-IOS-XR-ipv4-bgp-oper model (neighbours of the default
// VRF and of every VRF, from one <get>), BGP NOTIFICATION codes in words (RFC 4271 §4.5, RFC 4486 Cease
// subcodes), and a readable XML layout for diffs.
import { parseIp } from '../../platform/ip.ts';
import { asArray, textOf, type XmlNode } from '../transports/netconf.ts';
import type { BgpState, FamilyCounts, PeerState } from '../driver.types.ts';

const STATES: Record<string, BgpState> = {
  'bgp-st-idle': 'idle',
  'bgp-st-connect': 'connect',
  'bgp-st-active': 'active',
  'bgp-st-opensent': 'opensent',
  'bgp-st-openconfirm': 'openconfirm',
  'bgp-st-estab': 'established',
  'bgp-st-closing': 'idle',
  'bgp-st-closing-sync': 'idle',
};

const NOTIFICATION: Record<number, [string, Record<number, string>]> = {
  1: ['Message Header Error', { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' }],
  2: [
    'OPEN Message Error',
    {
      1: 'Unsupported Version Number',
      2: 'Bad Peer AS',
      3: 'Bad BGP Identifier',
      4: 'Unsupported Optional Parameter',
      6: 'Unacceptable Hold Time',
      7: 'Unsupported Capability',
      11: 'Role Mismatch',
    },
  ],
  3: [
    'UPDATE Message Error',
    {
      1: 'Malformed Attribute List',
      2: 'Unrecognized Well-known Attribute',
      3: 'Missing Well-known Attribute',
      4: 'Attribute Flags Error',
      5: 'Attribute Length Error',
      6: 'Invalid ORIGIN Attribute',
      8: 'Invalid NEXT_HOP Attribute',
      9: 'Optional Attribute Error',
      10: 'Invalid Network Field',
      11: 'Malformed AS_PATH',
    },
  ],
  4: ['Hold Timer Expired', {}],
  5: ['Finite State Machine Error', {}],
  6: [
    'Cease',
    {
      1: 'Maximum Number of Prefixes Reached',
      2: 'Administrative Shutdown',
      3: 'Peer De-configured',
      4: 'Administrative Reset',
      5: 'Connection Rejected',
      6: 'Other Configuration Change',
      7: 'Connection Collision Resolution',
      8: 'Out of Resources',
      9: 'Hard Reset',
      10: 'BFD Down',
    },
  ],
  7: ['ROUTE-REFRESH Message Error', { 1: 'Invalid Message Length' }],
};

/** A BGP NOTIFICATION code/subcode in words ("Cease/Administrative Shutdown", "Hold Timer Expired"). */
export function notificationText(code: number, subcode: number): string {
  const entry = NOTIFICATION[code];
  if (!entry) return `NOTIFICATION ${code}/${subcode}`;
  const sub = entry[1][subcode];
  return sub ? `${entry[0]}/${sub}` : subcode ? `${entry[0]}/subcode ${subcode}` : entry[0];
}

const AF: Record<string, string> = {
  ipv4: 'ipv4-unicast',
  ipv6: 'ipv6-unicast',
  'ipv4-multicast': 'ipv4-multicast',
  'ipv6-multicast': 'ipv6-multicast',
  'vp-nv4': 'l3vpn-ipv4-unicast',
  'vp-nv6': 'l3vpn-ipv6-unicast',
  'l2vpn-evpn': 'l2vpn-evpn',
};

function num(v: unknown): number | null {
  const t = textOf(v);
  return t !== null && /^\d+$/.test(t) ? Number(t) : null;
}

function neighbor(n: XmlNode, vrf: string | null, now: Date): PeerState | null {
  const ip = parseIp(textOf(n['neighbor-address']) ?? '')?.text;
  if (!ip) return null;
  const admin = textOf(n['is-administratively-shut-down']) === 'true';
  const maxPrefix = textOf(n['is-neighbor-max-prefix-shutdown']) === 'true';
  const raw = STATES[textOf(n['connection-state']) ?? ''] ?? 'unknown';
  const state: BgpState = admin ? 'admin-down' : raw;
  const families: FamilyCounts[] = asArray(n['af-data'] as XmlNode | XmlNode[]).map((af) => {
    const accepted = num(af['prefixes-accepted']);
    const denied = num(af['prefixes-denied']);
    const name = textOf(af['af-name']) ?? '';
    return {
      afi_safi: AF[name] ?? name,
      received: accepted !== null ? accepted + (denied ?? 0) : null,
      accepted,
      advertised: num(af['prefixes-advertised']),
    };
  });
  const total = (vals: (number | null)[]) => {
    const known = vals.filter((x): x is number => x !== null);
    return known.length ? known.reduce((a, b) => a + b, 0) : null;
  };
  const established = num(n['connection-established-time']);
  const dropped = num(n['time-since-connection-last-dropped']);
  const ago = raw === 'established' ? established : dropped;
  const local = n['connection-local-address'] as XmlNode | undefined;
  const localIp = local
    ? parseIp(textOf(local['ipv4-address']) ?? textOf(local['ipv6-address']) ?? '')?.text
    : undefined;
  const code = num(n['last-notify-error-code']) ?? 0;
  const sub = num(n['last-notify-error-subcode']) ?? 0;
  let lastError: string | null = null;
  if (admin) lastError = 'Cease/Administrative Shutdown';
  else if (maxPrefix) lastError = 'max-prefix exceeded';
  else if (code) lastError = notificationText(code, sub);
  return {
    vrf,
    peer_ip: ip,
    remote_asn: num(n['remote-as']),
    local_asn: num(n['local-as']),
    local_ip: localIp && localIp !== '0.0.0.0' && localIp !== '::' ? localIp : null,
    description: textOf(n.description) || null,
    state,
    admin_down: admin,
    since: ago ? new Date(now.getTime() - ago * 1000).toISOString() : null,
    prefixes_received: total(families.map((f) => f.received)),
    prefixes_accepted: total(families.map((f) => f.accepted)),
    prefixes_advertised: total(families.map((f) => f.advertised)),
    families,
    last_error: lastError,
  };
}

/** Parses the <rpc-reply> body of the oper <get> into one state per neighbour (all instances, all VRFs). */
export function parseXrNeighbors(body: XmlNode, now = new Date()): PeerState[] {
  const out: PeerState[] = [];
  const bgp = ((body.data as XmlNode | undefined)?.bgp ?? {}) as XmlNode;
  for (const inst of asArray((bgp.instances as XmlNode | undefined)?.instance as XmlNode | XmlNode[])) {
    const active = (inst['instance-active'] ?? {}) as XmlNode;
    const dv = active['default-vrf'] as XmlNode | undefined;
    for (const n of asArray((dv?.neighbors as XmlNode | undefined)?.neighbor as XmlNode | XmlNode[])) {
      const p = neighbor(n, null, now);
      if (p) out.push(p);
    }
    for (const v of asArray((active.vrfs as XmlNode | undefined)?.vrf as XmlNode | XmlNode[])) {
      const name = textOf(v['vrf-name']);
      for (const n of asArray((v.neighbors as XmlNode | undefined)?.neighbor as XmlNode | XmlNode[])) {
        const p = neighbor(n, name && name !== 'default' ? name : null, now);
        if (p) out.push(p);
      }
    }
  }
  return out;
}

/** The XML between <data> and </data> of a <get-config> reply (raw, namespaces kept). */
export function innerData(replyXml: string): string {
  const m = /<(?:\w+:)?data\b[^>]*>([\s\S]*)<\/(?:\w+:)?data>/.exec(replyXml);
  return m ? m[1] : '';
}

/** One element per line, two spaces per level: a stable layout so a line diff reads like a config diff. */
export function prettyXml(xml: string): string {
  const tokens = xml
    .replace(/>\s+</g, '><')
    .trim()
    .split(/(?=<)|(?<=>)/)
    .filter((t) => t.trim());
  const lines: string[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith('</')) {
      depth = Math.max(0, depth - 1);
      lines.push(`${'  '.repeat(depth)}${t}`);
    } else if (t.startsWith('<') && !t.endsWith('/>') && !t.startsWith('<?') && !t.startsWith('<!')) {
      // <a>text</a> stays on one line.
      if (tokens[i + 1] !== undefined && !tokens[i + 1].startsWith('<') && tokens[i + 2]?.startsWith('</')) {
        lines.push(`${'  '.repeat(depth)}${t}${tokens[i + 1]}${tokens[i + 2]}`);
        i += 2;
      } else {
        lines.push(`${'  '.repeat(depth)}${t}`);
        depth++;
      }
    } else lines.push(`${'  '.repeat(depth)}${t.trim()}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
