// Safe names and descriptions for router configs. PeeringDB names carry spaces, parentheses, quotes,
// dots, non-ASCII letters and can be long; each platform's grammar allows a different subset in
// identifiers (BIRD symbols, FRR/EOS/IOS-XR words, Junos names) and in descriptions (quoted strings in
// BIRD, Junos and SR OS; rest-of-line text in FRR, EOS and IOS-XR). These filters make both, and give
// every session of a render a distinct identifier (the v4 and v6 sessions of one peer differ).
import type { CallableSpec, FilterEnv } from '../engine/index.ts';
import { TemplateRuntimeError, Undefined, isDict, pyStr } from '../engine/index.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => isDict(v) && !(v instanceof Map);

/** Platforms the filters know, by the names templates may use. */
export type Platform = 'bird' | 'frr' | 'junos' | 'eos' | 'iosxr' | 'sros' | 'generic';
const PLATFORM_ALIASES: Record<string, Platform> = {
  bird: 'bird',
  bird2: 'bird',
  frr: 'frr',
  frrouting: 'frr',
  junos: 'junos',
  juniper: 'junos',
  eos: 'eos',
  arista: 'eos',
  iosxr: 'iosxr',
  'ios-xr': 'iosxr',
  ios_xr: 'iosxr',
  sros: 'sros',
  'sr-os': 'sros',
  nokia: 'sros',
  generic: 'generic',
};

interface Rules {
  /** Characters allowed in an identifier (anything else becomes the separator). */
  bad: RegExp;
  sep: string;
  maxIdent: number;
  /** Descriptions are quoted strings (true) or the rest of the line (false). */
  quoted: boolean;
  maxDescription: number;
}
const RULES: Record<Platform, Rules> = {
  // BIRD symbols: letters, digits, underscore; at most 64 characters; lowercase keywords are reserved.
  bird: { bad: /[^A-Za-z0-9_]+/g, sep: '_', maxIdent: 64, quoted: true, maxDescription: 120 },
  // FRR WORD tokens: no whitespace; keep to a conservative set.
  frr: { bad: /[^A-Za-z0-9_.-]+/g, sep: '-', maxIdent: 63, quoted: false, maxDescription: 80 },
  // Junos names: letters, digits, hyphens, underscores; starting with a letter.
  junos: { bad: /[^A-Za-z0-9_-]+/g, sep: '-', maxIdent: 63, quoted: true, maxDescription: 255 },
  eos: { bad: /[^A-Za-z0-9_.-]+/g, sep: '-', maxIdent: 63, quoted: false, maxDescription: 80 },
  // IOS XR RPL and neighbor-group names.
  iosxr: { bad: /[^A-Za-z0-9_-]+/g, sep: '-', maxIdent: 63, quoted: false, maxDescription: 80 },
  // SR OS names are quoted strings of up to 64 characters.
  sros: { bad: /[^A-Za-z0-9_.-]+/g, sep: '-', maxIdent: 64, quoted: true, maxDescription: 80 },
  generic: { bad: /[^A-Za-z0-9_-]+/g, sep: '_', maxIdent: 63, quoted: true, maxDescription: 80 },
};

/** Resolves a platform name as templates write it (`bird2`, `ios-xr`, ...). */
export function platformOf(v: unknown): Platform {
  const key = pyStr(v === undefined || v === null || v instanceof Undefined ? 'generic' : v).toLowerCase();
  const p = PLATFORM_ALIASES[key];
  if (!p)
    throw new TemplateRuntimeError(`unknown platform ${JSON.stringify(key)} (use ${Object.keys(RULES).join(', ')})`);
  return p;
}

/** ASCII transliteration: accents dropped (NFKD), other non-ASCII letters removed. */
function ascii(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, ' ');
}

/** A name made safe for one platform's identifiers (not yet unique). */
export function safeIdentifier(value: string, platform: Platform, maxLen?: number): string {
  const r = RULES[platform];
  const max = Math.max(8, Math.min(maxLen ?? r.maxIdent, r.maxIdent));
  const sepRe = new RegExp(`[${r.sep === '-' ? '\\-_' : '_'}]{2,}`, 'g');
  let s = ascii(value).replace(r.bad, r.sep).replace(sepRe, r.sep);
  s = s.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (!/^[A-Za-z]/.test(s)) s = `X${r.sep}${s}`.replace(new RegExp(`\\${r.sep}$`), '');
  if (s.length > max) s = s.slice(0, max).replace(/[^A-Za-z0-9]+$/, '');
  // BIRD keywords are all lowercase: a symbol with one capital letter never collides with one.
  if (platform === 'bird' && !/[A-Z]/.test(s)) s = s.replace(/[a-z]/, (c) => c.toUpperCase());
  return s;
}

/** Text made safe for one platform's description: ASCII, one line, no quotes or comment markers. */
export function safeDescription(value: string, platform: Platform, maxLen?: number): string {
  const r = RULES[platform];
  const max = Math.max(1, Math.min(maxLen ?? r.maxDescription, r.maxDescription));
  let s = ascii(value).replace(/["`]/g, "'").replace(/[\\]/g, '/');
  // Unquoted (rest-of-line) descriptions: drop comment and brace characters some parsers treat specially.
  if (!r.quoted) s = s.replace(/[!#{};]/g, ' ');
  s = s.replace(/\s+/g, ' ').trim();
  if (s.length > max) s = s.slice(0, max).trimEnd();
  return s;
}

const isSession = (v: unknown): v is Obj => isObj(v) && ('remote_ip' in v || 'peer_ip' in v) && 'peer_asn' in v;

function sessionFamily(s: Obj): number {
  const f = s.family ?? s.ip_version;
  if (f === 4 || f === 6) return f;
  return String(s.peer_ip ?? s.remote_ip ?? '').includes(':') ? 6 : 4;
}

/** The readable part of a session identifier: AS number, then the peer's name. */
function sessionBase(s: Obj, platform: Platform): string {
  const asn = Number(s.peer_asn);
  const name = pyStr(s.peer_name ?? s.name ?? '');
  const fam = `v${sessionFamily(s)}`;
  const r = RULES[platform];
  // The family suffix must survive truncation, so it is appended after the name is cut.
  const head = safeIdentifier(`AS${asn} ${name}`, platform, r.maxIdent - fam.length - 5);
  return `${head}${r.sep}${fam}`;
}

// Per sessions array and platform: session id -> unique identifier (computed once per render context).
const uniqueCache = new WeakMap<object, Map<Platform, Map<unknown, string>>>();

function uniqueSessionIds(sessions: unknown[], platform: Platform): Map<unknown, string> {
  let byPlatform = uniqueCache.get(sessions);
  if (!byPlatform) uniqueCache.set(sessions, (byPlatform = new Map()));
  let ids = byPlatform.get(platform);
  if (ids) return ids;
  ids = new Map();
  const used = new Set<string>();
  const sep = RULES[platform].sep;
  for (const s of sessions) {
    if (!isSession(s)) continue;
    const base = sessionBase(s, platform);
    let name = base;
    // Case-insensitive: Junos and IOS XR names are case-sensitive, but a reader is not.
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base}${sep}${n}`;
    used.add(name.toLowerCase());
    ids.set(s, name);
  }
  byPlatform.set(platform, ids);
  return ids;
}

const f = (params: string[], fn: (env: FilterEnv, value: never, ...args: never[]) => unknown): CallableSpec => ({
  fn: fn as CallableSpec['fn'],
  params,
});

/** The naming filters, keyed by name. */
export const NAMING_FILTERS: Record<string, CallableSpec> = {
  /** `{{ g.name | identifier('bird') }}`: a name made safe for the platform's identifiers. */
  identifier: f(
    ['platform', 'max_length'],
    (_e, v: unknown, platform: unknown = 'generic', maxLength: unknown = null) => {
      if (v === null || v === undefined || v instanceof Undefined)
        throw new TemplateRuntimeError('identifier needs a value');
      return safeIdentifier(pyStr(v), platformOf(platform), maxLength === null ? undefined : Number(maxLength));
    },
  ),
  /**
   * `{{ s | session_identifier('bird') }}`: a session's identifier, unique among the render's sessions:
   * `AS<asn>_<peer name>_v4` / `_v6`, with `_2`, `_3` ... for further sessions with the same base.
   */
  session_identifier: f(['platform'], (e, v: unknown, platform: unknown = 'generic') => {
    if (!isSession(v)) throw new TemplateRuntimeError('session_identifier needs a session');
    const p = platformOf(platform);
    const all = e.vars().sessions;
    const hit = Array.isArray(all) ? uniqueSessionIds(all, p).get(v) : undefined;
    return hit ?? sessionBase(v, p);
  }),
  /**
   * `{% if s | description('junos') %}description {{ s | description('junos') }};{% endif %}`: a safe
   * description, quoted for platforms whose descriptions are strings; '' when there is nothing to say.
   * A session's own description wins; without one it is `AS<asn> <peer name>`.
   */
  description: f(
    ['platform', 'max_length'],
    (_e, v: unknown, platform: unknown = 'generic', maxLength: unknown = null) => {
      const p = platformOf(platform);
      let text: string;
      if (v === null || v === undefined || v instanceof Undefined) text = '';
      else if (isSession(v)) {
        const own = v.description;
        text = typeof own === 'string' && own.trim() ? own : `AS${pyStr(v.peer_asn)} ${pyStr(v.peer_name ?? '')}`;
      } else text = pyStr(v);
      const s = safeDescription(text, p, maxLength === null ? undefined : Number(maxLength));
      if (!s) return '';
      return RULES[p].quoted ? `"${s}"` : s;
    },
  ),
};
