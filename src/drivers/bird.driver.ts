// BIRD 2 driver: reads `show protocols all` over BIRD's control socket (the protocol birdc speaks:
// lines prefixed with a four-digit code, `-` for continuation, a space for more of the same).
import { createConnection } from 'node:net';
import { parseIp } from '../platform/ip.ts';
import { UpstreamError } from '../platform/errors.ts';
import type { BgpState, PeerState, RouterDriver, RouterTarget } from './driver.types.ts';

const TIMEOUT_MS = 10_000;

/** Sends one command to a BIRD control socket and returns the reply lines without their codes. */
export function birdCommand(socketPath: string, command: string, signal?: AbortSignal): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    let greeted = false;
    const lines: string[] = [];
    const fail = (msg: string) => {
      sock.destroy();
      reject(new UpstreamError(`BIRD at ${socketPath}: ${msg}`, 'router_unreachable'));
    };
    const timer = setTimeout(() => fail(`no complete answer within ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
    const onAbort = () => fail('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.setEncoding('utf8');
    sock.on('error', (err) => fail(err.message));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^(\d{4})([ -])(.*)$/.exec(line);
        if (!greeted) {
          if (m?.[1] === '0001') {
            greeted = true;
            sock.write(`${command}\n`);
          }
          continue;
        }
        if (m) {
          const code = Number(m[1]);
          if (code >= 8000) {
            clearTimeout(timer);
            sock.destroy();
            return reject(new UpstreamError(`BIRD refused "${command}": ${m[3]}`, 'router_error'));
          }
          lines.push(m[3]);
          // A space after the code ends the reply (0000 is the usual terminator).
          if (m[2] === ' ') {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            sock.end('quit\n');
            return resolve(lines);
          }
        } else lines.push(line.startsWith(' ') ? line.slice(1) : line);
      }
    });
  });
}

const STATE: Record<string, BgpState> = { established: 'established', idle: 'idle', connect: 'connect', active: 'active', opensent: 'opensent', openconfirm: 'openconfirm', down: 'idle' };

/** Turns BIRD's "Since" column (time of day, date, or ISO) into an ISO timestamp. */
function sinceToIso(since: string, now = new Date()): string | null {
  const t = since.trim();
  let m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(t);
  if (m) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), Number(m[1]), Number(m[2]), Number(m[3]), Number((m[4] ?? '0').padEnd(3, '0').slice(0, 3))));
    if (d.getTime() > now.getTime() + 60_000) d.setUTCDate(d.getUTCDate() - 1);
    return d.toISOString();
  }
  m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?/.exec(t);
  if (m) return new Date(`${m[1]}T${m[2] ?? '00:00:00'}Z`).toISOString();
  return null;
}

/** Parses `show protocols all` into one state per BGP protocol. */
export function parseBirdProtocols(lines: string[], now = new Date()): PeerState[] {
  const out: PeerState[] = [];
  let cur: (PeerState & { family?: number; channels: Record<string, { imported: number; exported: number; filtered: number }> }) | null = null;
  let channel: string | null = null;
  const flush = () => {
    if (!cur) return;
    const fam = cur.family === 6 ? 'ipv6' : 'ipv4';
    const ch = cur.channels[fam] ?? Object.values(cur.channels)[0];
    if (ch) {
      cur.prefixes_accepted = ch.imported;
      cur.prefixes_received = ch.imported + ch.filtered;
      cur.prefixes_advertised = ch.exported;
    }
    const { channels: _c, family: _f, ...state } = cur;
    out.push(state);
    cur = null;
  };
  for (const raw of lines) {
    const header = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+(?: \S+)?)\s*(.*)$/.exec(raw);
    if (header && !raw.startsWith(' ') && header[1] !== 'Name') {
      flush();
      channel = null;
      if (header[2] !== 'BGP') continue;
      const [, , , , updown, since, info] = header;
      const sinceMatch = /^(\S+(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?)\s*(.*)$/.exec(`${since} ${info}`.trim());
      cur = {
        vrf: null,
        peer_ip: '',
        remote_asn: null,
        state: updown === 'up' ? 'established' : 'idle',
        since: sinceToIso(sinceMatch?.[1] ?? since, now),
        prefixes_received: null,
        prefixes_accepted: null,
        prefixes_advertised: null,
        last_error: null,
        channels: {},
      };
      continue;
    }
    if (!cur) continue;
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^BGP state:\s+(\S+)/.exec(line))) cur.state = STATE[m[1].toLowerCase()] ?? 'unknown';
    else if ((m = /^Neighbor address:\s+(\S+?)(?:%(\S+))?$/.exec(line))) {
      const ip = parseIp(m[1]);
      cur.peer_ip = ip?.text ?? m[1];
      cur.family = ip?.family;
      if (m[2]) cur.vrf = m[2];
    } else if ((m = /^Neighbor AS:\s+(\d+)/.exec(line))) cur.remote_asn = Number(m[1]);
    else if ((m = /^Last error:\s+(.*)$/.exec(line))) cur.last_error = m[1];
    else if ((m = /^VRF:\s+(\S+)/.exec(line))) cur.vrf = m[1] === 'default' ? null : m[1];
    else if ((m = /^Channel (\S+)/.exec(line))) channel = m[1];
    else if (channel && (m = /^Routes:\s+(\d+) imported,(?: (\d+) filtered,)? (\d+) exported/.exec(line))) cur.channels[channel] = { imported: Number(m[1]), filtered: Number(m[2] ?? 0), exported: Number(m[3]) };
  }
  flush();
  return out.filter((p) => p.peer_ip);
}

export const birdDriver: RouterDriver = {
  name: 'bird2',
  async poll(router: RouterTarget, signal: AbortSignal): Promise<PeerState[]> {
    const host = router.hostname ?? '';
    if (!host.startsWith('unix:')) throw new UpstreamError(`router ${router.name}: the BIRD driver reads the control socket; set the hostname to unix:/path/to/bird.ctl`, 'driver_unsupported');
    return parseBirdProtocols(await birdCommand(host.slice('unix:'.length), 'show protocols all', signal));
  },
};
