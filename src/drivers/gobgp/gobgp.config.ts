// gobgpd's TOML configuration as deploys see it. Peerdesk owns the whole file gobgpd was started with
// (`gobgpd -f FILE`): the candidate replaces it and gobgpd re-reads it on SIGHUP (gobgp.revert.ts).
// gobgpd's own `-d` check parses the file; what it does not check is checked here before anything
// changes: references to policies, defined sets and peer groups (a reload with a dangling one changes
// the neighbours but silently keeps the old policies), and `[global.config]`, which gobgpd reads only at
// start (a reload ignores it, so a changed AS or port would leave file and daemon disagreeing).
import { parse as parseTomlText, TomlError } from 'smol-toml';
import { parseIp } from '../../platform/ip.ts';

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

/** A candidate or file gobgpd (or this reader) cannot use, with the line when known. */
export class GobgpConfigError extends Error {}

const isTable = (v: unknown): v is TomlTable => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Turns smol-toml's values into plain TOML values; dates (which gobgpd configurations never use) are refused. */
function plain(v: unknown, path: string): TomlValue {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') throw new GobgpConfigError(`${path}: the integer ${v} is too large`);
  if (v instanceof Date) throw new GobgpConfigError(`${path}: dates are not supported`);
  if (Array.isArray(v)) return v.map((x, i) => plain(x, `${path}[${i}]`));
  if (isTable(v)) {
    const out: TomlTable = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x, path ? `${path}.${k}` : k);
    return out;
  }
  throw new GobgpConfigError(`${path}: cannot read this value`);
}

/** Parses TOML text (smol-toml, TOML 1.0) into plain objects; errors name the line. */
export function parseToml(text: string): TomlTable {
  let parsed: unknown;
  try {
    parsed = parseTomlText(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new GobgpConfigError(`line ${e.line}: ${first}`);
    }
    throw e;
  }
  return plain(parsed, '') as TomlTable;
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
