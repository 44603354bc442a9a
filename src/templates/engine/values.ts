// Python value model on JS values: printing, truthiness, equality and ordering as Jinja2 on CPython does them.
//
// Mapping: str -> string, int -> integral number, float -> non-integral number or PyFloat (a box for
// integral floats such as 3.0, so `{{ 3/1 }}` prints "3.0"), bool -> boolean, None -> null,
// list -> array, tuple -> array marked with TUPLE, dict -> plain object (context data, string keys)
// or Map (dicts built by templates, any keys).
import { checkString } from './budget.ts';
import { TemplateRuntimeError, UndefinedError } from './errors.ts';

/** Box for floats whose value is integral; non-integral floats stay plain JS numbers. */
export class PyFloat {
  v: number;
  constructor(v: number) {
    this.v = v;
  }
  valueOf(): number {
    return this.v;
  }
}

/** Makes a Python float from a JS number, boxing it when integral. */
export function mkFloat(v: number): number | PyFloat {
  return Number.isInteger(v) ? new PyFloat(v) : v;
}

export const TUPLE: unique symbol = Symbol('tuple');
/** Marks groupby results, whose items are also reachable as .grouper and .list. */
export const GROUP: unique symbol = Symbol('group');
/** Marks lists produced by range(), printed as Python's range objects. */
export const RANGE: unique symbol = Symbol('range');
type Tuple = unknown[] & { [TUPLE]?: true };

/** Marks an array as a Python tuple (printed with parentheses, unequal to lists). */
export function mkTuple<T>(items: T[]): T[] {
  (items as Tuple)[TUPLE] = true;
  return items;
}

/** True for arrays marked as tuples. */
export function isTuple(x: unknown): boolean {
  return Array.isArray(x) && (x as Tuple)[TUPLE] === true;
}

/** True for plain data objects (JSON objects) that act as Python dicts. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** True for any value that behaves as a Python dict. */
export function isDict(x: unknown): x is Record<string, unknown> | Map<unknown, unknown> {
  return x instanceof Map || isPlainObject(x);
}

/** Keys of a dict in iteration order. */
export function dictKeys(d: Record<string, unknown> | Map<unknown, unknown>): unknown[] {
  return d instanceof Map ? [...d.keys()] : Object.keys(d);
}

/** [key, value] pairs of a dict in iteration order. */
export function dictEntries(d: Record<string, unknown> | Map<unknown, unknown>): [unknown, unknown][] {
  return d instanceof Map ? [...d.entries()] : Object.entries(d);
}

/** Normalises a dict key so that 1, 1.0 and True address the same Map entry, as Python hashing does. */
export function normKey(k: unknown): unknown {
  if (k instanceof PyFloat) return k.v;
  if (k === true) return 1;
  if (k === false) return 0;
  if (Array.isArray(k)) return JSON.stringify(k.map(normKey));
  return k;
}

/** Looks a key up in a dict; undefined (JS) when missing. */
export function dictGet(d: Record<string, unknown> | Map<unknown, unknown>, key: unknown): unknown {
  if (d instanceof Map) {
    if (d.has(key)) return d.get(key);
    const nk = normKey(key);
    if (nk !== key && d.has(nk)) return d.get(nk);
    if (typeof key === 'number' || key instanceof PyFloat || typeof key === 'boolean') {
      for (const [k, v] of d) if (normKey(k) === nk) return v;
    }
    return undefined;
  }
  if (typeof key === 'string' && Object.hasOwn(d, key)) return d[key];
  return undefined;
}

/** Python dict `in`. */
export function dictHas(d: Record<string, unknown> | Map<unknown, unknown>, key: unknown): boolean {
  if (d instanceof Map) {
    if (d.has(key)) return true;
    const nk = normKey(key);
    for (const k of d.keys()) if (normKey(k) === nk) return true;
    return false;
  }
  return typeof key === 'string' && Object.hasOwn(d, key);
}

/** Builds a template dict (a Map, so non-string keys and insertion order survive). */
export function mkDict(pairs: [unknown, unknown][]): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  for (const [k, v] of pairs) dictSet(m, k, v);
  return m;
}

/** Stores a key in a template dict, reusing an equal existing key as Python does. */
export function dictSet(m: Map<unknown, unknown>, k: unknown, v: unknown): void {
  if (!m.has(k) && (typeof k === 'number' || k instanceof PyFloat || typeof k === 'boolean')) {
    const nk = normKey(k);
    for (const ek of m.keys()) {
      if (normKey(ek) === nk) {
        m.set(ek, v);
        return;
      }
    }
  }
  m.set(k, v);
}

/** Jinja2's Undefined: prints as empty, iterates as empty, fails on attribute access. */
export class Undefined {
  hint: string | null;
  obj: unknown;
  name: string | null;
  hasObj: boolean;
  constructor(name: string | null, hint: string | null = null, obj?: unknown, hasObj = false) {
    this.name = name;
    this.hint = hint;
    this.obj = obj;
    this.hasObj = hasObj;
  }
  message(): string {
    if (this.hint) return this.hint;
    if (!this.hasObj) return `'${this.name}' is undefined`;
    if (typeof this.name !== 'string') return `${pyTypeName(this.obj)} object has no element ${pyRepr(this.name)}`;
    return `'${pyTypeName(this.obj)} object' has no attribute '${this.name}'`;
  }
  fail(): never {
    throw new UndefinedError(this.message());
  }
}

/** StrictUndefined: any use other than `is defined` / `default` raises. */
export class StrictUndefined extends Undefined {}

/** A Python-level bound method of a builtin type (str.split, dict.items, ...). */
export class BoundMethod {
  self: unknown;
  name: string;
  constructor(self: unknown, name: string) {
    this.self = self;
    this.name = name;
  }
}

/** A callable exposed to templates (globals such as range, filters' helpers, user functions). */
export class PyCallable {
  name: string;
  fn: (args: unknown[], kwargs: Record<string, unknown> | null) => unknown;
  constructor(name: string, fn: (args: unknown[], kwargs: Record<string, unknown> | null) => unknown) {
    this.name = name;
    this.fn = fn;
  }
}

/** The object `namespace()` returns: attributes settable with `{% set ns.x = ... %}`. */
export class Namespace {
  attrs: Map<string, unknown> = new Map();
}

/** An imported template's exported names. */
export class TemplateModule {
  name: string;
  exports: Map<string, unknown>;
  body: string;
  constructor(name: string, exports: Map<string, unknown>, body: string) {
    this.name = name;
    this.exports = exports;
    this.body = body;
  }
}

/** Python's type name of a value, for messages. */
export function pyTypeName(x: unknown): string {
  if (x === null || x === undefined) return 'NoneType';
  switch (typeof x) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(x) ? 'int' : 'float';
    case 'function':
      return 'function';
  }
  if (x instanceof PyFloat) return 'float';
  if (Array.isArray(x)) return isTuple(x) ? 'tuple' : 'list';
  if (isDict(x)) return 'dict';
  if (x instanceof Undefined) return x instanceof StrictUndefined ? 'StrictUndefined' : 'Undefined';
  if (x instanceof Namespace) return 'Namespace';
  if (x instanceof BoundMethod) return 'builtin_function_or_method';
  if (x instanceof TemplateModule) return 'TemplateModule';
  const ctor = (x as { constructor?: { name?: string } }).constructor;
  return ctor?.name ?? 'object';
}

// Characters Python's str.isprintable() rejects (every separator but the plain space); repr() escapes them.
const NP = '\\p{Cc}\\p{Cf}\\p{Cs}\\p{Co}\\p{Cn}\\p{Zl}\\p{Zp}\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000';
const NON_PRINTABLE = new RegExp(`[${NP}]`, 'u');
const NEEDS_ESCAPE = new RegExp(`[\\\\'"${NP}]`, 'u');

/** Python repr() of a str. */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  if (!NEEDS_ESCAPE.test(s)) return quote + s + quote;
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (NON_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      if (cp < 0x100) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

/** Python repr() of a float. */
export function reprFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  // JS and Python both print the shortest round-tripping digits; only the layout differs.
  const [mant, expStr] = v.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    body = m + 'e' + (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
  } else if (exp < 0) {
    body = '0.' + '0'.repeat(-exp - 1) + digits;
  } else if (digits.length > exp + 1) {
    body = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  } else {
    body = digits + '0'.repeat(exp + 1 - digits.length) + '.0';
  }
  return (neg ? '-' : '') + body;
}

/** Python repr() of any template value. */
/**
 * Maps the items of a container to their text, checking the running length against the render's string
 * limit, so printing a list that repeats a large value fails before the parts add up to gigabytes.
 */
export function boundedParts<T>(items: readonly T[], fn: (item: T) => string): string[] {
  const parts: string[] = new Array(items.length);
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const p = fn(items[i]);
    total += p.length + 2;
    checkString(total);
    parts[i] = p;
  }
  return parts;
}

export function pyRepr(x: unknown): string {
  if (typeof x === 'string') return reprString(x);
  return pyStrInner(x, true);
}

/** Python str() of any template value: what `{{ x }}` prints. */
export function pyStr(x: unknown): string {
  if (typeof x === 'string') return x;
  return pyStrInner(x, false);
}

function pyStrInner(x: unknown, _repr: boolean): string {
  if (x === null || x === undefined) return 'None';
  switch (typeof x) {
    case 'string':
      return reprString(x);
    case 'boolean':
      return x ? 'True' : 'False';
    case 'number':
      return Number.isInteger(x)
        ? Math.abs(x) <= Number.MAX_SAFE_INTEGER
          ? String(x)
          : BigInt(x).toString()
        : reprFloat(x);
    case 'bigint':
      return x.toString();
  }
  if (x instanceof PyFloat) return reprFloat(x.v);
  if (Array.isArray(x)) {
    const r = (x as unknown as { [RANGE]?: number[] })[RANGE];
    if (r) return r[2] === 1 ? `range(${r[0]}, ${r[1]})` : `range(${r[0]}, ${r[1]}, ${r[2]})`;
    const parts = boundedParts(x, pyRepr);
    if (isTuple(x)) return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
    return `[${parts.join(', ')}]`;
  }
  if (x instanceof Map)
    return `{${boundedParts([...x.entries()], ([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  if (isPlainObject(x))
    return `{${boundedParts(Object.entries(x), ([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(', ')}}`;
  if (x instanceof Undefined) {
    if (x instanceof StrictUndefined) x.fail();
    return _repr ? 'Undefined' : '';
  }
  if (x instanceof Namespace)
    return `<Namespace {${[...x.attrs.entries()].map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(', ')}}>`;
  if (x instanceof TemplateModule) return `<TemplateModule ${reprString(x.name)}>`;
  const named = x as { pyName?: () => string };
  if (typeof named.pyName === 'function') return named.pyName();
  if (x instanceof BoundMethod) return `<built-in method ${x.name} of ${pyTypeName(x.self)} object>`;
  if (x instanceof PyCallable) return `<function ${x.name}>`;
  return `<${pyTypeName(x)} object>`;
}

/** Python truthiness. */
export function truthy(x: unknown): boolean {
  if (x === true) return true;
  if (x === false || x === null || x === undefined || x === '' || x === 0) return false;
  switch (typeof x) {
    case 'string':
    case 'number':
      return true;
  }
  if (Array.isArray(x)) return x.length > 0;
  if (x instanceof PyFloat) return x.v !== 0;
  if (x instanceof Undefined) {
    if (x instanceof StrictUndefined) x.fail();
    return false;
  }
  if (x instanceof Map) return x.size > 0;
  if (isPlainObject(x)) {
    for (const k in x) if (Object.hasOwn(x, k)) return true;
    return false;
  }
  return true;
}

/** Numeric value of a Python number or bool, or null for non-numbers. */
export function numOf(x: unknown): number | null {
  if (typeof x === 'number') return x;
  if (x instanceof PyFloat) return x.v;
  if (typeof x === 'boolean') return x ? 1 : 0;
  return null;
}

/** True when a value is a Python float. */
export function isFloat(x: unknown): boolean {
  return x instanceof PyFloat || (typeof x === 'number' && !Number.isInteger(x));
}

/** True when a value is a Python int (bools excluded). */
export function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

/** Python `==`. */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return !(a instanceof StrictUndefined);
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'string' || tb === 'string') {
    if (a instanceof StrictUndefined) a.fail();
    if (b instanceof StrictUndefined) b.fail();
    return false;
  }
  if (ta === 'number' && tb === 'number') return false;
  const na = numOf(a);
  if (na !== null) {
    const nb = numOf(b);
    if (nb !== null) return na === nb;
  }
  if (a instanceof Undefined || b instanceof Undefined) {
    if (a instanceof StrictUndefined) a.fail();
    if (b instanceof StrictUndefined) b.fail();
    return a instanceof Undefined && b instanceof Undefined;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pyEq(a[i], b[i])) return false;
    return true;
  }
  if (isDict(a)) {
    if (!isDict(b)) return false;
    const ka = dictKeys(a);
    if (ka.length !== dictKeys(b).length) return false;
    for (const k of ka) {
      if (!dictHas(b, k) || !pyEq(dictGet(a, k), dictGet(b, k))) return false;
    }
    return true;
  }
  if (a instanceof Namespace && b instanceof Namespace) return a === b;
  return false;
}

/** Python ordering comparison: negative, zero or positive; TypeError for unorderable types. */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  const na = numOf(a);
  const nb = numOf(b);
  if (na !== null && nb !== null) return na < nb ? -1 : na > nb ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (!pyEq(a[i], b[i])) return pyCompare(a[i], b[i], op);
    }
    return a.length - b.length;
  }
  throw new TemplateRuntimeError(
    `'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`,
  );
}
