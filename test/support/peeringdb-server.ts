// A PeeringDB API stand-in on loopback, fed with the real captured pages in ../shared/data/peeringdb.
// It honours PeeringDB's semantics (limit/skip paging, `since` with deletions, only `ok` objects
// without `since`, depth, field filters, id__in) and can inject faults (429 storms, dead servers).
import { sharedData } from './shared-data.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

/** The captured API pages (`<type>/page-N.json`). */
export const PDB_DATA_DIR = sharedData('peeringdb', 'api') + '/';
/** The small LU-CIX set (`<type>.json`). */
export const LUCIX_DATA_DIR = sharedData('peeringdb', 'lu-cix') + '/';
/** The IX-F member export samples. */
export const IXF_DATA_DIR = sharedData('ixf') + '/';

type Obj = { id: number; updated: string; status: string; [k: string]: unknown };

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  authorization: string | null;
  userAgent: string | null;
}

export interface Faults {
  /** The next `count` requests answer 429 with this Retry-After (seconds). */
  rateLimit?: { count: number; retryAfter: number | string };
  /** After this many answered requests, every further one has its connection destroyed. */
  dieAfter?: number;
  /** Answer every request with this status (e.g. 503) while set. */
  status?: number;
  /** Delay before answering each request. */
  latencyMs?: number;
}

// Which child sets each parent gets at depth >= 1 (ids at depth 1, objects deeper).
const SETS: Record<string, [string, string, string][]> = {
  org: [
    ['net_set', 'net', 'org_id'],
    ['ix_set', 'ix', 'org_id'],
    ['fac_set', 'fac', 'org_id'],
  ],
  net: [
    ['netixlan_set', 'netixlan', 'net_id'],
    ['netfac_set', 'netfac', 'net_id'],
    ['poc_set', 'poc', 'net_id'],
  ],
  ix: [
    ['ixlan_set', 'ixlan', 'ix_id'],
    ['ixfac_set', 'ixfac', 'ix_id'],
  ],
  ixlan: [
    ['ixpfx_set', 'ixpfx', 'ixlan_id'],
    ['net_set', 'netixlan', 'ixlan_id'],
  ],
};

/** Reads a folder of API pages (`<type>/page-*.json`) or per-type files (`<type>.json`). */
export function loadPages(dir: string): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      const files = readdirSync(`${dir}/${entry.name}`).filter((f) => /^page-\d+\.json$/.test(f));
      files.sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
      const rows: Obj[] = [];
      for (const f of files) rows.push(...JSON.parse(readFileSync(`${dir}/${entry.name}/${f}`, 'utf8')).data);
      out.set(entry.name, rows);
    } else if (entry.name.endsWith('.json')) {
      out.set(entry.name.replace(/\.json$/, ''), JSON.parse(readFileSync(`${dir}/${entry.name}`, 'utf8')).data);
    }
  }
  return out;
}

/** A running fake PeeringDB. */
export class PeeringDbServer {
  readonly store = new Map<string, Map<number, Obj>>();
  readonly log: RequestLogEntry[] = [];
  faults: Faults = {};
  url = '';
  private server: Server | null = null;
  /** Requests answered so far (dieAfter counts against it; reset it when arming a fault). */
  answered = 0;
  private clock = 0;

  constructor(dirs: string[] = [PDB_DATA_DIR]) {
    for (const dir of dirs) if (existsSync(dir)) this.load(loadPages(dir));
  }

  /** Adds (or replaces by id) objects, keeping their own `updated`. */
  load(data: Map<string, Obj[]> | Record<string, Obj[]>): void {
    const entries = data instanceof Map ? [...data.entries()] : Object.entries(data);
    for (const [type, rows] of entries) {
      let m = this.store.get(type);
      if (!m) this.store.set(type, (m = new Map()));
      for (const r of rows) {
        m.set(r.id, r);
        this.clock = Math.max(this.clock, Date.parse(r.updated));
      }
    }
  }

  /** A timestamp later than every object's `updated` (PeeringDB's second resolution). */
  tick(): string {
    this.clock = Math.floor(this.clock / 1000) * 1000 + 5000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Creates or modifies an object as PeeringDB would (new `updated`). */
  upsert(type: string, obj: Partial<Obj> & { id: number }): Obj {
    const m = this.store.get(type) ?? new Map<number, Obj>();
    this.store.set(type, m);
    const prev = m.get(obj.id);
    const next = { ...(prev ?? { created: this.tick(), status: 'ok' }), ...obj, updated: this.tick() } as Obj;
    m.set(obj.id, next);
    return next;
  }

  /** Marks an object deleted (`status: deleted`, new `updated`), as PeeringDB keeps tombstones. */
  remove(type: string, id: number): void {
    const prev = this.store.get(type)?.get(id);
    if (!prev) throw new Error(`no ${type} ${id}`);
    this.store.get(type)!.set(id, { ...prev, status: 'deleted', updated: this.tick() });
  }

  /** Objects of a type as currently served (status ok). */
  ok(type: string): Obj[] {
    return [...(this.store.get(type)?.values() ?? [])].filter((o) => o.status === 'ok');
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/api`;
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** Requests to data endpoints of a type (for assertions). */
  requestsFor(type: string): RequestLogEntry[] {
    return this.log.filter((r) => r.path === `/api/${type}` || r.path.startsWith(`/api/${type}/`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(u.searchParams.entries());
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: u.pathname.replace(/\/+$/, ''),
      query,
      status: 0,
      authorization: (req.headers.authorization as string) ?? null,
      userAgent: (req.headers['user-agent'] as string) ?? null,
    };
    this.log.push(entry);
    if (this.faults.latencyMs) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.faults.dieAfter !== undefined && this.answered >= this.faults.dieAfter) {
      entry.status = -1;
      req.socket.destroy();
      return;
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      this.answered++;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (this.faults.rateLimit && this.faults.rateLimit.count > 0) {
      this.faults.rateLimit.count--;
      return send(
        429,
        { message: 'Request was throttled.' },
        { 'retry-after': String(this.faults.rateLimit.retryAfter) },
      );
    }
    if (this.faults.status) return send(this.faults.status, { message: 'injected failure' });

    const m = /^\/api\/([a-z]+)(?:\/(\d+))?$/.exec(entry.path);
    if (!m || !this.store.has(m[1])) return send(404, { meta: { error: 'Not found' }, data: [] });
    const type = m[1];
    const rows = this.store.get(type)!;
    if (m[2]) {
      const o = rows.get(Number(m[2]));
      if (!o || o.status !== 'ok') return send(404, { meta: { error: 'Not found' }, data: [] });
      return send(200, { data: [this.expand(type, o, Number(query.depth ?? 2))], meta: {} });
    }
    let list = [...rows.values()];
    const since = query.since !== undefined ? Number(query.since) : null;
    if (since !== null) {
      list = list.filter((o) => Date.parse(o.updated) / 1000 >= since);
      list.sort((a, b) => a.updated.localeCompare(b.updated) || a.id - b.id);
    } else {
      list = list.filter((o) => o.status === (query.status ?? 'ok'));
      list.sort((a, b) => a.id - b.id);
    }
    for (const [k, v] of Object.entries(query)) {
      if (['limit', 'skip', 'since', 'depth', 'status', 'fields'].includes(k)) continue;
      if (k.endsWith('__in')) {
        const set = new Set(v.split(','));
        const f = k.slice(0, -4);
        list = list.filter((o) => set.has(String(o[f])));
      } else if (k.endsWith('__contains')) {
        const f = k.slice(0, -10);
        list = list.filter((o) =>
          String(o[f] ?? '')
            .toLowerCase()
            .includes(v.toLowerCase()),
        );
      } else {
        list = list.filter((o) => String(o[k]) === v);
      }
    }
    const skip = Number(query.skip ?? 0);
    const limit = query.limit !== undefined ? Number(query.limit) : 0;
    if (limit > 0 || skip > 0) list = list.slice(skip, limit > 0 ? skip + limit : undefined);
    const depth = Number(query.depth ?? 0);
    send(200, { data: depth > 0 ? list.map((o) => this.expand(type, o, depth)) : list, meta: {} });
  }

  private expand(type: string, o: Obj, depth: number): Obj {
    if (depth <= 0 || !SETS[type]) return o;
    const out: Obj = { ...o };
    for (const [field, child, key] of SETS[type]) {
      const kids = this.ok(child).filter((c) => c[key] === o.id);
      out[field] = depth === 1 ? kids.map((c) => c.id) : kids;
    }
    return out;
  }
}

/** Starts a fake PeeringDB over the given data folders (default: the captured API pages). */
export async function startPeeringDbServer(dirs?: string[]): Promise<PeeringDbServer> {
  const s = new PeeringDbServer(dirs);
  await s.start();
  return s;
}
