// The Python methods of str, list and dict that templates may call; nothing else is reachable (sandbox).
import { chargeItems, chargeString, chargeValue, checkItems } from './budget.ts';
import { TemplateRuntimeError } from './errors.ts';
import { strFormat } from './pyformat.ts';
import {
  PyFloat,
  dictEntries,
  dictGet,
  dictHas,
  dictKeys,
  dictSet,
  isDict,
  isInt,
  mkTuple,
  pyEq,
  pyStr,
  pyTypeName,
  Undefined,
  isTuple,
} from './values.ts';

/** Checks and charges a padding width against the render's budget before the padding is built. */
export function guardWidth(n: number): number {
  if (n > 0) chargeString(n);
  return n;
}

const PY_WS =
  '\t\n\v\f\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const isWs = (ch: string): boolean => PY_WS.includes(ch);

export const STR_METHODS = new Set([
  'capitalize',
  'casefold',
  'center',
  'count',
  'endswith',
  'find',
  'format',
  'index',
  'isalnum',
  'isalpha',
  'isdecimal',
  'isdigit',
  'islower',
  'isnumeric',
  'isspace',
  'istitle',
  'isupper',
  'join',
  'ljust',
  'lower',
  'lstrip',
  'partition',
  'removeprefix',
  'removesuffix',
  'replace',
  'rfind',
  'rindex',
  'rjust',
  'rpartition',
  'rsplit',
  'rstrip',
  'split',
  'splitlines',
  'startswith',
  'strip',
  'swapcase',
  'title',
  'upper',
  'zfill',
]);
export const LIST_METHODS = new Set([
  'append',
  'clear',
  'copy',
  'count',
  'extend',
  'index',
  'insert',
  'pop',
  'remove',
  'reverse',
  'sort',
]);
export const TUPLE_METHODS = new Set(['count', 'index']);
export const DICT_METHODS = new Set(['clear', 'copy', 'get', 'items', 'keys', 'pop', 'setdefault', 'update', 'values']);
/** Every method name of any builtin type, so the compiler can pick the fast attribute path for the rest. */
export const ALL_METHOD_NAMES = new Set([...STR_METHODS, ...LIST_METHODS, ...DICT_METHODS]);

/** Python str.strip family. */
export function pyStrip(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? null : String(chars);
  const strip = (ch: string): boolean => (set === null ? isWs(ch) : set.includes(ch));
  let a = 0;
  let b = s.length;
  if (left) while (a < b && strip(s[a])) a++;
  if (right) while (b > a && strip(s[b - 1])) b--;
  return s.slice(a, b);
}

/** Python str.split(sep=None, maxsplit=-1). */
export function pySplit(s: string, sep: unknown, maxsplit = -1): string[] {
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let i = 0;
    const n = s.length;
    while (i < n) {
      while (i < n && isWs(s[i])) i++;
      if (i >= n) break;
      if (maxsplit >= 0 && out.length === maxsplit) {
        let end = n;
        while (end > i && isWs(s[end - 1])) end--;
        out.push(s.slice(i, end));
        return out;
      }
      let j = i;
      while (j < n && !isWs(s[j])) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  const sp = String(sep);
  if (sp === '') throw new TemplateRuntimeError('empty separator');
  const parts = s.split(sp);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sp)];
}

function pyRsplit(s: string, sep: unknown, maxsplit = -1): string[] {
  if (maxsplit < 0) return pySplit(s, sep, -1);
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let j = s.length;
    while (j > 0) {
      while (j > 0 && isWs(s[j - 1])) j--;
      if (j <= 0) break;
      if (out.length === maxsplit) {
        let st = 0;
        while (st < j && isWs(s[st])) st++;
        out.push(s.slice(st, j));
        break;
      }
      let i = j;
      while (i > 0 && !isWs(s[i - 1])) i--;
      out.push(s.slice(i, j));
      j = i;
    }
    return out.reverse();
  }
  const sp = String(sep);
  if (sp === '') throw new TemplateRuntimeError('empty separator');
  const parts = s.split(sp);
  if (parts.length <= maxsplit + 1) return parts;
  const cut = parts.length - maxsplit;
  return [parts.slice(0, cut).join(sp), ...parts.slice(cut)];
}

/** Python str.replace(old, new, count=-1). */
export function pyReplace(s: string, old: string, rep: string, count = -1): string {
  // Size the result first: replacing '' (or a short needle) with a long string multiplies the input.
  let hits = 0;
  if (old === '') hits = s.length + 1;
  else for (let i = s.indexOf(old); i >= 0 && (count < 0 || hits < count); i = s.indexOf(old, i + old.length)) hits++;
  if (count >= 0) hits = Math.min(hits, count);
  chargeString(s.length + hits * (rep.length - old.length));
  if (count < 0) {
    if (old === '') return rep + [...s].join(rep) + (s.length ? rep : '');
    return s.split(old).join(rep);
  }
  let out = '';
  let i = 0;
  let n = 0;
  if (old === '') {
    const chars = [...s];
    for (let k = 0; k <= chars.length; k++) {
      if (n < count) {
        out += rep;
        n++;
      }
      if (k < chars.length) out += chars[k];
    }
    return out;
  }
  while (n < count) {
    const j = s.indexOf(old, i);
    if (j < 0) break;
    out += s.slice(i, j) + rep;
    i = j + old.length;
    n++;
  }
  return out + s.slice(i);
}

/** Python str.title(). */
export function pyTitle(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    const lo = ch.toLowerCase();
    const up = ch.toUpperCase();
    const cased = lo !== up;
    out += cased ? (prevCased ? lo : up) : ch;
    prevCased = cased;
  }
  return out;
}

/** Python str.capitalize(). */
export function pyCapitalize(s: string): string {
  if (!s) return s;
  const first = String.fromCodePoint(s.codePointAt(0)!);
  return first.toUpperCase() + s.slice(first.length).toLowerCase();
}

/** Python str.center(width, fillchar). */
export function pyCenter(s: string, width: number, fill = ' '): string {
  guardWidth(width * Math.max(1, fill.length));
  const len = [...s].length;
  if (width <= len) return s;
  const marg = width - len;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return fill.repeat(left) + s + fill.repeat(marg - left);
}

/** Python str.splitlines(keepends). */
export function pySplitlines(s: string, keepends = false): string[] {
  const out: string[] = [];
  const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    out.push(keepends ? s.slice(last, re.lastIndex) : s.slice(last, m.index));
    last = re.lastIndex;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

function normIndex(i: unknown, len: number, dflt: number): number {
  if (i === undefined || i === null) return dflt;
  let n = Number(i);
  if (n < 0) n = Math.max(0, n + len);
  return Math.min(n, len);
}

function expectStr(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new TemplateRuntimeError(`${what} must be str, not ${pyTypeName(v)}`);
  return v;
}

function affix(s: string, arg: unknown, start: unknown, end: unknown, atStart: boolean): boolean {
  const a = normIndex(start, s.length, 0);
  const b = normIndex(end, s.length, s.length);
  const sub = s.slice(a, b);
  const cands = Array.isArray(arg) ? arg : [arg];
  for (const c of cands) {
    const p = expectStr(c, atStart ? 'startswith first arg' : 'endswith first arg');
    if (atStart ? sub.startsWith(p) : sub.endsWith(p)) return true;
  }
  return false;
}

type Args = unknown[];
type Kw = Record<string, unknown> | null;
const kwarg = (kw: Kw, name: string, args: Args, i: number): unknown =>
  args.length > i ? args[i] : kw && Object.hasOwn(kw, name) ? kw[name] : undefined;

/** Dispatches a str method call. */
function strMethod(
  s: string,
  name: string,
  args: Args,
  kw: Kw,
  ga: (o: unknown, k: string) => unknown,
  gi: (o: unknown, k: unknown) => unknown,
): unknown {
  switch (name) {
    case 'upper':
      return s.toUpperCase();
    case 'lower':
      return s.toLowerCase();
    case 'casefold':
      return s.toLowerCase();
    case 'swapcase':
      return [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
    case 'title':
      return pyTitle(s);
    case 'capitalize':
      return pyCapitalize(s);
    case 'strip':
      return pyStrip(s, args[0], true, true);
    case 'lstrip':
      return pyStrip(s, args[0], true, false);
    case 'rstrip':
      return pyStrip(s, args[0], false, true);
    case 'split': {
      const sep = kwarg(kw, 'sep', args, 0);
      const max = kwarg(kw, 'maxsplit', args, 1);
      return pySplit(s, sep, max === undefined ? -1 : Number(max));
    }
    case 'rsplit': {
      const sep = kwarg(kw, 'sep', args, 0);
      const max = kwarg(kw, 'maxsplit', args, 1);
      return pyRsplit(s, sep, max === undefined ? -1 : Number(max));
    }
    case 'splitlines':
      return pySplitlines(s, !!kwarg(kw, 'keepends', args, 0));
    case 'join': {
      const items = iterate(args[0]);
      let total = items.length > 1 ? s.length * (items.length - 1) : 0;
      items.forEach((x, i) => {
        if (typeof x !== 'string')
          throw new TemplateRuntimeError(`sequence item ${i}: expected str instance, ${pyTypeName(x)} found`);
        total += x.length;
      });
      chargeString(total);
      return (items as string[]).join(s);
    }
    case 'startswith':
      return affix(s, args[0], args[1], args[2], true);
    case 'endswith':
      return affix(s, args[0], args[1], args[2], false);
    case 'replace':
      return pyReplace(
        s,
        expectStr(args[0], 'replace() argument 1'),
        expectStr(args[1], 'replace() argument 2'),
        args[2] === undefined ? -1 : Number(args[2]),
      );
    case 'format':
      return strFormat(s, args, kw, ga, gi);
    case 'count': {
      const sub = expectStr(args[0], 'count() argument');
      const h = s.slice(normIndex(args[1], s.length, 0), normIndex(args[2], s.length, s.length));
      if (sub === '') return [...h].length + 1;
      return h.split(sub).length - 1;
    }
    case 'find':
    case 'index':
    case 'rfind':
    case 'rindex': {
      const sub = expectStr(args[0], `${name}() argument`);
      const a = normIndex(args[1], s.length, 0);
      const b = normIndex(args[2], s.length, s.length);
      const h = s.slice(a, b);
      const r = name.startsWith('r') ? h.lastIndexOf(sub) : h.indexOf(sub);
      if (r < 0) {
        if (name.endsWith('index')) throw new TemplateRuntimeError('substring not found');
        return -1;
      }
      return r + a;
    }
    case 'center':
      return pyCenter(s, Number(args[0]), args[1] === undefined ? ' ' : String(args[1]));
    case 'ljust': {
      const f = args[1] === undefined ? ' ' : String(args[1]);
      const w = guardWidth(Number(args[0]) * Math.max(1, f.length)) / Math.max(1, f.length);
      const l = [...s].length;
      return l >= w ? s : s + f.repeat(w - l);
    }
    case 'rjust': {
      const f = args[1] === undefined ? ' ' : String(args[1]);
      const w = guardWidth(Number(args[0]) * Math.max(1, f.length)) / Math.max(1, f.length);
      const l = [...s].length;
      return l >= w ? s : f.repeat(w - l) + s;
    }
    case 'zfill': {
      const w = guardWidth(Number(args[0]));
      if (s.length >= w) return s;
      const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
      return sign + '0'.repeat(w - s.length) + s.slice(sign.length);
    }
    case 'partition':
    case 'rpartition': {
      const sep = expectStr(args[0], 'sep');
      const i = name === 'partition' ? s.indexOf(sep) : s.lastIndexOf(sep);
      if (i < 0) return name === 'partition' ? mkTuple([s, '', '']) : mkTuple(['', '', s]);
      return mkTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
    }
    case 'removeprefix': {
      const p = expectStr(args[0], 'prefix');
      return p && s.startsWith(p) ? s.slice(p.length) : s;
    }
    case 'removesuffix': {
      const p = expectStr(args[0], 'suffix');
      return p && s.endsWith(p) ? s.slice(0, -p.length) : s;
    }
    case 'isdigit':
    case 'isdecimal':
    case 'isnumeric':
      return s.length > 0 && /^\p{Nd}+$/u.test(s);
    case 'isalpha':
      return s.length > 0 && /^\p{L}+$/u.test(s);
    case 'isalnum':
      return s.length > 0 && /^[\p{L}\p{Nd}\p{N}]+$/u.test(s);
    case 'isspace':
      return s.length > 0 && [...s].every(isWs);
    case 'islower':
      return /\p{Ll}/u.test(s) && s === s.toLowerCase();
    case 'isupper':
      return /\p{Lu}/u.test(s) && s === s.toUpperCase();
    case 'istitle':
      return s.length > 0 && pyTitle(s) === s && /\p{L}/u.test(s);
  }
  throw new TemplateRuntimeError(`'str' object has no attribute '${name}'`);
}

function listMethod(a: unknown[], name: string, args: Args, kw: Kw): unknown {
  switch (name) {
    case 'append':
      checkItems(a.length + 1);
      a.push(args[0]);
      return null;
    case 'extend': {
      const items = iterate(args[0]);
      chargeItems(a.length + items.length);
      for (let i = 0, n = items.length; i < n; i++) a.push(items[i]);
      return null;
    }
    case 'insert': {
      checkItems(a.length + 1);
      let i = Number(args[0]);
      if (i < 0) i = Math.max(0, a.length + i);
      a.splice(Math.min(i, a.length), 0, args[1]);
      return null;
    }
    case 'pop': {
      if (!a.length) throw new TemplateRuntimeError('pop from empty list');
      let i = args.length ? Number(args[0]) : a.length - 1;
      if (i < 0) i += a.length;
      if (i < 0 || i >= a.length) throw new TemplateRuntimeError('pop index out of range');
      return a.splice(i, 1)[0];
    }
    case 'remove': {
      const i = a.findIndex((x) => pyEq(x, args[0]));
      if (i < 0) throw new TemplateRuntimeError('list.remove(x): x not in list');
      a.splice(i, 1);
      return null;
    }
    case 'clear':
      a.length = 0;
      return null;
    case 'copy':
      return a.slice();
    case 'reverse':
      a.reverse();
      return null;
    case 'count':
      return a.filter((x) => pyEq(x, args[0])).length;
    case 'index': {
      const i = a.findIndex((x) => pyEq(x, args[0]));
      if (i < 0) throw new TemplateRuntimeError(`${pyStr(args[0])} is not in list`);
      return i;
    }
    case 'sort': {
      void kw;
      throw new TemplateRuntimeError('list.sort() is not available in templates; use the sort filter');
    }
  }
  throw new TemplateRuntimeError(`'list' object has no attribute '${name}'`);
}

function dictMethod(d: Record<string, unknown> | Map<unknown, unknown>, name: string, args: Args, kw: Kw): unknown {
  switch (name) {
    case 'items':
      return dictEntries(d).map((e) => mkTuple(e));
    case 'keys':
      return dictKeys(d);
    case 'values':
      return d instanceof Map ? [...d.values()] : Object.values(d);
    case 'get': {
      const v = dictGet(d, args[0]);
      return v === undefined ? (args.length > 1 ? args[1] : null) : v;
    }
    case 'copy':
      return d instanceof Map ? new Map(d) : Object.assign(Object.create(null), d);
    case 'pop': {
      const v = dictGet(d, args[0]);
      if (v === undefined) {
        if (args.length > 1) return args[1];
        throw new TemplateRuntimeError(`KeyError: ${pyStr(args[0])}`);
      }
      dictDelete(d, args[0]);
      return v;
    }
    case 'setdefault': {
      if (dictHas(d, args[0])) return dictGet(d, args[0]);
      const v = args.length > 1 ? args[1] : null;
      dictStore(d, args[0], v);
      return v;
    }
    case 'update': {
      if (args.length) {
        const src = args[0];
        const pairs = isDict(src) ? dictEntries(src) : iterate(src).map((p) => iterate(p) as [unknown, unknown]);
        for (const [k, v] of pairs) dictStore(d, k, v);
      }
      if (kw) for (const [k, v] of Object.entries(kw)) dictStore(d, k, v);
      return null;
    }
    case 'clear':
      if (d instanceof Map) d.clear();
      else for (const k of Object.keys(d)) delete d[k];
      return null;
  }
  throw new TemplateRuntimeError(`'dict' object has no attribute '${name}'`);
}

function dictStore(d: Record<string, unknown> | Map<unknown, unknown>, k: unknown, v: unknown): void {
  if (d instanceof Map) {
    checkItems(d.size + 1);
    dictSet(d, k, v);
  } else if (typeof k === 'string') {
    // defineProperty keeps "__proto__" an ordinary own key instead of swapping the prototype.
    Object.defineProperty(d, k, { value: v, writable: true, enumerable: true, configurable: true });
  } else throw new TemplateRuntimeError('dicts from the render context only accept string keys');
}

function dictDelete(d: Record<string, unknown> | Map<unknown, unknown>, k: unknown): void {
  if (d instanceof Map) d.delete(k);
  else if (typeof k === 'string') delete d[k];
}

/** Whether a builtin value has a Python method of this name. */
export function hasMethod(self: unknown, name: string): boolean {
  if (typeof self === 'string') return STR_METHODS.has(name);
  if (Array.isArray(self)) return isTuple(self) ? TUPLE_METHODS.has(name) : LIST_METHODS.has(name);
  if (isDict(self)) return DICT_METHODS.has(name);
  return false;
}

/** Calls a Python builtin method on a str, list or dict. */
export function callMethod(
  self: unknown,
  name: string,
  args: Args,
  kw: Kw,
  ga: (o: unknown, k: string) => unknown,
  gi: (o: unknown, k: unknown) => unknown,
): unknown {
  if (typeof self === 'string') {
    // Every str method that builds a new string or list is charged against the render's budget.
    const r = strMethod(self, name, args, kw, ga, gi);
    if (r !== self) chargeValue(r);
    return r;
  }
  if (Array.isArray(self)) {
    const r = listMethod(self, name, args, kw);
    if (name === 'copy') chargeValue(r);
    return r;
  }
  if (isDict(self)) {
    const r = dictMethod(self, name, args, kw);
    if (name === 'items' || name === 'keys' || name === 'values') chargeValue(r);
    return r;
  }
  throw new TemplateRuntimeError(`'${pyTypeName(self)}' object has no attribute '${name}'`);
}

/** Python iteration of a value into an array (lists, tuples, strings, dict keys). */
export function iterate(x: unknown): unknown[] {
  if (Array.isArray(x)) return x;
  if (typeof x === 'string') {
    checkItems(x.length);
    return [...x];
  }
  if (isDict(x)) return dictKeys(x);
  if (x instanceof Undefined) {
    if (x.constructor !== Undefined) x.fail();
    return [];
  }
  const it = x as { pyIter?: () => unknown[] };
  if (it && typeof it.pyIter === 'function') return it.pyIter();
  throw new TemplateRuntimeError(`'${pyTypeName(x)}' object is not iterable`);
}

/** Integer value of an index argument (bools count), or null. */
export function intIndex(k: unknown): number | null {
  if (isInt(k)) return k;
  if (typeof k === 'boolean') return k ? 1 : 0;
  if (k instanceof PyFloat) return null;
  return null;
}
