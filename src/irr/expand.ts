// AS-SET / ASN expansion over the IRR pool: prefixes per family (bgpq4-identical), origin ASNs,
// a validation walk (members, depth, loops, missing sets) and the pipelined batch refresh.
import {
  answerWords,
  buildPrefixListFromAnswersLazy,
  prefixListEntries,
  prefixListSize,
  type AnswerBody,
  type BuildOptions,
  type PrefixEntry,
  type PrefixList,
} from './aggregate.ts';
import { isSpecialAsn, type Family } from './prefix.ts';
import { IrrError, type IrrPool, type RawWhoisAnswer, type WhoisAnswer } from './whois.client.ts';
// The reports are the API's schemas (irr.schema.ts), defined once.
import type { AsSetReport, ExpandReport } from './irr.schema.ts';

/** What the user asked to expand: an ASN, or an as-set optionally pinned to one source (`RIPE::AS-FOO`). */
export type IrrTarget =
  { kind: 'asn'; asn: number; text: string } | { kind: 'set'; name: string; source?: string; text: string };

type PerFamily<T> = T | { ipv4?: T; ipv6?: T };

export interface ExpandOptions {
  /** Families to fetch (default both). */
  families?: Family[];
  /** IRR sources for this target (undefined: the pool's default selection). */
  sources?: string[];
  aggregate?: boolean;
  /** bgpq4 -R, per family or for both. */
  maxLength?: PerFamily<number>;
  /** bgpq4 -r. */
  minLength?: PerFamily<number>;
  /** bgpq4 -m. */
  ignoreLongerThan?: PerFamily<number>;
  /** Expand documentation/private ASNs too (bgpq4 -p). */
  expandSpecialAsns?: boolean;
  /**
   * Only the prefix lists are wanted: when the server answers `!a`, the set's members (`!i<set>,1`) are not
   * asked for, so `origins` stays empty, `exists` comes from the `!a` answers and private ASNs are not
   * reported. The lists are the same (`!a` expands every member). For `peerdesk irr expand` in scripts.
   */
  prefixesOnly?: boolean;
}

export interface ExpandResult {
  target: string;
  /** Prefix text per family in bgpq4's order (aggregated entries give their base prefix). */
  prefixes: { ipv4: string[]; ipv6: string[] };
  /** The same lists with ranges, for formats that print ge/le. */
  entries: { ipv4: PrefixEntry[]; ipv6: PrefixEntry[] };
  /** Origin ASNs (sorted) for AS-path filters. */
  origins: number[];
  report: ExpandReport;
}

const ASN_RE = /^AS(\d{1,10})$/i;

/** Parses a target the way bgpq4 does: `AS123`, `AS-FOO`, `AS123:AS-FOO`, `SOURCE::AS-FOO`. */
export function parseTarget(text: string): IrrTarget {
  const raw = text.trim();
  let source: string | undefined;
  let name = raw;
  const dbl = raw.indexOf('::');
  if (dbl >= 0) {
    source = raw.slice(0, dbl).toUpperCase();
    name = raw.slice(dbl + 2);
    if (!/^[A-Z0-9-]+$/.test(source)) throw new IrrError('IRR_QUERY', `invalid IRR source in "${text}"`);
  }
  const asn = ASN_RE.exec(name);
  if (asn && !source) {
    const n = Number(asn[1]);
    if (n > 0xffffffff) throw new IrrError('IRR_QUERY', `AS number out of range: ${text}`);
    return { kind: 'asn', asn: n, text: raw };
  }
  // RPSL set names: letters, digits, '-', '_', ':' for hierarchy, and an AS- component somewhere.
  if (!/^[A-Za-z0-9_:.-]+$/.test(name) || !/(^|:)AS-/i.test(name)) {
    throw new IrrError(
      'IRR_QUERY',
      `"${text}" is neither an ASN (AS123) nor an as-set name (AS-FOO, AS123:AS-FOO, SOURCE::AS-FOO)`,
    );
  }
  return { kind: 'set', name, source, text: raw };
}

function pick<T>(value: PerFamily<T> | undefined, family: Family): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && ('ipv4' in value || 'ipv6' in value)) return family === 4 ? value.ipv4 : value.ipv6;
  return value as T;
}

function buildOptions(options: ExpandOptions, family: Family): BuildOptions {
  return {
    aggregate: options.aggregate,
    maxLength: pick(options.maxLength, family),
    minLength: pick(options.minLength, family),
    ignoreLongerThan: pick(options.ignoreLongerThan, family),
  };
}

function words(answer: WhoisAnswer): string[] {
  return answer.kind === 'A' ? answerWords([answer.data]) : [];
}

/** The body of a raw A answer (whitespace-separated words, as bytes), '' for C/D: parsed later in place. */
function body(answer: RawWhoisAnswer): AnswerBody {
  return answer.kind === 'A' ? answer.bytes : '';
}

function expectOk<A extends WhoisAnswer | RawWhoisAnswer>(answer: A, query: string, pool: IrrPool): A {
  if (answer.kind === 'F' || answer.kind === 'E') {
    throw new IrrError('IRR_QUERY', `IRR server ${pool.label} answered "${query}" with an error: ${answer.message}`);
  }
  return answer;
}

function asnOf(token: string): number | null {
  const m = ASN_RE.exec(token);
  return m ? Number(m[1]) : null;
}

/** Fetches route prefixes for origins with `!g` / `!6`, all pipelined; returns the answer bodies. */
async function prefixesForOrigins(
  origins: number[],
  family: Family,
  pool: IrrPool,
  sources: string[] | undefined,
): Promise<AnswerBody[]> {
  const cmd = family === 4 ? '!g' : '!6';
  return Promise.all(
    origins.map(async (asn) => {
      const q = `${cmd}AS${asn}`;
      return body(expectOk(await pool.query(q, { sources, raw: true }), q, pool));
    }),
  );
}

/** Splits origins into the ones bgpq4 would expand and the special ones it refuses. */
function filterOrigins(
  tokens: Iterable<string | number>,
  options: ExpandOptions,
): { origins: number[]; ignored: number[] } {
  const keep = new Set<number>();
  const ignored = new Set<number>();
  for (const t of tokens) {
    const asn = typeof t === 'number' ? t : asnOf(t);
    if (asn === null) continue;
    if (!options.expandSpecialAsns && isSpecialAsn(asn)) ignored.add(asn);
    else keep.add(asn);
  }
  return { origins: [...keep].sort((a, b) => a - b), ignored: [...ignored].sort((a, b) => a - b) };
}

/**
 * Expands an ASN or AS-SET into bgpq4-identical prefix lists plus origin ASNs.
 * Uses `!a4`/`!a6` when the server has them (probed once per pool, speculatively pipelined),
 * otherwise `!i<set>,1` then `!g`/`!6` per origin; `SOURCE::SET` walks the set with `!i`.
 */
export async function expandAsSet(
  target: string | IrrTarget,
  options: ExpandOptions,
  pool: IrrPool,
): Promise<ExpandResult> {
  const { lists, ...rest } = await expandPrefixLists(target, options, pool);
  const entries = { ipv4: prefixListEntries(lists.ipv4), ipv6: prefixListEntries(lists.ipv6) };
  return {
    ...rest,
    prefixes: { ipv4: entries.ipv4.map((e) => e.prefix), ipv6: entries.ipv6.map((e) => e.prefix) },
    entries,
  };
}

/** What `expandPrefixLists` returns: `expandAsSet`'s result with the lists as built (entries made on demand). */
export interface ExpandListsResult {
  target: string;
  lists: { ipv4: PrefixList; ipv6: PrefixList };
  origins: number[];
  report: ExpandReport;
}

/**
 * `expandAsSet` without making every entry: an exact IPv4 list stays sorted keys, which `formatList`
 * (formats.ts) prints directly. For the CLI, where a 10^5-prefix list is built once and printed.
 */
export async function expandPrefixLists(
  target: string | IrrTarget,
  options: ExpandOptions,
  pool: IrrPool,
): Promise<ExpandListsResult> {
  const started = performance.now();
  const queriesBefore = pool.queries;
  const t = typeof target === 'string' ? parseTarget(target) : target;
  const families: Family[] = options.families?.length ? [...new Set(options.families)] : [4, 6];
  const sources = options.sources;
  // Answer bodies per family (whitespace-separated prefixes), parsed in place by the list builder.
  const raw: { 4: AnswerBody[]; 6: AnswerBody[] } = { 4: [], 6: [] };
  const warnings: string[] = [];
  let origins: number[] = [];
  let ignored: number[] = [];
  let exists = true;
  let strategy: ExpandReport['strategy'];

  if (t.kind === 'asn') {
    strategy = 'origin';
    const f = filterOrigins([t.asn], options);
    origins = f.origins;
    ignored = f.ignored;
    if (ignored.length) warnings.push(`AS${t.asn} is a private or documentation ASN; not expanded`);
    await Promise.all(families.map(async (fam) => (raw[fam] = await prefixesForOrigins(origins, fam, pool, sources))));
  } else if (t.source) {
    strategy = 'walk';
    const walk = await walkSet(t, pool, sources);
    exists = walk.graph.get(t.name.toUpperCase()) != null;
    const f = filterOrigins(walk.asns, options);
    origins = f.origins;
    ignored = f.ignored;
    await Promise.all(families.map(async (fam) => (raw[fam] = await prefixesForOrigins(origins, fam, pool, sources))));
  } else {
    const name = t.name;
    const membersQ = `!i${name},1`;
    let useA = pool.knownASupport;
    const aAnswers: Partial<Record<Family, Promise<RawWhoisAnswer>>> = {};
    const askMembers = () => {
      const answer = pool.query(membersQ, { sources });
      // Whichever of these fails first is thrown; the others must not surface as unhandled rejections.
      answer.catch(() => {});
      return answer;
    };
    let members = options.prefixesOnly && useA !== false ? null : askMembers();
    if (useA !== false) {
      // Speculate: the !a queries ride in the same round trip as the probe; dropped if unsupported.
      const probe = pool.supportsA();
      for (const fam of families) {
        const answer = pool.query(`!a${fam}${name}`, { sources, raw: true });
        answer.catch(() => {});
        aAnswers[fam] = answer;
      }
      useA = await probe;
    }
    if (!members && !useA) members = askMembers();
    if (members) {
      const memberAnswer = expectOk(await members, membersQ, pool);
      exists = memberAnswer.kind === 'A';
      const f = filterOrigins(words(memberAnswer), options);
      origins = f.origins;
      ignored = f.ignored;
    }
    if (useA) {
      strategy = 'a-query';
      await Promise.all(
        families.map(async (fam) => {
          const q = `!a${fam}${name}`;
          raw[fam] = [body(expectOk(await (aAnswers[fam] as Promise<RawWhoisAnswer>), q, pool))];
        }),
      );
      if (!members) exists = families.some((fam) => raw[fam][0].length > 0);
    } else {
      strategy = 'origins';
      await Promise.all(
        families.map(async (fam) => (raw[fam] = await prefixesForOrigins(origins, fam, pool, sources))),
      );
    }
  }
  if (!exists) warnings.push(`${t.text} not found (or has no members) in the selected IRR sources`);
  if (ignored.length && t.kind === 'set')
    warnings.push(`ignored private/documentation ASNs: ${ignored.map((a) => `AS${a}`).join(', ')}`);

  const empty: PrefixList = { kind: 'entries', entries: [] };
  const lists: ExpandListsResult['lists'] = { ipv4: empty, ipv6: empty };
  for (const fam of families)
    lists[fam === 4 ? 'ipv4' : 'ipv6'] = buildPrefixListFromAnswersLazy(raw[fam], fam, buildOptions(options, fam));
  return {
    target: t.text,
    lists,
    origins,
    report: {
      target: t.text,
      kind: t.kind === 'asn' ? 'asn' : 'as-set',
      exists,
      strategy,
      originCount: origins.length,
      prefixCount: { ipv4: prefixListSize(lists.ipv4), ipv6: prefixListSize(lists.ipv6) },
      ignoredAsns: ignored,
      warnings,
      queries: pool.queries - queriesBefore,
      elapsedMs: Math.round(performance.now() - started),
    },
  };
}

interface Walk {
  /** Upper-case set name -> members, or null when `!i` found nothing. */
  graph: Map<string, string[] | null>;
  /** Display spelling of each set name. */
  names: Map<string, string>;
  asns: Set<number>;
}

/** Breadth-first `!i` walk, one pipelined round per nesting level; the root may be pinned to a source. */
async function walkSet(
  t: Extract<IrrTarget, { kind: 'set' }>,
  pool: IrrPool,
  sources: string[] | undefined,
): Promise<Walk> {
  const graph = new Map<string, string[] | null>();
  const names = new Map<string, string>();
  const asns = new Set<number>();
  const rootKey = t.name.toUpperCase();
  names.set(rootKey, t.name);
  let level = [t.name];
  while (level.length) {
    const answers = await Promise.all(
      level.map(async (name) => {
        const q = `!i${name}`;
        const src = name.toUpperCase() === rootKey && t.source ? [t.source] : sources;
        return expectOk(await pool.query(q, { sources: src }), q, pool);
      }),
    );
    const next: string[] = [];
    level.forEach((name, i) => {
      const answer = answers[i];
      if (answer.kind !== 'A') {
        graph.set(name.toUpperCase(), null);
        return;
      }
      const members = words(answer);
      graph.set(name.toUpperCase(), members);
      for (const m of members) {
        const asn = asnOf(m);
        if (asn !== null) {
          asns.add(asn);
          continue;
        }
        if (m.toUpperCase() === 'ANY' || /^AS-ANY$/i.test(m)) continue;
        const key = m.toUpperCase();
        if (!names.has(key)) {
          names.set(key, m);
          next.push(m);
        }
      }
    });
    level = next;
  }
  return { graph, names, asns };
}

/** Checks an AS-SET (or ASN): existence, members, depth, loops, missing sets and per-family prefix counts. */
export async function validateAsSet(target: string, options: ExpandOptions, pool: IrrPool): Promise<AsSetReport> {
  const started = performance.now();
  const queriesBefore = pool.queries;
  const t = parseTarget(target);
  if (t.kind === 'asn') {
    const ex = await expandAsSet(t, { ...options, aggregate: false, families: [4, 6] }, pool);
    return {
      target: t.text,
      kind: 'asn',
      source: null,
      exists: true,
      members: [],
      nestedSets: [],
      depth: 0,
      loops: [],
      missing: [],
      empty: [],
      origins: ex.origins,
      ignoredAsns: ex.report.ignoredAsns,
      prefixCount: ex.report.prefixCount,
      warnings: ex.report.warnings,
      queries: pool.queries - queriesBefore,
      elapsedMs: Math.round(performance.now() - started),
    };
  }
  const [walk, ex] = await Promise.all([
    walkSet(t, pool, options.sources),
    expandAsSet(
      t,
      { ...options, aggregate: false, maxLength: undefined, minLength: undefined, families: [4, 6] },
      pool,
    ),
  ]);
  const rootKey = t.name.toUpperCase();
  // `!i` answers "D" for unknown and for empty sets alike; `!m` tells them apart.
  const unresolved = [...walk.graph].filter(([, members]) => members === null).map(([key]) => key);
  const lookups = await Promise.all(
    unresolved.map(async (key) => {
      const q = `!mas-set,${walk.names.get(key)}`;
      const src = key === rootKey && t.source ? [t.source] : options.sources;
      return (await pool.query(q, { sources: src })).kind === 'A';
    }),
  );
  const missing: string[] = [];
  const empty: string[] = [];
  unresolved.forEach((key, i) => (lookups[i] ? empty : missing).push(walk.names.get(key) as string));
  const exists = !missing.some((n) => n.toUpperCase() === rootKey);
  const { loops, depth } = analyseGraph(rootKey, walk);
  const warnings = [...ex.report.warnings.filter((w) => !w.includes('not found'))];
  if (!exists) warnings.unshift(`${t.text} does not exist in the selected IRR sources`);
  if (missing.length && exists) warnings.push(`missing member sets: ${missing.join(', ')}`);
  if (loops.length) warnings.push(`reference loops: ${loops.map((l) => l.join(' -> ')).join('; ')}`);
  return {
    target: t.text,
    kind: 'as-set',
    source: t.source ?? null,
    exists,
    members: walk.graph.get(rootKey) ?? [],
    nestedSets: [...walk.names.keys()]
      .filter((k) => k !== rootKey && walk.graph.get(k) !== undefined)
      .map((k) => walk.names.get(k) as string),
    depth,
    loops,
    missing,
    empty,
    origins: ex.origins,
    ignoredAsns: ex.report.ignoredAsns,
    prefixCount: ex.report.prefixCount,
    warnings,
    queries: pool.queries - queriesBefore,
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** Finds reference cycles (DFS back edges) and the deepest chain of existing sets. */
function analyseGraph(rootKey: string, walk: Walk): { loops: string[][]; depth: number } {
  const loops: string[][] = [];
  const seenLoops = new Set<string>();
  const onStack: string[] = [];
  const state = new Map<string, 1 | 2>();
  const depthOf = new Map<string, number>();
  const visit = (key: string): number => {
    state.set(key, 1);
    onStack.push(key);
    let deepest = 0;
    for (const m of walk.graph.get(key) ?? []) {
      const child = m.toUpperCase();
      if (!walk.graph.has(child) || asnOf(m) !== null) continue;
      if (walk.graph.get(child) === null) continue;
      const s = state.get(child);
      if (s === 1) {
        const cycle = onStack.slice(onStack.indexOf(child)).concat(child);
        const id = cycle.join('>');
        if (!seenLoops.has(id)) {
          seenLoops.add(id);
          loops.push(cycle.map((k) => walk.names.get(k) as string));
        }
        continue;
      }
      deepest = Math.max(deepest, s === 2 ? (depthOf.get(child) ?? 0) : visit(child));
    }
    onStack.pop();
    state.set(key, 2);
    const d = 1 + deepest;
    depthOf.set(key, d);
    return d;
  };
  const depth = walk.graph.get(rootKey) ? visit(rootKey) : 0;
  return { loops, depth };
}

export interface RefreshTarget {
  /** An ASN or AS-SET as stored on the peer. */
  target: string;
  /** Caller's key (e.g. the peer ASN id) echoed in the outcome. */
  key?: string | number;
  /** Per-peer source selection, overriding the batch's. */
  sources?: string[];
}

export interface RefreshProgress {
  done: number;
  failed: number;
  total: number;
  target: string;
}

export interface RefreshOptions extends ExpandOptions {
  /** Targets expanded at the same time (their queries share the pool's pipelines). Default 64. */
  concurrency?: number;
  /** Upper bound on targets started per second (be gentle with public mirrors). */
  ratePerSecond?: number;
  onProgress?: (progress: RefreshProgress) => void;
}

export interface RefreshOutcome {
  target: string;
  key?: string | number;
  ok: boolean;
  result?: ExpandResult;
  error?: string;
  code?: string;
}

/** Refreshes many peers' lists through one pool: bounded concurrency, optional rate limit, per-target errors. */
export async function refreshMany(
  targets: Array<string | RefreshTarget>,
  options: RefreshOptions,
  pool: IrrPool,
): Promise<RefreshOutcome[]> {
  const items = targets.map((t) => (typeof t === 'string' ? { target: t } : t));
  const outcomes: RefreshOutcome[] = new Array(items.length);
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const interval = options.ratePerSecond && options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
  let next = 0;
  let done = 0;
  let failed = 0;
  let nextStart = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      if (interval) {
        const now = performance.now();
        const at = Math.max(now, nextStart);
        nextStart = at + interval;
        if (at > now) await new Promise((r) => setTimeout(r, at - now));
      }
      const item = items[i];
      try {
        const result = await expandAsSet(item.target, { ...options, sources: item.sources ?? options.sources }, pool);
        outcomes[i] = { target: item.target, key: item.key, ok: true, result };
      } catch (err) {
        failed++;
        outcomes[i] = {
          target: item.target,
          key: item.key,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
          code: err instanceof IrrError ? err.code : 'IRR_ERROR',
        };
      }
      done++;
      options.onProgress?.({ done, failed, total: items.length, target: item.target });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return outcomes;
}
