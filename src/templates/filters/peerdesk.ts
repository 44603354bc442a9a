// Peerdesk's template filters: Peering Manager's names and meanings, plus the NetBox plugin's, computed
// from the pre-loaded render context (no database or network access while rendering).
import ipaddr from 'ipaddr.js';
import type { CallableSpec, FilterEnv } from '../engine/index.ts';
import {
  TemplateRuntimeError,
  Undefined,
  dictEntries,
  isDict,
  iterate,
  pyJsonDumps,
  pyStr,
  truthy,
  attrGetter,
  PyFloat,
} from '../engine/index.ts';
import { mkDict } from '../engine/values.ts';
import { BUILTIN_FILTERS } from '../engine/filters.ts';

type E = FilterEnv;
type Obj = Record<string, unknown>;
const f = (params: string[], fn: (env: E, value: never, ...args: never[]) => unknown): CallableSpec => ({
  fn: fn as CallableSpec['fn'],
  params,
});

const isObj = (v: unknown): v is Obj => isDict(v) && !(v instanceof Map);
const field = (o: unknown, k: string): unknown =>
  isObj(o) && Object.hasOwn(o, k) ? o[k] : o instanceof Map ? o.get(k) : undefined;
const list = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : v === null || v === undefined || v instanceof Undefined ? [] : iterate(v);
const ctxList = (e: E, name: string): Obj[] => list(e.vars()[name]).filter(isObj);

/** The address part of an IP or IP/len string, if valid. */
function parseIp(v: unknown): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const s =
    typeof v === 'string'
      ? v
      : isObj(v)
        ? (field(v, 'remote_ip') ?? field(v, 'ip_address') ?? field(v, 'address'))
        : null;
  if (typeof s !== 'string') return null;
  const addr = s.trim().split('/')[0].split('%')[0];
  if (!ipaddr.isValid(addr)) return null;
  const p = ipaddr.parse(addr);
  // ipaddr.js accepts shorthand IPv4 ("10.1"); Python's ipaddress does not.
  if (p.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(addr)) return null;
  return p;
}

function ipVersion(v: unknown): 4 | 6 | null {
  if (isObj(v)) {
    const iv = field(v, 'ip_version');
    if (iv === 4 || iv === 6) return iv;
  }
  const p = parseIp(v);
  return p ? (p.kind() === 'ipv4' ? 4 : 6) : null;
}

function familyOf(v: unknown): number {
  if (v === null || v === undefined || v instanceof Undefined) return 0;
  const n = Number(typeof v === 'string' ? v.replace(/^ipv/i, '') : v instanceof PyFloat ? v.v : v);
  if (n !== 0 && n !== 4 && n !== 6)
    throw new TemplateRuntimeError(`address family must be 4, 6 or 0, not ${pyStr(v)}`);
  return n;
}

const isSession = (v: unknown): v is Obj => isObj(v) && 'remote_ip' in v && 'peer_asn' in v;
const isAs = (v: unknown): v is Obj => isObj(v) && 'asn' in v && !('remote_ip' in v);
const isFabric = (v: unknown): v is Obj => isObj(v) && 'slug' in v && 'networks' in v;
const isGroup = (v: unknown): v is Obj => isObj(v) && 'session_ids' in v;
const isRouter = (v: unknown): v is Obj => isObj(v) && 'router_id' in v && 'hostname' in v;

function asnOf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(AS)?\d+$/i.test(v)) return Number(v.replace(/^AS/i, ''));
  if (isSession(v)) return Number(v.peer_asn);
  if (isAs(v)) return Number(v.asn);
  return null;
}

function sessionFabricId(s: Obj): number | null {
  const net = field(s, 'peering_network');
  const fab = isObj(net) ? field(net, 'fabric') : null;
  return isObj(fab) ? Number(field(fab, 'id')) : null;
}

function byFamily(sessions: Obj[], family: number): Obj[] {
  return family ? sessions.filter((s) => ipVersion(s) === family) : sessions;
}

/** Sessions related to a value: an AS (by peer ASN), a fabric, a peer group, or the router (all). */
function sessionsOf(e: E, v: unknown): Obj[] {
  const all = ctxList(e, 'sessions');
  if (Array.isArray(v)) return v.filter(isSession);
  if (isFabric(v)) return all.filter((s) => sessionFabricId(s) === Number(v.id));
  if (isGroup(v)) {
    const ids = new Set(list(v.session_ids));
    return all.filter((s) => ids.has(s.id) || field(s, 'peer_group') === v.name);
  }
  if (isRouter(v) || v === undefined || v === null) return all;
  const asn = asnOf(v);
  if (asn !== null) return all.filter((s) => Number(s.peer_asn) === asn);
  throw new TemplateRuntimeError(`cannot find sessions for a ${typeof v} value`);
}

// Lookups by key, built once per context array (the same arrays serve every render of a context).
const indexes = new WeakMap<object, Map<string, Map<unknown, Obj>>>();
function indexed(e: E, listName: string, key: string, value: unknown): Obj | undefined {
  const arr = e.vars()[listName];
  if (!Array.isArray(arr)) return undefined;
  let byKey = indexes.get(arr);
  if (!byKey) indexes.set(arr, (byKey = new Map()));
  let idx = byKey.get(key);
  if (!idx) {
    idx = new Map();
    for (const o of arr) if (isObj(o) && !idx.has(Number(o[key]))) idx.set(Number(o[key]), o);
    byKey.set(key, idx);
  }
  return idx.get(value);
}

function findAs(e: E, asn: number | null): Obj | undefined {
  if (asn === null) return undefined;
  return indexed(e, 'autonomous_systems', 'asn', asn);
}

function findFabric(e: E, id: number | null): Obj | undefined {
  if (id === null) return undefined;
  return indexed(e, 'internet_exchange_points', 'id', id) ?? indexed(e, 'fabrics', 'id', id);
}

function policiesOf(v: unknown, dir: 'import' | 'export'): Obj[] {
  return list(field(v, `${dir}_routing_policies`)).filter(isObj);
}

const sortByWeight = (ps: Obj[]): Obj[] =>
  ps
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(a.p.weight ?? 0) - Number(b.p.weight ?? 0) || a.i - b.i)
    .map((x) => x.p);

/** Session, then its AS, then its fabric: Peering Manager's order of preference when merging. */
function mergedPolicies(e: E, v: unknown, dir: 'import' | 'export', order: unknown): Obj[] {
  const layers: Obj[][] = [sortByWeight(policiesOf(v, dir))];
  if (isSession(v)) {
    layers.push(sortByWeight(policiesOf(findAs(e, asnOf(v)), dir)));
    layers.push(sortByWeight(policiesOf(findFabric(e, sessionFabricId(v)), dir)));
  }
  const seen = new Set<unknown>();
  const out: Obj[] = [];
  for (const p of layers.flat()) {
    const key = p.slug ?? p.name;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return order === 'reverse' ? out.reverse() : out;
}

function communityObjects(e: E, names: unknown[]): Obj[] {
  const all = ctxList(e, 'communities');
  return names.map((n) => {
    if (isObj(n)) return n;
    const hit = all.find((c) => c.name === n || c.slug === n || c.value === n);
    return hit ?? { name: pyStr(n), slug: pyStr(n), kind: 'standard', value: pyStr(n), type: null, description: '' };
  });
}

function prefixListsFor(e: E, v: unknown, family: number): Obj[] {
  const lists = ctxList(e, 'prefix_lists');
  let sel: Obj[];
  if (typeof v === 'string' && !/^(AS)?\d+$/i.test(v))
    sel = lists.filter((l) => l.name === v || (l.as_set !== null && l.as_set === v));
  else if (isObj(v) && 'entries' in v) sel = [v];
  else {
    const asn = asnOf(v);
    sel = lists.filter((l) => l.source === 'irr' && Number(l.asn) === asn);
  }
  return family ? sel.filter((l) => Number(l.family) === family) : sel;
}

/** Minimal YAML emitter in PyYAML's default block style (sorted keys). */
export function toYaml(v: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  const scalar = (x: unknown): string => {
    if (x === null || x === undefined || x instanceof Undefined) return 'null';
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (typeof x === 'number' || x instanceof PyFloat) return pyStr(x);
    const s = pyStr(x);
    if (
      s === '' ||
      /^[\s]|[\s]$|^[-?:,[\]{}#&*!|>'"%@`]|: | #|^(true|false|yes|no|on|off|null|~|y|n)$/i.test(s) ||
      /^[-+]?(\d|\.\d)/.test(s) ||
      s.includes('\n')
    ) {
      return "'" + s.replace(/'/g, "''") + "'";
    }
    return s;
  };
  if (Array.isArray(v)) {
    if (!v.length) return '[]\n';
    return v
      .map((item) => {
        if ((Array.isArray(item) && item.length) || (isDict(item) && dictEntries(item).length)) {
          const inner = toYaml(item, indent + 2);
          return `${pad}- ${inner.slice(indent + 2)}`;
        }
        return `${pad}- ${toYaml(item, 0).trimEnd()}\n`;
      })
      .join('');
  }
  if (isDict(v)) {
    const entries = dictEntries(v).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
    if (!entries.length) return '{}\n';
    return entries
      .map(([k, val]) => {
        if ((Array.isArray(val) && val.length) || (isDict(val) && dictEntries(val).length)) {
          return `${pad}${scalar(k)}:\n${toYaml(val, Array.isArray(val) ? indent : indent + 2)}`;
        }
        return `${pad}${scalar(k)}: ${toYaml(val, 0).trimEnd()}\n`;
      })
      .join('');
  }
  return scalar(v) + '\n';
}

function stripMagic(v: unknown): string {
  const s = pyStr(v);
  // Stored device-encrypted passwords carry a "7 " type marker that the config syntax adds itself.
  return s.startsWith('7 ') ? s.slice(2) : s;
}

/** Peering Manager's filters (minus its `indent`), keyed by name. */
const PM_FILTERS: Record<string, CallableSpec> = {
  ipv4: f([], (_e, v: unknown) => {
    const p = parseIp(v);
    return p && p.kind() === 'ipv4' ? p.toString() : null;
  }),
  ipv6: f([], (_e, v: unknown) => {
    const p = parseIp(v);
    return p && p.kind() === 'ipv6' ? p.toString() : null;
  }),
  ip: f([], (_e, v: unknown) => parseIp(v)?.toString() ?? null),
  ip_version: f([], (_e, v: unknown) => ipVersion(v)),
  ip_network: f(['strict'], (_e, v: unknown, strict: unknown = false) => {
    const s = pyStr(v).trim();
    let net: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      net = s.includes('/')
        ? ipaddr.parseCIDR(s)
        : (() => {
            const a = ipaddr.parse(s);
            return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
          })();
    } catch {
      throw new TemplateRuntimeError(`${s} does not appear to be an IPv4 or IPv6 network`);
    }
    const [addr, len] = net;
    const base =
      addr.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${len}`)
        : ipaddr.IPv6.networkAddressFromCIDR(`${addr}/${len}`);
    if (truthy(strict) && base.toString() !== addr.toString()) throw new TemplateRuntimeError(`${s} has host bits set`);
    return `${base.toString()}/${len}`;
  }),
  mac: f(['style'], (_e, v: unknown, style: unknown = 'unix') => {
    const hex = pyStr(v)
      .toLowerCase()
      .replace(/[^0-9a-f]/g, '');
    if (hex.length !== 12) return null;
    const pairs = hex.match(/../g)!;
    switch (style) {
      case 'cisco':
        return hex.match(/..../g)!.join('.');
      case 'bare':
        return hex;
      case 'eui48':
        return pairs.join('-').toUpperCase();
      default:
        return pairs.join(':');
    }
  }),
  max_prefix: f(['family'], (_e, v: unknown, family: unknown = null) => {
    if (!isObj(v)) throw new TemplateRuntimeError('max_prefix needs a session');
    const fam = family === null ? ipVersion(v) : familyOf(family);
    const af = list(v.address_families)
      .filter(isObj)
      .find((a) => a.afi === `ipv${fam}` && a.max_prefixes !== null && a.max_prefixes !== undefined);
    if (af) return af.max_prefixes;
    const n = field(v, `ipv${fam}_max_prefixes`);
    return n === null || n === undefined ? 0 : n;
  }),
  prefix_list: f(['family'], (e, v: unknown, family: unknown = 0) => {
    const out: Map<unknown, unknown>[] = [];
    for (const l of prefixListsFor(e, v, familyOf(family))) {
      for (const en of list(l.entries).filter(isObj)) {
        out.push(
          mkDict([
            ['prefix', en.prefix],
            ['exact', (en.ge ?? null) === null && (en.le ?? null) === null],
            ['ge', en.ge ?? null],
            ['le', en.le ?? null],
            ['action', en.action ?? 'permit'],
            ['seq', en.seq ?? null],
          ]),
        );
      }
    }
    return out;
  }),
  as_list: f([], (e, v: unknown) => {
    const lists = ctxList(e, 'as_lists');
    let hit: Obj | undefined;
    if (typeof v === 'string' && !/^(AS)?\d+$/i.test(v)) hit = lists.find((l) => l.name === v || l.as_set === v);
    else {
      const asn = asnOf(v);
      const asSet = isObj(v) ? field(v, 'irr_as_set') : null;
      hit = lists.find((l) => (asSet && l.as_set === asSet) || Number(l.asn) === asn);
      if (!hit && asn !== null) return [asn];
    }
    return hit ? list(hit.asns).slice() : [];
  }),
  strip_irr_sources: f([], (_e, v: unknown) => {
    if (v === null || v instanceof Undefined) return '';
    return pyStr(v).replace(/(^|[\s,])[A-Za-z0-9-]+::/g, '$1');
  }),
  sessions: f(['family'], (e, v: unknown, family: unknown = 0) => byFamily(sessionsOf(e, v), familyOf(family))),
  direct_sessions: f(['family'], (e, v: unknown, family: unknown = 0) =>
    byFamily(
      sessionsOf(e, v).filter((s) => !s.peering_network),
      familyOf(family),
    ),
  ),
  ixp_sessions: f(['family'], (e, v: unknown, family: unknown = 0) =>
    byFamily(
      sessionsOf(e, v).filter((s) => !!s.peering_network),
      familyOf(family),
    ),
  ),
  route_server: f(['family'], (e, v: unknown, family: unknown = 0) =>
    byFamily(
      sessionsOf(e, v).filter((s) => s.is_route_server === true),
      familyOf(family),
    ),
  ),
  local_ips: f(['family'], (e, v: unknown, family: unknown = 0) => {
    const fam = familyOf(family);
    let ips: unknown[] = isFabric(v) ? list(v.local_ips) : [];
    if (!ips.length)
      ips = [
        ...new Set(
          sessionsOf(e, v)
            .map((s) => s.local_ip)
            .filter((x) => typeof x === 'string'),
        ),
      ];
    return fam ? ips.filter((ip) => ipVersion(ip) === fam) : ips.slice();
  }),
  iterate: f(['field'], (e, v: unknown, name: unknown) => list(v).map(attrGetter(e, name))),
  unique_items: f(['field'], (e, v: unknown, name: unknown = null) => {
    const get = name === null ? (x: unknown) => x : attrGetter(e, name);
    const seen = new Set<string>();
    const out: unknown[] = [];
    for (const item of list(v)) {
      const k = pyStr(get(item));
      if (!seen.has(k)) {
        seen.add(k);
        out.push(item);
      }
    }
    return out;
  }),
  as_json: f(['indent'], (_e, v: unknown, indent: unknown = null) =>
    pyJsonDumps(v, indent as number | null, false, false),
  ),
  as_yaml: f([], (_e, v: unknown) => toYaml(v)),
  safe_string: f([], (_e, v: unknown) =>
    pyStr(v)
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, ''),
  ),
  quote: f(['char'], (_e, v: unknown, ch: unknown = '"') => `${pyStr(ch)}${pyStr(v)}${pyStr(ch)}`),
  cisco_password: f([], (_e, v: unknown) => stripMagic(v)),
  arista_password: f([], (_e, v: unknown) => stripMagic(v)),
  communities: f([], (e, v: unknown) => communityObjects(e, list(field(v, 'communities')))),
  merge_communities: f([], (e, v: unknown) => {
    const names = [...list(field(v, 'communities'))];
    if (isSession(v)) {
      names.push(...list(field(findAs(e, asnOf(v)), 'communities')));
      names.push(...list(field(findFabric(e, sessionFabricId(v)), 'communities')));
    }
    const objs = communityObjects(e, names);
    const seen = new Set<unknown>();
    return objs.filter((c) => (seen.has(c.value) ? false : (seen.add(c.value), true)));
  }),
  iter_export_policies: f(['field'], (_e, v: unknown, name: unknown = '') => {
    const ps = sortByWeight(policiesOf(v, 'export'));
    return name ? ps.map((p) => p[pyStr(name)] ?? null) : ps;
  }),
  iter_import_policies: f(['field'], (_e, v: unknown, name: unknown = '') => {
    const ps = sortByWeight(policiesOf(v, 'import'));
    return name ? ps.map((p) => p[pyStr(name)] ?? null) : ps;
  }),
  merge_export_policies: f(['order'], (e, v: unknown, order: unknown = '') => mergedPolicies(e, v, 'export', order)),
  merge_import_policies: f(['order'], (e, v: unknown, order: unknown = '') => mergedPolicies(e, v, 'import', order)),
  contact: f(['role', 'field'], (e, v: unknown, role: unknown, name: unknown = '') => {
    const as = isSession(v) ? findAs(e, asnOf(v)) : v;
    const c = list(field(as, 'contacts'))
      .filter(isObj)
      .find((x) => pyStr(x.role).toLowerCase() === pyStr(role).toLowerCase());
    if (!c) return null;
    return name ? (c[pyStr(name)] ?? null) : c;
  }),
  context_has_key: f(['key'], (_e, v: unknown, key: unknown) => {
    const cc = field(v, 'config_context');
    return isObj(cc) && Object.hasOwn(cc, pyStr(key));
  }),
  context_get_key: f(['key', 'default'], (_e, v: unknown, key: unknown, dflt: unknown = null) => {
    const cc = field(v, 'config_context');
    return isObj(cc) && Object.hasOwn(cc, pyStr(key)) ? cc[pyStr(key)] : dflt;
  }),
};

/** The NetBox plugin's filters (its render-config environment). */
export const NETBOX_PLUGIN_FILTERS: Record<string, CallableSpec> = {
  as_path_regex: f(['style'], (_e, v: unknown, style: unknown = 'cisco') => {
    const asns = (Array.isArray(v) ? v : [v]).map((x) => asnOf(x)).filter((x): x is number => x !== null);
    if (!asns.length) throw new TemplateRuntimeError('as_path_regex needs an ASN, an AS, a session or a list of them');
    const alt = asns.length === 1 ? String(asns[0]) : `(${asns.join('|')})`;
    if (style === 'junos') return `${alt} .*`;
    if (style === 'bird') return `[= ${asns.length === 1 ? asns[0] : `[${asns.join(', ')}]`} * =]`;
    return `^${alt}(_[0-9]+)*$`;
  }),
  group_by: f(['attribute'], (e, v: unknown, attribute: unknown) => {
    const get = attrGetter(e, attribute);
    const out = mkDict([]);
    for (const item of list(v)) {
      let k = get(item);
      if (k instanceof Undefined) k = null;
      const cur = out.get(k) as unknown[] | undefined;
      if (cur) cur.push(item);
      else out.set(k, [item]);
    }
    return out;
  }),
  to_community_list: f([], (e, v: unknown) => communityObjects(e, list(v)).map((c) => c.value)),
  to_prefix_set: f([], (e, v: unknown) => {
    const entries =
      Array.isArray(v) && v.every((x) => isDict(x) && !('entries' in (x as Obj)))
        ? v
        : prefixListsFor(e, v, 0).flatMap((l) => list(l.entries));
    return entries.map((en) => {
      if (typeof en === 'string') return en;
      const g = field(en, 'ge');
      const l = field(en, 'le');
      return `${pyStr(field(en, 'prefix'))}${g !== null && g !== undefined ? ` ge ${pyStr(g)}` : ''}${l !== null && l !== undefined ? ` le ${pyStr(l)}` : ''}`;
    });
  }),
};

/** Peering Manager's override of Jinja2's `indent` (only in the peering-manager dialect). */
export const PEERING_MANAGER_FILTERS: Record<string, CallableSpec> = {
  indent: f(['n', 'chars', 'reset'], (e, v: unknown, n: unknown = 4, chars: unknown = ' ', reset: unknown = false) => {
    // Jinja2's own indent(width, first, blank) is kept when called that way (boolean second argument).
    if (typeof chars === 'boolean') {
      return (BUILTIN_FILTERS.indent.fn as (...a: unknown[]) => unknown)(e, v, n, chars, reset === ' ' ? false : reset);
    }
    let lines = pyStr(v).split('\n');
    if (truthy(reset)) lines = lines.map((l) => l.replace(/^\s+/, ''));
    const pad = pyStr(chars).repeat(Number(n));
    return lines.map((l) => pad + l).join('\n');
  }),
};

/** Peering Manager's filters (without its `indent`) and the NetBox plugin's, keyed by name. */
export const PEERDESK_FILTERS: Record<string, CallableSpec> = { ...PM_FILTERS, ...NETBOX_PLUGIN_FILTERS };
