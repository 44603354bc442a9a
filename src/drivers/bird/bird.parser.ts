// Parses BIRD 2's `show protocols all` (control socket replies or birdc output) into neighbour states.
import { parseIp } from '../../platform/ip.ts';
import type { BgpState, FamilyCounts, PeerState } from '../driver.types.ts';
import type { BirdLine } from '../transports/bird-socket.ts';

// BIRD says Passive while it waits for a passive-mode peer to connect: to a user that is Active.
const STATES: Record<string, BgpState> = {
  idle: 'idle',
  connect: 'connect',
  active: 'active',
  passive: 'active',
  opensent: 'opensent',
  openconfirm: 'openconfirm',
  established: 'established',
  close: 'idle',
  down: 'idle',
};

// BIRD's channel names → Peerdesk afi_safi names.
const FAMILIES: Record<string, string> = {
  ipv4: 'ipv4-unicast',
  ipv6: 'ipv6-unicast',
  'ipv4-mc': 'ipv4-multicast',
  'ipv6-mc': 'ipv6-multicast',
  'vpn4-mpls': 'ipv4-vpn',
  'vpn6-mpls': 'ipv6-vpn',
  flow4: 'ipv4-flowspec',
  flow6: 'ipv6-flowspec',
  'ipv4-mpls': 'ipv4-labeled-unicast',
  'ipv6-mpls': 'ipv6-labeled-unicast',
};

// BIRD's words for Cease subcodes (RFC 4486) → the NOTIFICATION names FRR and the RFC use.
const CEASE: Record<string, string> = {
  'maximum number of prefixes reached': 'Maximum Number of Prefixes Reached',
  'administrative shutdown': 'Administrative Shutdown',
  'peer de-configured': 'Peer De-configured',
  'administrative reset': 'Administrative Reset',
  'connection rejected': 'Connection Rejected',
  'other configuration change': 'Other Configuration Change',
  'connection collision resolution': 'Connection Collision Resolution',
  'out of resources': 'Out of Resources',
  'hard reset': 'Hard Reset',
};

/** BIRD's `Last error:` text in Peerdesk's words ("Cease/Administrative Shutdown (received)", "max-prefix exceeded", …). */
export function birdDownReason(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  const m = /^(Received|BGP Error|Error|Socket|Automatic shutdown|Kernel error):\s*(.*)$/.exec(t);
  const kind = m?.[1] ?? '';
  const body = (m?.[2] ?? t).trim();
  if (kind === 'Socket') return `peer unreachable (${body})`;
  if (kind === 'Automatic shutdown' && /route limit/i.test(body)) return 'max-prefix exceeded';
  const dir = kind === 'Received' ? ' (received)' : kind === 'BGP Error' ? ' (sent)' : '';
  const [head, ...rest] = body.split(/:\s+/);
  const detail = rest.length ? `: ${rest.join(': ')}` : '';
  const cease = CEASE[head.toLowerCase()];
  if (cease)
    return cease === 'Maximum Number of Prefixes Reached' && kind !== 'Received'
      ? 'max-prefix exceeded'
      : `Cease/${cease}${dir}${detail}`;
  if (/^hold timer expired$/i.test(head)) return `Hold Timer Expired${dir}`;
  return t;
}

/**
 * BIRD prints protocol times in the router's local time ("2026-11-30 03:30:01", "03:30:01.123" for
 * today, or a date). Read them as the Peerdesk server's local time (right for local sockets).
 */
export function birdTimeToIso(text: string, now = new Date()): string | null {
  const t = text.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?$/.exec(t);
  if (m) {
    const d = new Date(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
      Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)),
    );
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(t);
  if (m) {
    const d = new Date(
      now.getFullYear(),
      now.getMonth(),
      now.getDate(),
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number((m[4] ?? '0').padEnd(3, '0').slice(0, 3)),
    );
    // A time of day later than now belongs to yesterday.
    if (d.getTime() > now.getTime() + 60_000) d.setDate(d.getDate() - 1);
    return d.toISOString();
  }
  return null;
}

/** A BGP protocol of BIRD with the neighbour it runs. */
export interface BirdBgpProtocol {
  /** BIRD's protocol name (what `disable`/`enable` take). */
  name: string;
  peer: PeerState;
}

/** Reply line text: the code prefix is gone; detail lines stay indented as BIRD sends them. */
function lineText(l: string | BirdLine): string {
  if (typeof l !== 'string') return l.text;
  // `1002-…` / `0000 …` (birdc -v output); plain birdc output has no code.
  const c = l.charCodeAt(4);
  return l.length >= 5 && (c === 45 || c === 32) && /^\d{4}/.test(l) ? l.slice(5) : l;
}

// Address text → canonical text (the same neighbours come back every poll: parse each once).
const ipText = new Map<string, string | null>();
function canonicalIp(text: string): string | null {
  let c = ipText.get(text);
  if (c === undefined) {
    c = parseIp(text)?.text ?? null;
    if (ipText.size >= 100_000) ipText.clear();
    ipText.set(text, c);
  }
  return c;
}

const PROTOCOL_ROW =
  /^(\S+)\s+(\S+)\s+(\S+)\s+(up|down|start|flush|stop)\s+(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(.*)$/;
const ROUTES = /^(\d+) imported,(?: (\d+) filtered,)? (\d+) exported/;

/** The first word of a value (`Neighbor address: 192.0.2.1%eth0` → up to a space or `%`). */
function firstWord(v: string, stopAtPercent = false): string {
  let i = 0;
  while (i < v.length) {
    const ch = v.charCodeAt(i);
    if (ch === 32 || ch === 9 || (stopAtPercent && ch === 37)) break;
    i++;
  }
  return v.slice(0, i);
}

/** Whether text[i, end) starts with a reply code: four digits, then `-` or ` `. */
function codedAt(text: string, i: number, end: number): boolean {
  if (end - i < 5) return false;
  const sep = text.charCodeAt(i + 4);
  return (
    (sep === 45 || sep === 32) &&
    isDigit(text.charCodeAt(i)) &&
    isDigit(text.charCodeAt(i + 1)) &&
    isDigit(text.charCodeAt(i + 2)) &&
    isDigit(text.charCodeAt(i + 3))
  );
}
const isDigit = (c: number) => c >= 48 && c <= 57;

/** Parses `show protocols all` (reply lines, or lines of birdc output) into the BGP protocols with their neighbour state. */
export function parseBirdBgpProtocols(lines: (string | BirdLine)[], now = new Date()): BirdBgpProtocol[] {
  // Each line's text as a continuation line (one leading space) of one reply text.
  return parseBirdBgpProtocolsText(lines.map((l) => ` ${lineText(l)}`).join('\n'), now);
}

/**
 * Parses the text of a `show protocols all` reply as BIRD sends it (coded lines and continuation
 * lines: the control socket, `birdc -v`; lines without a code are read as birdc prints them) into
 * the BGP protocols with their neighbour state. One pass over the text: only a protocol's row and
 * the detail lines Peerdesk reads are cut out of it (a poll reads it for every router every time).
 */
export function parseBirdBgpProtocolsText(reply: string, now = new Date()): BirdBgpProtocol[] {
  const out: BirdBgpProtocol[] = [];
  type Cur = {
    name: string;
    peer: PeerState;
    tableState: string;
    bgpState: string | null;
    message: string | null;
    channels: { name: string; imported: number; filtered: number; exported: number }[];
  };
  let cur: Cur | null = null;
  let channel: string | null = null;
  // Every protocol started at the same moment prints the same Since: convert each text once.
  const times = new Map<string, string | null>();
  const flush = () => {
    if (!cur) return;
    const c: Cur = cur;
    cur = null;
    if (!c.peer.peer_ip) return;
    const families: FamilyCounts[] = c.channels.map((ch) => ({
      afi_safi: FAMILIES[ch.name] ?? ch.name,
      received: ch.imported + ch.filtered,
      accepted: ch.imported,
      advertised: ch.exported,
    }));
    const total = (k: 'received' | 'accepted' | 'advertised') =>
      families.length ? families.reduce((a, f) => a + (f[k] ?? 0), 0) : null;
    // A BGP protocol is `down` only when disabled (config `disabled` or the `disable` command).
    const adminDown = c.tableState === 'down';
    const state: BgpState = adminDown
      ? 'admin-down'
      : c.bgpState
        ? (STATES[c.bgpState.toLowerCase()] ?? 'unknown')
        : c.tableState === 'up'
          ? 'established'
          : 'unknown';
    // The `Message:` of a disabled protocol is the operator's shutdown message (`disable NAME "…"`).
    const lastError = adminDown ? `Administrative shutdown${c.message ? `: "${c.message}"` : ''}` : c.peer.last_error;
    out.push({
      name: c.name,
      peer: {
        ...c.peer,
        last_error: lastError,
        state,
        admin_down: adminDown,
        families,
        prefixes_received: total('received'),
        prefixes_accepted: total('accepted'),
        prefixes_advertised: total('advertised'),
      },
    });
  };
  const n = reply.length;
  for (let start = 0; start < n;) {
    let end = reply.indexOf('\n', start);
    if (end < 0) end = n;
    const lineStart = start;
    start = end + 1;
    if (end > lineStart && reply.charCodeAt(end - 1) === 13) end--;
    // Where the line's text starts: after a code, after the one space of a continuation line, or at
    // the start of a line without a code (birdc's own output).
    const p = codedAt(reply, lineStart, end)
      ? lineStart + 5
      : reply.charCodeAt(lineStart) === 32
        ? lineStart + 1
        : lineStart;
    if (p >= end) continue;
    if (reply.charCodeAt(p) !== 32) {
      flush();
      channel = null;
      // Protocol row: Name Proto Table State Since Info (Since is a date and/or time); only BGP rows matter.
      const bgp = reply.indexOf(' BGP ', p);
      if (bgp < 0 || bgp >= end) continue;
      const row = PROTOCOL_ROW.exec(reply.slice(p, end));
      if (!row || row[2] !== 'BGP') continue;
      let since = times.get(row[5]!);
      if (since === undefined) times.set(row[5]!, (since = birdTimeToIso(row[5]!, now)));
      cur = {
        name: row[1]!,
        tableState: row[4]!,
        bgpState: null,
        message: null,
        channels: [],
        peer: {
          vrf: null,
          peer_ip: '',
          remote_asn: null,
          local_asn: null,
          local_ip: null,
          description: null,
          state: 'unknown',
          admin_down: false,
          since,
          prefixes_received: null,
          prefixes_accepted: null,
          prefixes_advertised: null,
          families: [],
          last_error: null,
        },
      };
      continue;
    }
    if (!cur) continue;
    const c: Cur = cur;
    // A detail line `Key: value` (indented): only the keys read below are cut out of the text.
    let k = p;
    while (k < end && reply.charCodeAt(k) <= 32) k++;
    const key = detailKey(reply, k, end);
    if (key === null) continue;
    if (key === 'Channel') {
      channel = firstWord(reply.slice(k + 8, end).trimStart());
      continue;
    }
    const value = reply.slice(k + key.length + 1, end).trim();
    switch (key) {
      case 'BGP state':
        if (value) c.bgpState = firstWord(value);
        break;
      case 'Neighbor address': {
        const ip = firstWord(value, true);
        if (ip) c.peer.peer_ip = canonicalIp(ip) ?? '';
        break;
      }
      case 'Neighbor AS':
        if (/^\d+/.test(value)) c.peer.remote_asn = parseInt(value, 10);
        break;
      case 'Local AS':
        if (/^\d+/.test(value)) c.peer.local_asn = parseInt(value, 10);
        break;
      case 'Source address':
        if (value) c.peer.local_ip = canonicalIp(firstWord(value));
        break;
      case 'Description':
        if (value) c.peer.description = value;
        break;
      case 'Last error':
        if (value) c.peer.last_error = birdDownReason(value);
        break;
      case 'Message':
        if (value) c.message = value;
        break;
      case 'VRF':
        if (value) {
          const v = firstWord(value);
          c.peer.vrf = v === 'default' ? null : v;
        }
        break;
      case 'Routes': {
        const m = channel ? ROUTES.exec(value) : null;
        if (m)
          c.channels.push({
            name: channel!,
            imported: Number(m[1]),
            filtered: Number(m[2] ?? 0),
            exported: Number(m[3]),
          });
        break;
      }
    }
  }
  flush();
  return out;
}

type DetailKey =
  | 'BGP state'
  | 'Neighbor address'
  | 'Neighbor AS'
  | 'Local AS'
  | 'Source address'
  | 'Description'
  | 'Last error'
  | 'Message'
  | 'VRF'
  | 'Routes';

/**
 * Which of the keys read above the detail line text[k, end) has (`Key:` at k; a key is the text before
 * the line's first colon), `Channel` for a `Channel NAME` line (no colon), or null for every other line
 * (most of them: filters, route change stats, timers, …), told by the first character.
 */
function detailKey(text: string, k: number, end: number): DetailKey | 'Channel' | null {
  switch (text.charCodeAt(k)) {
    case 66: // B
      return keyAt(text, k, end, 'BGP state');
    case 67: {
      // C
      if (!text.startsWith('Channel ', k)) return null;
      const colon = text.indexOf(':', k);
      return colon < 0 || colon >= end ? 'Channel' : null;
    }
    case 68: // D
      return keyAt(text, k, end, 'Description');
    case 76: // L
      return keyAt(text, k, end, 'Local AS') ?? keyAt(text, k, end, 'Last error');
    case 77: // M
      return keyAt(text, k, end, 'Message');
    case 78: // N
      return keyAt(text, k, end, 'Neighbor address') ?? keyAt(text, k, end, 'Neighbor AS');
    case 82: // R
      return keyAt(text, k, end, 'Routes');
    case 83: // S
      return keyAt(text, k, end, 'Source address');
    case 86: // V
      return keyAt(text, k, end, 'VRF');
    default:
      return null;
  }
}

/** `key` when text[k, end) starts with `key:`, else null. */
function keyAt(text: string, k: number, end: number, key: DetailKey): DetailKey | null {
  const colon = k + key.length;
  return colon < end && text.charCodeAt(colon) === 58 && text.startsWith(key, k) ? key : null;
}

/** Parses `show protocols all` into one state per BGP neighbour. */
export function parseBirdProtocols(lines: (string | BirdLine)[], now = new Date()): PeerState[] {
  return parseBirdBgpProtocols(lines, now).map((p) => p.peer);
}
