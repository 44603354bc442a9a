// A small IRRd 4 look-alike speaking the whois `!` protocol on loopback, for tests and benchmarks.
// It answers byte for byte like IRRd 4 for what bgpq4 and Peerdesk ask: !! !n !v !t !s !s-lc !a !i !g !6 !m !q.
import net from 'node:net';
import { canonicalPrefix } from '../../src/irr/prefix.ts';
import type { RouteObject } from './arin-routes.ts';

/** An as-set as the tests define it; members are ASNs ("AS123") or set names. */
export interface AsSetObject {
  name: string;
  members: string[];
  source?: string;
}

/** Fault injection: after `afterBytes` bytes of answers on a connection, stall (stop writing) or close it. */
export interface IrrdFault {
  mode: 'stall' | 'close';
  afterBytes: number;
  /** Only the first N connections misbehave (default: all), to exercise retries. */
  connections?: number;
}

export interface IrrdServerOptions {
  routes?: RouteObject[];
  asSets?: AsSetObject[];
  /** Source order for !s-lc and the default selection (default: sources seen in the data, ARIN first). */
  sources?: string[];
  /** Latency added to every answer, measured from the query's arrival (a round trip to a remote mirror). */
  delayMs?: number;
  /** Whether !a is understood (IRRd 4 does; IRRd 3 and others do not). */
  supportsA?: boolean;
  fault?: IrrdFault;
  version?: string;
  host?: string;
}

export interface IrrdServer {
  host: string;
  port: number;
  /** "host:port" for bgpq4 -h and --irr. */
  address: string;
  /** Every query line received, in order (useful to assert pipelining and probing). */
  queries: string[];
  connections: number;
  setDelay(ms: number): void;
  setFault(fault: IrrdFault | undefined): void;
  close(): Promise<void>;
}

interface SourceData {
  v4: Map<number, string[]>;
  v6: Map<number, string[]>;
  sets: Map<string, string[]>;
  setText: Map<string, string>;
}

function parseAsn(text: string): number | null {
  const m = /^AS(\d+)$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n <= 0xffffffff ? n : null;
}

/** Starts the server on an ephemeral loopback port. */
export async function startIrrdServer(options: IrrdServerOptions = {}): Promise<IrrdServer> {
  const data = new Map<string, SourceData>();
  const ensure = (source: string): SourceData => {
    const key = source.toUpperCase();
    let d = data.get(key);
    if (!d) {
      d = { v4: new Map(), v6: new Map(), sets: new Map(), setText: new Map() };
      data.set(key, d);
    }
    return d;
  };
  for (const r of options.routes ?? []) {
    const d = ensure(r.source);
    const prefix = canonicalPrefix(r.prefix);
    if (!prefix) continue;
    const map = prefix.includes(':') ? d.v6 : d.v4;
    const list = map.get(r.origin);
    if (list) list.push(prefix);
    else map.set(r.origin, [prefix]);
  }
  for (const s of options.asSets ?? []) {
    const d = ensure(s.source ?? 'TEST');
    d.sets.set(s.name.toUpperCase(), s.members);
    const lines = [`as-set:         ${s.name}`];
    if (s.members.length) lines.push(`members:        ${s.members.join(', ')}`);
    lines.push('mnt-by:         MAINT-TEST', `source:         ${(s.source ?? 'TEST').toUpperCase()}`);
    d.setText.set(s.name.toUpperCase(), lines.join('\n'));
  }
  // An IRRd always has at least one source; bgpq4 cannot parse an empty !s-lc answer.
  const allSources = options.sources?.map((s) => s.toUpperCase()) ?? (data.size ? [...data.keys()] : ['TEST']);
  for (const s of allSources) ensure(s);
  const supportsA = options.supportsA ?? true;
  const version = options.version ?? '4.4.4';
  let delayMs = options.delayMs ?? 0;
  let fault = options.fault;

  const queries: string[] = [];
  const sockets = new Set<net.Socket>();
  let connectionCount = 0;

  const routesFor = (origins: Iterable<number>, family: 4 | 6, sources: string[]): string[] => {
    const out = new Set<string>();
    for (const src of sources) {
      const map = family === 4 ? data.get(src)?.v4 : data.get(src)?.v6;
      if (!map) continue;
      for (const o of origins) {
        const list = map.get(o);
        if (list) for (const p of list) out.add(p);
      }
    }
    return [...out];
  };

  // Like IRRd's resolver: the first source (in selection order) holding a set wins.
  const findSet = (name: string, sources: string[]): string[] | null => {
    const key = name.toUpperCase();
    for (const src of sources) {
      const members = data.get(src)?.sets.get(key);
      if (members) return members;
    }
    return null;
  };

  // Recursive resolution: ASNs only, missing sets silently dropped, loops cut (IRRd's sets_seen).
  const recursiveMembers = (root: string, sources: string[]): string[] => {
    const seen = new Set<string>([root.toUpperCase()]);
    const result = new Set<string>();
    let level = [root];
    while (level.length) {
      const next: string[] = [];
      for (const name of level) {
        const members = findSet(name, sources);
        if (!members) continue;
        for (const m of members) {
          if (parseAsn(m) !== null) result.add(m);
          else if (!seen.has(m.toUpperCase())) {
            seen.add(m.toUpperCase());
            next.push(m);
          }
        }
      }
      level = next;
    }
    return [...result];
  };

  const answer = (state: { sources: string[]; multi: boolean }, line: string): string | null => {
    if (!line.startsWith('!')) return '%% ERROR: only IRRd-style queries are supported here\n\n\n';
    const cmd = line.slice(1, 2);
    const param = line.slice(2);
    const ok = (text: string): string => (text ? `A${Buffer.byteLength(text) + 1}\n${text}\nC\n` : 'C\n');
    const found = (text: string): string => (text ? `A${Buffer.byteLength(text) + 1}\n${text}\nC\n` : 'D\n');
    if (!cmd) return 'F Missing IRRD command\n';
    if ('tg6ijmnors'.includes(cmd) && !param) return `F Missing parameter for ${cmd} query\n`;
    switch (cmd) {
      case '!':
        state.multi = true;
        return null;
      case 'v':
        return ok(`IRRd -- version ${version}`);
      case 'n':
        return 'C\n';
      case 't': {
        const t = Number(param);
        return Number.isInteger(t) && t > 0 && t <= 1000 ? 'C\n' : `F Invalid value for timeout: ${param}\n`;
      }
      case 's': {
        if (param === '-lc') return ok(allSources.join(','));
        const wanted = param.toUpperCase().split(',');
        if (!wanted.every((s) => allSources.includes(s))) return 'F One or more selected sources are unavailable.\n';
        state.sources = wanted;
        return 'C\n';
      }
      case 'g':
      case '6': {
        const asn = parseAsn(param);
        if (asn === null) return `F Invalid AS number ${param}: number part is not numeric\n`;
        return found(routesFor([asn], cmd === 'g' ? 4 : 6, state.sources).join(' '));
      }
      case 'a': {
        if (!supportsA) return 'F Unrecognised command: a\n';
        let name = param;
        let family: 4 | 6 | null = null;
        if (name.startsWith('4') || name.startsWith('6')) {
          family = name.startsWith('4') ? 4 : 6;
          name = name.slice(1);
        }
        if (!name) return 'F Missing required set name for A query\n';
        const origins = recursiveMembers(name, state.sources).map((m) => parseAsn(m) as number);
        const prefixes = family
          ? routesFor(origins, family, state.sources)
          : [...routesFor(origins, 4, state.sources), ...routesFor(origins, 6, state.sources)];
        return found(prefixes.join(' '));
      }
      case 'i': {
        let name = param;
        const recursive = name.endsWith(',1');
        if (recursive) name = name.slice(0, -2);
        if (recursive) {
          const members = recursiveMembers(name, state.sources).filter((m) => m.toUpperCase() !== name.toUpperCase());
          return found(members.sort().join(' '));
        }
        const members = findSet(name, state.sources);
        if (!members) return 'D\n';
        return found(
          [...new Set(members)]
            .filter((m) => m.toUpperCase() !== name.toUpperCase())
            .sort()
            .join(' '),
        );
      }
      case 'm': {
        const comma = param.indexOf(',');
        if (comma < 0) return `F Invalid argument for object lookup: ${param}\n`;
        const cls = param.slice(0, comma).toLowerCase();
        const key = param.slice(comma + 1).toUpperCase();
        if (cls !== 'as-set') return 'D\n';
        for (const src of state.sources) {
          const text = data.get(src)?.setText.get(key);
          if (text) return ok(text);
        }
        return 'D\n';
      }
      case 'q':
        return '';
      default:
        return `F Unrecognised command: ${cmd}\n`;
    }
  };

  const server = net.createServer((socket) => {
    connectionCount++;
    const connFault =
      fault && (fault.connections === undefined || connectionCount <= fault.connections) ? fault : undefined;
    sockets.add(socket);
    socket.setNoDelay(true);
    const state = { sources: [...allSources], multi: false };
    let buffered = '';
    let written = 0;
    let stalled = false;
    let closing = false;
    let lastDue = 0;

    const send = (text: string, endAfter: boolean): void => {
      if (stalled || socket.destroyed) return;
      let chunk = Buffer.from(text);
      if (connFault && written + chunk.length > connFault.afterBytes) {
        chunk = chunk.subarray(0, Math.max(0, connFault.afterBytes - written));
        if (chunk.length) socket.write(chunk);
        written += chunk.length;
        if (connFault.mode === 'close') socket.destroy();
        else stalled = true;
        return;
      }
      written += chunk.length;
      socket.write(chunk);
      if (endAfter) socket.end();
    };

    // Answers leave in order, each no earlier than its query's arrival plus the delay.
    const schedule = (text: string, endAfter: boolean): void => {
      const due = Math.max(Date.now() + delayMs, lastDue);
      lastDue = due;
      const wait = due - Date.now();
      if (wait <= 0 && delayMs === 0) send(text, endAfter);
      else setTimeout(() => send(text, endAfter), wait);
    };

    socket.on('data', (chunk) => {
      if (closing) return;
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '').trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        queries.push(line);
        if (line === '!q') {
          closing = true;
          schedule('', true);
          return;
        }
        const text = answer(state, line);
        if (text === null) continue;
        // Without !! IRRd answers one query and hangs up.
        if (!state.multi) {
          closing = true;
          schedule(text, true);
          return;
        }
        schedule(text, false);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    get connections() {
      return connectionCount;
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    setFault(f: IrrdFault | undefined) {
      fault = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
