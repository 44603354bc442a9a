// gobgpd's TOML configuration as deploys see it. Peerdesk owns the whole file gobgpd was started with
// (`gobgpd -f FILE`): the candidate replaces it and gobgpd re-reads it on SIGHUP (gobgp.revert.ts).
// gobgpd's own `-d` check parses the file; what it does not check is checked here before anything
// changes: references to policies, defined sets and peer groups (a reload with a dangling one changes
// the neighbours but silently keeps the old policies), and `[global.config]`, which gobgpd reads only at
// start (a reload ignores it, so a changed AS or port would leave file and daemon disagreeing).
// The TOML reader covers what gobgpd configurations use: tables, arrays of tables, dotted keys,
// strings, integers, floats, booleans, (multi-line) arrays and inline tables.
import { parseIp } from '../../platform/ip.ts';

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

/** A candidate or file gobgpd (or this reader) cannot use, with the line when known. */
export class GobgpConfigError extends Error {}

const isTable = (v: unknown): v is TomlTable => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A character reader over one logical TOML line (arrays may span lines, so it gets the whole text). */
class Reader {
  pos = 0;
  readonly text: string;
  readonly lineOf: (pos: number) => number;
  constructor(text: string, lineOf: (pos: number) => number) {
    this.text = text;
    this.lineOf = lineOf;
  }
  fail(msg: string): never {
    throw new GobgpConfigError(`line ${this.lineOf(this.pos)}: ${msg}`);
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  /** Skips spaces and tabs (and newlines and comments when `lines`). */
  skip(lines = false): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || (lines && (c === '\n' || c === '\r'))) this.pos++;
      else if (lines && c === '#') while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
      else return;
    }
  }
  /** The rest of the line must be blank or a comment. */
  endOfLine(): void {
    this.skip();
    if (this.peek() === '#') while (this.pos < this.text.length && this.peek() !== '\n') this.pos++;
    if (this.pos < this.text.length && this.peek() !== '\n' && this.peek() !== '\r')
      this.fail(`unexpected ${JSON.stringify(this.peek())}`);
  }
  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skip();
      const c = this.peek();
      if (c === '"' || c === "'") parts.push(this.string());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.pos, this.pos + 256));
        if (!m) this.fail('a key is expected');
        parts.push(m[0]);
        this.pos += m[0].length;
      }
      this.skip();
      if (this.peek() !== '.') return parts;
      this.pos++;
    }
  }
  string(): string {
    const q = this.peek();
    if (this.text.startsWith(q.repeat(3), this.pos))
      this.fail('multi-line strings are not supported in a gobgpd configuration here');
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === q) return out;
      if (c === '\\' && q === '"') {
        const e = this.text[this.pos++];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
        if (e !== undefined && e in simple) out += simple[e];
        else if (e === 'u' || e === 'U') {
          const n = e === 'u' ? 4 : 8;
          const hex = this.text.slice(this.pos, this.pos + n);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== n) this.fail('bad \\u escape');
          out += String.fromCodePoint(parseInt(hex, 16));
          this.pos += n;
        } else this.fail(`bad escape \\${e ?? ''}`);
      } else out += c;
    }
  }
  value(): TomlValue {
    this.skip();
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '[') {
      this.pos++;
      const out: TomlValue[] = [];
      for (;;) {
        this.skip(true);
        if (this.peek() === ']') {
          this.pos++;
          return out;
        }
        out.push(this.value());
        this.skip(true);
        if (this.peek() === ',') this.pos++;
        else if (this.peek() !== ']') this.fail('"," or "]" expected in an array');
      }
    }
    if (c === '{') {
      this.pos++;
      const t: TomlTable = {};
      this.skip();
      if (this.peek() === '}') {
        this.pos++;
        return t;
      }
      for (;;) {
        const k = this.key();
        if (this.peek() !== '=') this.fail('"=" expected');
        this.pos++;
        setKey(t, k, this.value(), this);
        this.skip();
        if (this.peek() === ',') this.pos++;
        else if (this.peek() === '}') {
          this.pos++;
          return t;
        } else this.fail('"," or "}" expected in an inline table');
      }
    }
    const m = /^[^\s,\]}#]+/.exec(this.text.slice(this.pos, this.pos + 256));
    if (!m) this.fail('a value is expected');
    const word = m[0];
    this.pos += word.length;
    if (word === 'true') return true;
    if (word === 'false') return false;
    const plain = word.replace(/_/g, '');
    if (/^[+-]?(0|[1-9]\d*)$/.test(plain)) return Number(plain);
    if (/^0x[0-9A-Fa-f]+$|^0o[0-7]+$|^0b[01]+$/.test(plain)) return Number(plain);
    if (/^[+-]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(plain)) return Number(plain);
    return this.fail(`cannot read the value ${JSON.stringify(word)} (dates are not supported)`);
  }
}

function setKey(table: TomlTable, path: string[], value: TomlValue, r: Reader): void {
  let t = table;
  for (const k of path.slice(0, -1)) {
    const next = t[k];
    if (next === undefined) t = t[k] = {};
    else if (isTable(next)) t = next;
    else r.fail(`${path.join('.')}: ${k} is not a table`);
  }
  const last = path[path.length - 1]!;
  if (last in t) r.fail(`${path.join('.')} is defined twice`);
  t[last] = value;
}

/** Parses TOML text (the subset gobgpd configurations use) into plain objects. */
export function parseToml(text: string): TomlTable {
  const starts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const r: Reader = new Reader(text, lineOf);
  const root: TomlTable = {};
  let current = root;
  const defined = new Set<string>();
  while (r.pos < text.length) {
    r.skip(true);
    if (r.pos >= text.length) break;
    if (r.peek() === '[') {
      const isArray = text.startsWith('[[', r.pos);
      r.pos += isArray ? 2 : 1;
      const path = r.key();
      if (!text.startsWith(isArray ? ']]' : ']', r.pos)) r.fail(`"${isArray ? ']]' : ']'}" expected`);
      r.pos += isArray ? 2 : 1;
      r.endOfLine();
      let t = root;
      for (const k of path.slice(0, -1)) {
        let next: TomlValue | undefined = t[k];
        if (next === undefined) next = t[k] = {};
        if (Array.isArray(next)) next = next[next.length - 1];
        if (!isTable(next)) r.fail(`[${path.join('.')}]: ${k} is not a table`);
        t = next;
      }
      const last = path[path.length - 1]!;
      if (isArray) {
        const arr: TomlValue = (t[last] ??= []);
        if (!Array.isArray(arr)) r.fail(`[[${path.join('.')}]] is already a table`);
        const item: TomlTable = {};
        arr.push(item);
        current = item;
      } else {
        const existing = t[last];
        if (existing !== undefined && !isTable(existing)) r.fail(`[${path.join('.')}] is already a value or an array`);
        // A table header may appear once per parent (a new [[array]] item is a new parent).
        current = isTable(existing) ? existing : (t[last] = {});
        const id = identity(current);
        if (defined.has(id)) r.fail(`[${path.join('.')}] is defined twice`);
        defined.add(id);
      }
      continue;
    }
    const k = r.key();
    if (r.peek() !== '=') r.fail('"=" expected');
    r.pos++;
    setKey(current, k, r.value(), r);
    r.endOfLine();
  }
  return root;
}

const ids = new WeakMap<object, string>();
let nextId = 0;
function identity(o: object): string {
  let id = ids.get(o);
  if (!id) ids.set(o, (id = String(++nextId)));
  return id;
}

// ---- what the deploy reads from a configuration ----

/** A neighbour of the configuration (canonical address). */
export interface GobgpNeighborConf {
  address: string;
  peer_as: number | null;
  description: string | null;
  peer_group: string | null;
}

const tables = (v: unknown): TomlTable[] => (Array.isArray(v) ? v.filter(isTable) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const sub = (t: TomlTable | undefined, ...path: string[]): TomlTable | undefined =>
  path.reduce<TomlTable | undefined>((o, k) => (o && isTable(o[k]) ? (o[k] as TomlTable) : undefined), t);

/** The neighbours of a parsed configuration. */
export function gobgpNeighbors(cfg: TomlTable): GobgpNeighborConf[] {
  return tables(cfg.neighbors).map((n, i) => {
    const c = sub(n, 'config');
    const raw = str(c?.['neighbor-address']) ?? str(c?.['neighbor-interface']);
    const ip = raw ? parseIp(raw) : null;
    if (!ip)
      throw new GobgpConfigError(`neighbors[${i}]: neighbor-address ${JSON.stringify(raw ?? '')} is not an IP address`);
    const asn = c?.['peer-as'];
    return {
      address: ip.text,
      peer_as: typeof asn === 'number' ? asn : null,
      description: str(c?.description),
      peer_group: str(c?.['peer-group']),
    };
  });
}

/** `[global.config]` as canonical JSON (key order does not matter). */
export function globalConfigKey(cfg: TomlTable): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : isTable(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon(v[k])]),
          )
        : v;
  return JSON.stringify(canon(sub(cfg, 'global', 'config') ?? {}));
}

/** Condition keys of a policy statement that name a defined set, with the set kind they name. */
const SET_REFS: [string[], string, string][] = [
  [['conditions', 'match-prefix-set'], 'prefix-set', 'prefix-sets'],
  [['conditions', 'match-neighbor-set'], 'neighbor-set', 'neighbor-sets'],
  [['conditions', 'match-tag-set'], 'tag-set', 'tag-sets'],
  [['conditions', 'bgp-conditions', 'match-community-set'], 'community-set', 'community-sets'],
  [['conditions', 'bgp-conditions', 'match-ext-community-set'], 'ext-community-set', 'ext-community-sets'],
  [['conditions', 'bgp-conditions', 'match-large-community-set'], 'large-community-set', 'large-community-sets'],
  [['conditions', 'bgp-conditions', 'match-as-path-set'], 'as-path-set', 'as-path-sets'],
];
const SET_NAME_KEY: Record<string, string> = {
  'prefix-sets': 'prefix-set-name',
  'neighbor-sets': 'neighbor-set-name',
  'tag-sets': 'tag-set-name',
  'community-sets': 'community-set-name',
  'ext-community-sets': 'ext-community-set-name',
  'large-community-sets': 'large-community-set-name',
  'as-path-sets': 'as-path-set-name',
};

/**
 * What gobgpd's `-d` does not check but a reload needs: neighbours unique and with an AS (their own or
 * their peer group's), peer groups, policies and defined sets referenced by name all defined, names
 * unique. Returns the problems (empty: fine).
 */
export function configProblems(cfg: TomlTable): string[] {
  const out: string[] = [];
  const dup = (what: string, names: string[]) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) out.push(`${what} ${n} is defined twice`);
      seen.add(n);
    }
    return seen;
  };
  if (typeof sub(cfg, 'global', 'config')?.as !== 'number') out.push('[global.config] has no as');
  const rid = sub(cfg, 'global', 'config')?.['router-id'];
  if (typeof rid !== 'string' || parseIp(rid)?.family !== 4)
    out.push('[global.config] has no router-id (an IPv4 address; gobgpd does not start without one)');
  const defined = sub(cfg, 'defined-sets') ?? {};
  const bgpDefined = sub(defined, 'bgp-defined-sets') ?? {};
  const sets = new Map<string, Set<string>>();
  for (const [kind, nameKey] of Object.entries(SET_NAME_KEY)) {
    const list = tables(defined[kind] ?? bgpDefined[kind]);
    sets.set(
      kind,
      dup(
        kind.replace(/s$/, ''),
        list.map((s) => str(s[nameKey]) ?? ''),
      ),
    );
  }
  const policies = tables(cfg['policy-definitions']);
  const policyNames = dup(
    'policy',
    policies.map((p) => str(p.name) ?? ''),
  );
  for (const p of policies) {
    for (const st of tables(p.statements)) {
      for (const [path, key, kind] of SET_REFS) {
        const ref = str(sub(st, ...path)?.[key]);
        if (ref && !sets.get(kind)!.has(ref)) out.push(`policy ${str(p.name)}: ${key} ${ref} is not defined`);
      }
    }
  }
  const groups = tables(cfg['peer-groups']);
  const groupAs = new Map(
    groups.map((g) => [str(sub(g, 'config')?.['peer-group-name']) ?? '', sub(g, 'config')?.['peer-as']]),
  );
  dup(
    'peer group',
    groups.map((g) => str(sub(g, 'config')?.['peer-group-name']) ?? ''),
  );
  const policyRefs = (where: string, t: TomlTable | undefined) => {
    const c = sub(t, 'apply-policy', 'config');
    for (const n of [...strings(c?.['import-policy-list']), ...strings(c?.['export-policy-list'])])
      if (!policyNames.has(n)) out.push(`${where}: policy ${n} is not defined`);
  };
  policyRefs('[global]', sub(cfg, 'global'));
  for (const g of groups) policyRefs(`peer group ${str(sub(g, 'config')?.['peer-group-name'])}`, g);
  let neighbors: GobgpNeighborConf[] = [];
  try {
    neighbors = gobgpNeighbors(cfg);
  } catch (e) {
    out.push((e as Error).message);
  }
  dup(
    'neighbor',
    neighbors.map((n) => n.address),
  );
  tables(cfg.neighbors).forEach((t, i) => {
    const n = neighbors[i];
    if (!n) return;
    policyRefs(`neighbor ${n.address}`, t);
    if (n.peer_group !== null && !groupAs.has(n.peer_group))
      out.push(`neighbor ${n.address}: peer group ${n.peer_group} is not defined`);
    else if (n.peer_as === null && typeof groupAs.get(n.peer_group ?? '') !== 'number')
      out.push(`neighbor ${n.address} has no peer-as`);
  });
  return out;
}

/** Parses a candidate and throws the first problem a reload would hit. */
export function checkCandidate(text: string): TomlTable {
  const cfg = parseToml(text);
  const problems = configProblems(cfg);
  if (problems.length) throw new GobgpConfigError(problems.slice(0, 5).join('; '));
  return cfg;
}

/** The text with every `auth-password = "…"` value replaced by "<redacted>" (for diffs and logs). */
export function redactTomlSecrets(text: string): string {
  return text.replace(/^([+\- ]?\s*auth-password\s*=\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*')/gm, '$1"<redacted>"');
}

/**
 * Entries per prefix set of a gobgpd configuration (`ip-prefix` lines under each `prefix-set-name`),
 * read line by line like the other platforms' prefix-list counts (an unreadable text counts nothing).
 */
export function gobgpPrefixSetSizes(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let cfg: TomlTable;
  try {
    cfg = parseToml(text);
  } catch {
    return out;
  }
  for (const s of tables(sub(cfg, 'defined-sets')?.['prefix-sets'])) {
    const name = str(s['prefix-set-name']);
    if (name) out.set(name, (out.get(name) ?? 0) + tables(s['prefix-list']).length);
  }
  return out;
}
