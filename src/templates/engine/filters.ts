// Jinja2's builtin filters with Python semantics (sorting, rounding, printing, textwrap, JSON).
import { chargeItems, chargeString, chargeValue } from './budget.ts';
import type { CallableSpec } from './compiler.ts';
import type { FilterEnv } from './environment.ts';
import { TemplateRuntimeError } from './errors.ts';
import { guardWidth, iterate, pyCapitalize, pyCenter, pyReplace, pySplitlines, pyStrip } from './methods.ts';
import { percentFormat, toFixedPy } from './pyformat.ts';
import { Loop, Cycler } from './runtime.ts';
import {
  GROUP,
  Namespace,
  PyFloat,
  TemplateModule,
  Undefined,
  StrictUndefined,
  dictEntries,
  isDict,
  isFloat,
  isInt,
  isTuple,
  mkFloat,
  mkTuple,
  numOf,
  pyCompare,
  pyEq,
  pyRepr,
  pyStr,
  pyTypeName,
  reprFloat,
  truthy,
  BoundMethod,
  boundedParts,
} from './values.ts';

type E = FilterEnv;
type Fn = (env: E, value: never, ...args: never[]) => unknown;
const f = (params: string[], fn: Fn): CallableSpec => ({ fn: fn as CallableSpec['fn'], params });
const raw = (
  fn: (env: E, value: never, args: unknown[], kwargs: Record<string, unknown>) => unknown,
): CallableSpec => ({ fn: fn as CallableSpec['fn'], raw: true });

/** Python len(). */
export function pyLen(v: unknown): number {
  if (typeof v === 'string') {
    let n = 0;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c < 0xd800 || c > 0xdbff) n++;
    }
    return n;
  }
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (isDict(v)) return Object.keys(v).length;
  if (v instanceof Undefined) {
    if (v instanceof StrictUndefined) v.fail();
    return 0;
  }
  throw new TemplateRuntimeError(`object of type '${pyTypeName(v)}' has no len()`);
}

const ignoreCase = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

function attrParts(attribute: unknown): unknown[] {
  if (typeof attribute === 'string') return attribute.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return [attribute];
}

/** Jinja2's make_attrgetter: dotted path / index lookup with optional post-processing and default. */
export function attrGetter(
  env: E,
  attribute: unknown,
  post?: (v: unknown) => unknown,
  deflt?: unknown,
): (item: unknown) => unknown {
  const parts = attribute === null || attribute === undefined ? [] : attrParts(attribute);
  return (item: unknown) => {
    let v = item;
    for (const p of parts) {
      v = env.rt.gi(v, p);
      if (deflt !== undefined && deflt !== null && v instanceof Undefined) v = deflt;
    }
    return post ? post(v) : v;
  };
}

function multiAttrGetter(env: E, attribute: unknown, post?: (v: unknown) => unknown): (item: unknown) => unknown {
  const attrs = typeof attribute === 'string' ? attribute.split(',') : [attribute];
  const getters = attrs.map((a) => attrGetter(env, a, post));
  return (item) => getters.map((g) => g(item));
}

function sortBy(items: unknown[], key: (v: unknown) => unknown, reverse: boolean): unknown[] {
  const keyed = items.map((v, i) => ({ k: key(v), v, i }));
  keyed.sort((a, b) => {
    const c = pyCompare(a.k, b.k);
    if (c !== 0) return reverse ? -c : c;
    return a.i - b.i;
  });
  return keyed.map((x) => x.v);
}

/** Python float(x) conversion; null when not convertible. */
export function toPyFloat(v: unknown): number | null {
  if (typeof v === 'string') {
    const s = v.trim().replace(/(?<=\d)_(?=\d)/g, '');
    if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(s)) return NaN;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return null;
    return Number(s);
  }
  return numOf(v);
}

/** Python int(x, base) conversion for strings; null when not convertible. */
export function parsePyInt(v: string, base = 10): number | null {
  let s = v.trim();
  let sign = 1;
  if (s.startsWith('+') || s.startsWith('-')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  let b = base;
  const prefix = /^0([xob])/i.exec(s);
  if (prefix) {
    const pb = { x: 16, o: 8, b: 2 }[prefix[1].toLowerCase() as 'x' | 'o' | 'b'];
    if (b === 0 || b === pb) {
      b = pb;
      s = s.slice(2).replace(/^_/, '');
    }
  }
  if (b === 0) b = 10;
  if (!/^[0-9a-z]+(_[0-9a-z]+)*$/i.test(s)) return null;
  s = s.replace(/_/g, '');
  let n = 0;
  for (const ch of s.toLowerCase()) {
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= b) return null;
    n = n * b + d;
  }
  return sign * n;
}

/** Python's round(x, n) (round-half-even on the exact binary value). */
export function pyRound(x: number, n: number): number {
  if (!Number.isFinite(x)) return x;
  if (n > 15 || Math.abs(x) >= 1e21) return x;
  if (n < 0) {
    const p = 10 ** -n;
    const q = x / p;
    const r = Math.round(q);
    const tie = Math.abs(q - Math.trunc(q)) === 0.5;
    return (tie ? (Math.trunc(q) % 2 === 0 ? Math.trunc(q) : Math.trunc(q) + Math.sign(q)) : r) * p;
  }
  const s = toFixedPy(Math.abs(x), n);
  const r = Number(s);
  return x < 0 ? -r : r;
}

function htmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&#39;')
    .replace(/"/g, '&#34;');
}

/** Python's urllib.parse.quote. */
function urlQuote(v: unknown, forQs: boolean): string {
  const s = typeof v === 'string' ? v : pyStr(v);
  const bytes = new TextEncoder().encode(s);
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9_.\-~]/.test(c) || (!forQs && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return forQs ? out.replace(/%20/g, '+') : out;
}

/** Python json.dumps(sort_keys=True) made HTML-safe, as Jinja2's tojson does. */
export function pyJsonDumps(v: unknown, indent: number | string | null, sortKeys: boolean, htmlSafe: boolean): string {
  const ind = indent === null || indent === undefined ? null : typeof indent === 'string' ? indent : ' '.repeat(indent);
  const esc = (s: string): string => {
    let out = '"';
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      if (ch === '"') out += '\\"';
      else if (ch === '\\') out += '\\\\';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (c < 0x20 || c > 0x7e) {
        if (c > 0xffff) {
          const hi = 0xd800 + ((c - 0x10000) >> 10);
          const lo = 0xdc00 + ((c - 0x10000) & 0x3ff);
          out += '\\u' + hi.toString(16).padStart(4, '0') + '\\u' + lo.toString(16).padStart(4, '0');
        } else out += '\\u' + c.toString(16).padStart(4, '0');
      } else out += ch;
    }
    return out + '"';
  };
  const rec = (x: unknown, level: number): string => {
    if (x === null) return 'null';
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (typeof x === 'string') return esc(x);
    if (typeof x === 'number')
      return Number.isInteger(x)
        ? String(x)
        : Number.isNaN(x)
          ? 'NaN'
          : x === Infinity
            ? 'Infinity'
            : x === -Infinity
              ? '-Infinity'
              : reprFloat(x);
    if (x instanceof PyFloat) return reprFloat(x.v);
    const nl = ind === null ? '' : '\n' + ind.repeat(level + 1);
    const end = ind === null ? '' : '\n' + ind.repeat(level);
    const sep = ind === null ? ', ' : ',';
    if (Array.isArray(x)) {
      if (!x.length) return '[]';
      return '[' + nl + boundedParts(x, (e) => rec(e, level + 1)).join(sep + nl) + end + ']';
    }
    if (isDict(x)) {
      let entries = dictEntries(x).map(([k, val]) => {
        let key: string;
        if (typeof k === 'string') key = k;
        else if (typeof k === 'number' || k instanceof PyFloat) key = isFloat(k) ? reprFloat(Number(k)) : String(k);
        else if (typeof k === 'boolean') key = k ? 'true' : 'false';
        else if (k === null) key = 'null';
        else throw new TemplateRuntimeError(`keys must be str, int, float, bool or None, not ${pyTypeName(k)}`);
        return [key, val] as [string, unknown];
      });
      if (sortKeys) entries = entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      if (!entries.length) return '{}';
      return (
        '{' + nl + boundedParts(entries, ([k, val]) => esc(k) + ': ' + rec(val, level + 1)).join(sep + nl) + end + '}'
      );
    }
    if (x instanceof Undefined) x.fail();
    throw new TemplateRuntimeError(`Object of type ${pyTypeName(x)} is not JSON serializable`);
  };
  let out = rec(v, 0);
  if (htmlSafe)
    out = out.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
  return out;
}

/** Python's textwrap.wrap with Jinja2's wordwrap settings (no tab expansion, whitespace kept). */
export function textWrap(text: string, width: number, breakLongWords: boolean, breakOnHyphens: boolean): string[] {
  // Chunks follow textwrap's wordsep regexes: whitespace runs, and words split after hyphens.
  const chunks: string[] = [];
  const re = breakOnHyphens ? /\s+|(?:-+(?=\w)|[^\s-]*?\w+-+(?=\w))|[^\s-]+-*|-+/gy : /\s+|\S+/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    m = re.exec(text);
    if (!m || m[0] === '') {
      chunks.push(text.slice(pos, pos + 1));
      pos += 1;
      continue;
    }
    chunks.push(m[0]);
    pos = re.lastIndex;
  }
  const isWs = (c: string): boolean => /^\s+$/.test(c);
  const lines: string[] = [];
  chunks.reverse();
  while (chunks.length) {
    let cur: string[] = [];
    let len = 0;
    {
      if (chunks.length && isWs(chunks[chunks.length - 1]) && lines.length > 0) chunks.pop();
      else if (chunks.length && isWs(chunks[chunks.length - 1]) && lines.length === 0 && cur.length === 0) {
        // textwrap drops leading whitespace of the first line too (drop_whitespace=True).
        chunks.pop();
      }
    }
    while (chunks.length) {
      const l = chunks[chunks.length - 1].length;
      if (len + l <= width) {
        cur.push(chunks.pop()!);
        len += l;
      } else break;
    }
    if (chunks.length && chunks[chunks.length - 1].length > width) {
      const chunk = chunks[chunks.length - 1];
      const spaceLeft = width < 1 ? 1 : width - len;
      if (breakLongWords) {
        let end = spaceLeft;
        if (breakOnHyphens && chunk.length > spaceLeft) {
          const hyphen = chunk.lastIndexOf('-', spaceLeft - 1);
          if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
        }
        cur.push(chunk.slice(0, end));
        chunks[chunks.length - 1] = chunk.slice(end);
        len += end;
      } else if (!cur.length) {
        cur.push(chunks.pop()!);
      }
    }
    if (cur.length && isWs(cur[cur.length - 1])) {
      len -= cur[cur.length - 1].length;
      cur = cur.slice(0, -1);
    }
    if (cur.length) lines.push(cur.join(''));
  }
  return lines;
}

function applyTest(
  env: E,
  name: unknown,
  value: unknown,
  args: unknown[],
  kwargs: Record<string, unknown> | null,
): boolean {
  if (typeof name !== 'string') throw new TemplateRuntimeError('test name must be a string');
  const spec = env.env.tests[name];
  if (!spec) throw new TemplateRuntimeError(`No test named '${name}'.`);
  return truthy(
    (env as unknown as { callSpec: (...a: unknown[]) => unknown }).callSpec(spec, name, value, args, kwargs),
  );
}

function applyFilter(
  env: E,
  name: unknown,
  value: unknown,
  args: unknown[],
  kwargs: Record<string, unknown> | null,
): unknown {
  if (typeof name !== 'string') throw new TemplateRuntimeError('filter name must be a string');
  const spec = env.env.filters[name];
  if (!spec) throw new TemplateRuntimeError(`No filter named '${name}'.`);
  return (env as unknown as { callSpec: (...a: unknown[]) => unknown }).callSpec(spec, name, value, args, kwargs);
}

function selectOrReject(
  env: E,
  value: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
  useAttr: boolean,
  keep: boolean,
): unknown[] {
  let getter = (x: unknown): unknown => x;
  let rest = args;
  if (useAttr) {
    if (!rest.length) throw new TemplateRuntimeError('Missing parameter for attribute name');
    getter = attrGetter(env, rest[0]);
    rest = rest.slice(1);
  }
  let test: (x: unknown) => boolean;
  if (rest.length) {
    const [name, ...targs] = rest;
    test = (x) => applyTest(env, name, x, targs, Object.keys(kwargs).length ? kwargs : null);
  } else test = (x) => truthy(x);
  return iterate(value).filter((x) => test(getter(x)) === keep);
}

function minMax(env: E, value: unknown, caseSensitive: unknown, attribute: unknown, wantMax: boolean): unknown {
  const items = iterate(value);
  if (!items.length) return env.undefined(null, 'No aggregated item, sequence was empty.');
  const key = attrGetter(env, attribute, truthy(caseSensitive) ? undefined : ignoreCase);
  let best = items[0];
  let bk = key(best);
  for (let i = 1; i < items.length; i++) {
    const k = key(items[i]);
    const c = pyCompare(k, bk);
    if (wantMax ? c > 0 : c < 0) {
      best = items[i];
      bk = k;
    }
  }
  return best;
}

function sortedRepr(x: unknown): string {
  if (Array.isArray(x)) {
    const parts = boundedParts(x, sortedRepr);
    if (isTuple(x)) return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
    return `[${parts.join(', ')}]`;
  }
  if (isDict(x)) return `{${boundedParts(sortedEntries(x), ([k, v]) => `${pyRepr(k)}: ${sortedRepr(v)}`).join(', ')}}`;
  return pyRepr(x);
}

function sortedEntries(d: Record<string, unknown> | Map<unknown, unknown>): [unknown, unknown][] {
  return dictEntries(d).sort((a, b) => {
    try {
      return pyCompare(a[0], b[0]);
    } catch {
      return 0;
    }
  });
}

/** Python's pprint.pformat (width 80, sorted dicts) for lists, tuples and dicts. */
export function pformat(v: unknown, width = 80): string {
  const out: string[] = [];
  const fmt = (obj: unknown, indent: number, allowance: number): void => {
    const rep = sortedRepr(obj);
    if (rep.length <= width - indent - allowance || !(Array.isArray(obj) || isDict(obj))) {
      out.push(rep);
      return;
    }
    if (isDict(obj)) {
      out.push('{');
      const items = sortedEntries(obj);
      const ind = indent + 1;
      items.forEach(([k, val], i) => {
        const last = i === items.length - 1;
        const kr = pyRepr(k);
        out.push(kr + ': ');
        fmt(val, ind + kr.length + 2, last ? allowance + 1 : 1);
        if (!last) out.push(',\n' + ' '.repeat(ind));
      });
      out.push('}');
      return;
    }
    const arr = obj as unknown[];
    const tuple = isTuple(arr);
    out.push(tuple ? '(' : '[');
    const ind = indent + 1;
    arr.forEach((item, i) => {
      const last = i === arr.length - 1;
      if (i) out.push(',\n' + ' '.repeat(ind));
      fmt(item, ind, last ? allowance + 1 : 1);
    });
    out.push(tuple ? (arr.length === 1 ? ',)' : ')') : ']');
  };
  fmt(v, 0, 0);
  return out.join('');
}

/** Charges a result some helper has already built (format strings: pad() bounds each field). */
function charged<T>(v: T): T {
  chargeValue(v);
  return v;
}

function fail(msg: string): never {
  throw new TemplateRuntimeError(msg);
}

export const BUILTIN_FILTERS: Record<string, CallableSpec> = {
  abs: f([], (_e, v: unknown) => {
    if (typeof v === 'number') return Math.abs(v);
    if (v instanceof PyFloat) return new PyFloat(Math.abs(v.v));
    if (typeof v === 'boolean') return v ? 1 : 0;
    fail(`bad operand type for abs(): '${pyTypeName(v)}'`);
  }),
  attr: f(['name'], (e, obj: unknown, name: unknown) => {
    if (obj instanceof Undefined) obj.fail();
    const n = pyStr(name);
    if (obj instanceof Namespace || obj instanceof TemplateModule || obj instanceof Loop || obj instanceof Cycler)
      return e.rt.ga(obj, n);
    const v = e.rt.gaSlow(obj, n);
    if (v instanceof BoundMethod) return v;
    return e.rt.undefAttr(obj, n);
  }),
  batch: f(['linecount', 'fill_with'], (_e, value: unknown, linecount: unknown, fillWith: unknown = null) => {
    const n = Number(linecount);
    const items = iterate(value);
    // Every item is copied once; fill_with pads the last batch up to linecount items.
    chargeItems(items.length + (fillWith !== null && items.length % n !== 0 ? n - (items.length % n) : 0));
    const out: unknown[][] = [];
    let tmp: unknown[] = [];
    for (const item of items) {
      if (tmp.length === n) {
        out.push(tmp);
        tmp = [];
      }
      tmp.push(item);
    }
    if (tmp.length) {
      if (fillWith !== null && tmp.length < n) while (tmp.length < n) tmp.push(fillWith);
      out.push(tmp);
    }
    return out;
  }),
  capitalize: f([], (_e, s: unknown) => pyCapitalize(pyStr(s))),
  center: f(['width'], (_e, v: unknown, width: unknown = 80) => pyCenter(pyStr(v), Number(width))),
  count: f([], (_e, v: unknown) => pyLen(v)),
  default: f(['default_value', 'boolean'], (_e, v: unknown, d: unknown = '', boolean: unknown = false) =>
    v instanceof Undefined || (truthy(boolean) && !truthy(v)) ? d : v,
  ),
  dictsort: f(
    ['case_sensitive', 'by', 'reverse'],
    (_e, value: unknown, caseSensitive: unknown = false, by: unknown = 'key', reverse: unknown = false) => {
      if (!isDict(value)) fail('dictsort filter needs a mapping');
      const pos = by === 'key' ? 0 : by === 'value' ? 1 : fail('You can only sort by either "key" or "value"');
      const items = dictEntries(value).map((e) => mkTuple(e));
      return sortBy(
        items,
        (it) => {
          const v = (it as unknown[])[pos];
          return truthy(caseSensitive) ? v : ignoreCase(v);
        },
        truthy(reverse),
      );
    },
  ),
  escape: f([], (_e, v: unknown) => htmlEscape(pyStr(v))),
  filesizeformat: f(['binary'], (_e, value: unknown, binary: unknown = false) => {
    const bytes = toPyFloat(value);
    if (bytes === null) fail(`could not convert ${pyTypeName(value)} to float`);
    const base = truthy(binary) ? 1024 : 1000;
    const prefixes = truthy(binary)
      ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
      : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    if (bytes === 1) return '1 Byte';
    if (bytes! < base) return `${Math.trunc(bytes!)} Bytes`;
    let unit = 0;
    let prefix = '';
    for (let i = 0; i < prefixes.length; i++) {
      unit = base ** (i + 2);
      prefix = prefixes[i];
      if (bytes! < unit) break;
    }
    return `${((base * bytes!) / unit).toFixed(1)} ${prefix}`;
  }),
  first: f([], (e, seq: unknown) => {
    const items = iterate(seq);
    return items.length ? items[0] : e.undefined(null, 'No first item, sequence was empty.');
  }),
  float: f(['default'], (_e, v: unknown, d: unknown = new PyFloat(0)) => {
    const n = toPyFloat(v);
    return n === null ? d : mkFloat(n);
  }),
  forceescape: f([], (_e, v: unknown) => htmlEscape(pyStr(v))),
  format: raw((_e, value: unknown, args, kwargs) => {
    const hasKw = Object.keys(kwargs).length > 0;
    if (args.length && hasKw) fail("can't handle positional and keyword arguments at the same time");
    return charged(percentFormat(pyStr(value), hasKw ? new Map(Object.entries(kwargs)) : mkTuple(args)));
  }),
  groupby: f(
    ['attribute', 'default', 'case_sensitive'],
    (e, value: unknown, attribute: unknown, deflt: unknown = null, caseSensitive: unknown = false) => {
      const cs = truthy(caseSensitive);
      const key = attrGetter(e, attribute, cs ? undefined : ignoreCase, deflt);
      const sorted = sortBy(iterate(value), key, false);
      const groups: [unknown, unknown[]][] = [];
      for (const item of sorted) {
        const k = key(item);
        const last = groups[groups.length - 1];
        if (last && pyEq(last[0], k)) last[1].push(item);
        else groups.push([k, [item]]);
      }
      const outKey = cs ? null : attrGetter(e, attribute, undefined, deflt);
      return groups.map(([k, items]) => {
        const g = mkTuple([outKey ? outKey(items[0]) : k, items]);
        (g as unknown as { [GROUP]: true })[GROUP] = true;
        return g;
      });
    },
  ),
  indent: f(
    ['width', 'first', 'blank'],
    (_e, value: unknown, width: unknown = 4, first: unknown = false, blank: unknown = false) => {
      const wn = Number(width);
      if (typeof width !== 'string') chargeString(wn);
      const ind = typeof width === 'string' ? width : ' '.repeat(guardWidth(wn));
      const s = pyStr(value) + '\n';
      const lineCount = pySplitlines(s).length;
      chargeString(s.length + (lineCount + 1) * ind.length);
      let rv: string;
      if (truthy(blank)) rv = pySplitlines(s).join('\n' + ind);
      else {
        const lines = pySplitlines(s);
        rv = lines.shift() ?? '';
        if (lines.length) rv += '\n' + lines.map((l) => (l ? ind + l : l)).join('\n');
      }
      if (truthy(first)) rv = ind + rv;
      return rv;
    },
  ),
  int: f(['default', 'base'], (_e, v: unknown, d: unknown = 0, base: unknown = 10) => {
    if (typeof v === 'string') {
      const n = parsePyInt(v, Number(base));
      if (n !== null) return n;
      const fl = toPyFloat(v);
      return fl === null || !Number.isFinite(fl) ? d : Math.trunc(fl);
    }
    const n = numOf(v);
    if (n === null || !Number.isFinite(n)) return d;
    return Math.trunc(n) + 0;
  }),
  items: f([], (_e, value: unknown) => {
    if (value instanceof Undefined) return [];
    if (!isDict(value)) fail('Can only get item pairs from a mapping.');
    return dictEntries(value).map((e) => mkTuple(e));
  }),
  join: f(['d', 'attribute'], (e, value: unknown, d: unknown = '', attribute: unknown = null) => {
    let items = iterate(value);
    if (attribute !== null && attribute !== undefined) items = items.map(attrGetter(e, attribute));
    const sep = pyStr(d);
    // Convert first, then check the total before building the result.
    const parts = items.map((x) => (typeof x === 'string' ? x : pyStr(x)));
    let total = parts.length > 1 ? sep.length * (parts.length - 1) : 0;
    for (const p of parts) total += p.length;
    chargeString(total);
    return parts.join(sep);
  }),
  last: f([], (e, seq: unknown) => {
    const items = iterate(seq);
    return items.length ? items[items.length - 1] : e.undefined(null, 'No last item, sequence was empty.');
  }),
  length: f([], (_e, v: unknown) => pyLen(v)),
  list: f([], (_e, v: unknown) => {
    const items = iterate(v);
    chargeItems(items.length);
    return items.slice();
  }),
  lower: f([], (_e, v: unknown) => pyStr(v).toLowerCase()),
  map: raw((e, value: unknown, args, kwargs) => {
    const items = iterate(value);
    if (!args.length && Object.hasOwn(kwargs, 'attribute')) {
      const extra = Object.keys(kwargs).filter((k) => k !== 'attribute' && k !== 'default');
      if (extra.length) fail(`Unexpected keyword argument '${extra[0]}'`);
      const get = attrGetter(
        e,
        kwargs.attribute,
        undefined,
        Object.hasOwn(kwargs, 'default') ? kwargs.default : undefined,
      );
      return items.map(get);
    }
    if (!args.length) fail('map requires a filter argument');
    const [name, ...fargs] = args;
    return items.map((x) => applyFilter(e, name, x, fargs, Object.keys(kwargs).length ? kwargs : null));
  }),
  max: f(['case_sensitive', 'attribute'], (e, value: unknown, cs: unknown = false, attribute: unknown = null) =>
    minMax(e, value, cs, attribute, true),
  ),
  min: f(['case_sensitive', 'attribute'], (e, value: unknown, cs: unknown = false, attribute: unknown = null) =>
    minMax(e, value, cs, attribute, false),
  ),
  pprint: f([], (_e, v: unknown) => pformat(v)),
  random: f([], (e, seq: unknown) => {
    const items = iterate(seq);
    return items.length
      ? items[Math.floor(Math.random() * items.length)]
      : e.undefined(null, 'No random item, sequence was empty.');
  }),
  reject: raw((e, value: unknown, args, kwargs) => selectOrReject(e, value, args, kwargs, false, false)),
  rejectattr: raw((e, value: unknown, args, kwargs) => selectOrReject(e, value, args, kwargs, true, false)),
  replace: f(['old', 'new', 'count'], (_e, s: unknown, old: unknown, nw: unknown, count: unknown = null) =>
    pyReplace(pyStr(s), pyStr(old), pyStr(nw), count === null ? -1 : Number(count)),
  ),
  reverse: f([], (_e, v: unknown) => {
    if (typeof v === 'string') {
      chargeItems(v.length);
      return [...v].reverse().join('');
    }
    const items = iterate(v);
    chargeItems(items.length);
    return items.slice().reverse();
  }),
  round: f(['precision', 'method'], (_e, value: unknown, precision: unknown = 0, method: unknown = 'common') => {
    if (method !== 'common' && method !== 'ceil' && method !== 'floor') fail('method must be common, ceil or floor');
    const x = numOf(value);
    if (x === null) fail(`type ${pyTypeName(value)} doesn't define __round__ method`);
    const p = Number(precision);
    if (method === 'common') {
      if (isInt(value) || typeof value === 'boolean') return isInt(value) ? (p >= 0 ? value : pyRound(value, p)) : x;
      return mkFloat(pyRound(x!, p));
    }
    const fn = method === 'ceil' ? Math.ceil : Math.floor;
    return mkFloat(fn(x! * 10 ** p) / 10 ** p);
  }),
  safe: f([], (_e, v: unknown) => (typeof v === 'string' ? v : pyStr(v))),
  select: raw((e, value: unknown, args, kwargs) => selectOrReject(e, value, args, kwargs, false, true)),
  selectattr: raw((e, value: unknown, args, kwargs) => selectOrReject(e, value, args, kwargs, true, true)),
  slice: f(['slices', 'fill_with'], (_e, value: unknown, slices: unknown, fillWith: unknown = null) => {
    const seq = iterate(value);
    const n = Number(slices);
    const length = seq.length;
    // n lists hold every item once, plus one fill value per short slice.
    chargeItems(n + length + (fillWith !== null ? n : 0));
    const per = Math.floor(length / n);
    const extra = length % n;
    let offset = 0;
    const out: unknown[][] = [];
    for (let i = 0; i < n; i++) {
      const start = offset + i * per;
      if (i < extra) offset += 1;
      const end = offset + (i + 1) * per;
      const tmp = seq.slice(start, end);
      if (fillWith !== null && i >= extra) tmp.push(fillWith);
      out.push(tmp);
    }
    return out;
  }),
  sort: f(
    ['reverse', 'case_sensitive', 'attribute'],
    (e, value: unknown, reverse: unknown = false, cs: unknown = false, attribute: unknown = null) => {
      const key = multiAttrGetter(e, attribute, truthy(cs) ? undefined : ignoreCase);
      const single = attribute === null || typeof attribute !== 'string' || !attribute.includes(',');
      return sortBy(iterate(value), single ? (x) => (key(x) as unknown[])[0] : key, truthy(reverse));
    },
  ),
  string: f([], (_e, v: unknown) => pyStr(v)),
  striptags: f([], (_e, v: unknown) => {
    let s = pyStr(v)
      .replace(/<!--.*?-->/gs, '')
      .replace(/<.*?>/gs, '');
    s = s.split(/[\s]+/).filter(Boolean).join(' ');
    return s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;|&#34;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  }),
  sum: f(['attribute', 'start'], (e, value: unknown, attribute: unknown = null, start: unknown = 0) => {
    let items = iterate(value);
    if (attribute !== null && attribute !== undefined) items = items.map(attrGetter(e, attribute));
    let acc = start;
    for (const x of items) acc = e.rt.add(acc, x);
    return acc;
  }),
  title: f([], (_e, v: unknown) => {
    const parts = pyStr(v).split(/([-\s({[<]+)/);
    return parts
      .filter(Boolean)
      .map((item) => {
        const first = String.fromCodePoint(item.codePointAt(0)!);
        return first.toUpperCase() + item.slice(first.length).toLowerCase();
      })
      .join('');
  }),
  tojson: f(['indent'], (_e, v: unknown, indent: unknown = null) =>
    pyJsonDumps(v, indent as number | null, true, true),
  ),
  trim: f(['chars'], (_e, v: unknown, chars: unknown = null) => pyStrip(pyStr(v), chars, true, true)),
  truncate: f(
    ['length', 'killwords', 'end', 'leeway'],
    (
      _e,
      value: unknown,
      length: unknown = 255,
      killwords: unknown = false,
      end: unknown = '...',
      leeway: unknown = null,
    ) => {
      const s = pyStr(value);
      const len = Number(length);
      const endS = pyStr(end);
      const lw = leeway === null ? 5 : Number(leeway);
      if (len < endS.length) fail(`expected length >= ${endS.length}, got ${len}`);
      if (lw < 0) fail(`expected leeway >= 0, got ${lw}`);
      if (s.length <= len + lw) return s;
      chargeString(Math.min(s.length, len) + endS.length);
      if (truthy(killwords)) return s.slice(0, len - endS.length) + endS;
      const head = s.slice(0, len - endS.length);
      const i = head.lastIndexOf(' ');
      return (i < 0 ? head : head.slice(0, i)) + endS;
    },
  ),
  unique: f(['case_sensitive', 'attribute'], (e, value: unknown, cs: unknown = false, attribute: unknown = null) => {
    const key = attrGetter(e, attribute, truthy(cs) ? undefined : ignoreCase);
    const seen: unknown[] = [];
    const seenPrim = new Set<unknown>();
    const out: unknown[] = [];
    for (const item of iterate(value)) {
      const k = key(item);
      if (typeof k === 'string') {
        if (seenPrim.has('s:' + k)) continue;
        seenPrim.add('s:' + k);
      } else if (seen.some((s) => pyEq(s, k))) continue;
      else seen.push(k);
      out.push(item);
    }
    return out;
  }),
  upper: f([], (_e, v: unknown) => pyStr(v).toUpperCase()),
  urlencode: f([], (_e, value: unknown) => {
    if (typeof value === 'string' || (!Array.isArray(value) && !isDict(value))) return urlQuote(value, false);
    const pairs = isDict(value) ? dictEntries(value) : (value as unknown[]).map((p) => iterate(p));
    return pairs.map(([k, v]) => `${urlQuote(k, true)}=${urlQuote(v, true)}`).join('&');
  }),
  wordcount: f([], (_e, v: unknown) => (pyStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length),
  wordwrap: f(
    ['width', 'break_long_words', 'wrapstring', 'break_on_hyphens'],
    (_e, v: unknown, width: unknown = 79, blw: unknown = true, wrapstring: unknown = null, boh: unknown = true) => {
      const ws = wrapstring === null ? '\n' : pyStr(wrapstring);
      const text = pyStr(v);
      // Every chunk may become a line of its own: bound the worst case before wrapping.
      chargeItems(text.length);
      const wrapped = pySplitlines(text).map((line) => textWrap(line, Number(width), truthy(blw), truthy(boh)));
      let total = wrapped.length > 1 ? ws.length * (wrapped.length - 1) : 0;
      for (const lines of wrapped) {
        if (lines.length > 1) total += ws.length * (lines.length - 1);
        for (const l of lines) total += l.length;
      }
      chargeString(total);
      return wrapped.map((lines) => lines.join(ws)).join(ws);
    },
  ),
  xmlattr: f(['autospace'], (_e, d: unknown, autospace: unknown = true) => {
    if (!isDict(d)) fail('xmlattr needs a mapping');
    const items: string[] = [];
    for (const [k, v] of dictEntries(d)) {
      if (v === null || v instanceof Undefined) continue;
      const key = pyStr(k);
      if (/[\s/>=]/.test(key)) fail(`Invalid character in attribute name: ${pyRepr(key)}`);
      items.push(`${htmlEscape(key)}="${htmlEscape(pyStr(v))}"`);
    }
    const rv = items.join(' ');
    return truthy(autospace) && rv ? ' ' + rv : rv;
  }),
};
// Filters that return (part of) their input, or that size and charge their result themselves before
// building it; every other builtin filter's new string or list is charged against the render's budget.
const SELF_CHARGED = new Set([
  'attr',
  'batch',
  'center',
  'default',
  'first',
  'format',
  'indent',
  'join',
  'last',
  'list',
  'max',
  'min',
  'random',
  'replace',
  'reverse',
  'slice',
  'sum',
  'truncate',
  'wordwrap',
]);
for (const [name, spec] of Object.entries(BUILTIN_FILTERS)) {
  if (SELF_CHARGED.has(name)) continue;
  const inner = spec.fn as (...a: unknown[]) => unknown;
  spec.fn = ((env: unknown, value: unknown, ...rest: unknown[]) => {
    const r = inner(env, value, ...rest);
    if (r !== value) chargeValue(r);
    return r;
  }) as CallableSpec['fn'];
}
BUILTIN_FILTERS.d = BUILTIN_FILTERS.default;
BUILTIN_FILTERS.e = BUILTIN_FILTERS.escape;

void isTuple;
