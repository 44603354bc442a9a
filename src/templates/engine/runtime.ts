// Runtime helpers the compiled templates call: Python operators, sandboxed attribute access, calls, loops, macros.
import { chargeItems, chargeRepeat, chargeString, checkString, type RenderState } from './budget.ts';
import { SecurityError, TemplateRuntimeError } from './errors.ts';
import { callMethod, hasMethod, intIndex, iterate } from './methods.ts';
import { percentFormat } from './pyformat.ts';
import {
  BoundMethod,
  GROUP,
  Namespace,
  PyCallable,
  PyFloat,
  StrictUndefined,
  TemplateModule,
  Undefined,
  dictGet,
  dictHas,
  isDict,
  isFloat,
  isPlainObject,
  isTuple,
  mkFloat,
  mkTuple,
  numOf,
  pyCompare,
  pyEq,
  pyRepr,
  pyStr,
  pyTypeName,
  truthy,
} from './values.ts';

/** Marks a macro parameter the caller did not pass. */
export const MISSING: unique symbol = Symbol('missing');

export type { RenderState };

/** A block implementation: renders the block body against a context. */
export type BlockFn = (ctx: Context) => string;

/** The render context: globals and render variables (parent), top-level assignments (vars), blocks. */
export class Context {
  parent: Record<string, unknown>;
  vars: Record<string, unknown>;
  exported: Set<string>;
  blocks: Map<string, BlockFn[]>;
  constructor(parent: Record<string, unknown>) {
    this.parent = parent;
    this.vars = Object.create(null);
    this.exported = new Set();
    this.blocks = new Map();
  }
  /** Everything visible to an included template: parent plus this template's assignments. */
  all(): Record<string, unknown> {
    return Object.assign(Object.create(null), this.parent, this.vars);
  }
}

/** A macro (or a call block's caller) as a callable value. */
export class Macro {
  name: string;
  params: string[];
  catchKwargs: boolean;
  catchVarargs: boolean;
  usesCaller: boolean;
  fn: (...args: unknown[]) => string;
  constructor(
    name: string,
    params: string[],
    catchKwargs: boolean,
    catchVarargs: boolean,
    usesCaller: boolean,
    fn: (...args: unknown[]) => string,
  ) {
    this.name = name;
    this.params = params;
    this.catchKwargs = catchKwargs;
    this.catchVarargs = catchVarargs;
    this.usesCaller = usesCaller;
    this.fn = fn;
  }
  pyName(): string {
    return `<Macro ${pyRepr(this.name)}>`;
  }
  invoke(args: unknown[], kwargs: Record<string, unknown> | null): string {
    const n = this.params.length;
    const out: unknown[] = args.length > n ? args.slice(0, n) : args.slice();
    let kw = kwargs;
    let foundCaller = false;
    if (out.length < n) {
      for (let i = out.length; i < n; i++) {
        const name = this.params[i];
        if (kw && Object.hasOwn(kw, name)) {
          if (kw === kwargs) kw = Object.assign(Object.create(null), kwargs);
          out.push(kw![name]);
          delete kw![name];
        } else out.push(MISSING);
        if (name === 'caller') foundCaller = true;
      }
    }
    if (this.usesCaller && !foundCaller) {
      let caller: unknown = null;
      if (kw && Object.hasOwn(kw, 'caller')) {
        if (kw === kwargs) kw = Object.assign(Object.create(null), kwargs);
        caller = kw!.caller;
        delete kw!.caller;
      }
      out.push(caller === null ? new Undefined('caller', 'No caller defined') : caller);
    }
    const kwKeys = kw ? Object.keys(kw) : [];
    if (this.catchKwargs) out.push(Object.assign(Object.create(null), kw ?? {}));
    else if (kwKeys.length) {
      if (kwKeys.includes('caller'))
        throw new TemplateRuntimeError(
          `macro '${this.name}' was invoked with two values for the special caller argument. This is most likely a bug.`,
        );
      throw new TemplateRuntimeError(`macro '${this.name}' takes no keyword argument '${kwKeys[0]}'`);
    }
    if (this.catchVarargs) out.push(mkTuple(args.slice(n)));
    else if (args.length > n)
      throw new TemplateRuntimeError(`macro '${this.name}' takes not more than ${n} argument(s)`);
    return this.fn(...out);
  }
}

/** The `loop` variable of a for loop. */
export class Loop {
  items: unknown[];
  index0 = -1;
  length: number;
  depth0: number;
  recurse: ((items: unknown) => string) | null;
  lastChanged: unknown[] | null = null;
  constructor(items: unknown[], depth0: number, recurse: ((items: unknown) => string) | null) {
    this.items = items;
    this.length = items.length;
    this.depth0 = depth0;
    this.recurse = recurse;
  }
  pyName(): string {
    return `<LoopContext ${this.index0 + 1}/${this.length}>`;
  }
  attr(name: string): unknown {
    const i = this.index0;
    switch (name) {
      case 'index':
        return i + 1;
      case 'index0':
        return i;
      case 'revindex':
        return this.length - i;
      case 'revindex0':
        return this.length - i - 1;
      case 'first':
        return i === 0;
      case 'last':
        return i === this.length - 1;
      case 'length':
        return this.length;
      case 'depth':
        return this.depth0 + 1;
      case 'depth0':
        return this.depth0;
      case 'previtem':
        return i > 0 ? this.items[i - 1] : new Undefined('previtem', 'there is no previous item');
      case 'nextitem':
        return i < this.length - 1 ? this.items[i + 1] : new Undefined('nextitem', 'there is no next item');
      case 'cycle':
      case 'changed':
        return new BoundMethod(this, name);
    }
    return undefined;
  }
  call(name: string, args: unknown[]): unknown {
    if (name === 'cycle') {
      if (!args.length) throw new TemplateRuntimeError('no items for cycling given');
      return args[this.index0 % args.length];
    }
    if (name === 'changed') {
      if (this.lastChanged === null || !pyEq(this.lastChanged, args)) {
        this.lastChanged = args;
        return true;
      }
      return false;
    }
    throw new TemplateRuntimeError(`'LoopContext' object has no attribute '${name}'`);
  }
}

/** `cycler(...)`: steps through values. */
export class Cycler {
  items: unknown[];
  pos = 0;
  constructor(items: unknown[]) {
    if (!items.length) throw new TemplateRuntimeError('at least one item has to be provided');
    this.items = items;
  }
  pyName(): string {
    return '<jinja2.utils.Cycler object>';
  }
}

/** `joiner(sep)`: returns '' the first time it is called, then sep. */
export class Joiner {
  sep: string;
  used = false;
  constructor(sep: string) {
    this.sep = sep;
  }
  pyName(): string {
    return '<jinja2.utils.Joiner object>';
  }
}

function typeError(msg: string): never {
  throw new TemplateRuntimeError(msg);
}

function unsupported(op: string, a: unknown, b: unknown): never {
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  typeError(`unsupported operand type(s) for ${op}: '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

function floatResult(r: number, a: unknown, b: unknown): number | PyFloat {
  return Number.isInteger(r) && (isFloat(a) || isFloat(b)) ? new PyFloat(r) : r;
}

function repeatSeq(seq: unknown, n: number): unknown {
  const count = Math.max(0, n);
  const isStr = typeof seq === 'string';
  chargeRepeat((seq as string | unknown[]).length, count, isStr);
  if (isStr) return (seq as string).repeat(count);
  const arr = seq as unknown[];
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) for (const x of arr) out.push(x);
  return isTuple(arr) ? mkTuple(out) : out;
}

/** Builds the helpers compiled code uses, bound to an environment's undefined policy and render state. */
export function createRuntime(strict: boolean, state: RenderState) {
  const U = strict ? StrictUndefined : Undefined;
  const undef = (name: string | null, hint: string | null = null): Undefined => new U(name, hint);
  const undefAttr = (obj: unknown, name: unknown): Undefined => new U(name as string, null, obj, true);

  const checkSize = (len: number): void => checkString(len);

  const add = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'number' && typeof b === 'number') {
      const r = a + b;
      return Number.isInteger(r) && !(Number.isInteger(a) && Number.isInteger(b)) ? new PyFloat(r) : r;
    }
    if (typeof a === 'string' && typeof b === 'string') {
      // V8 concatenates lazily (ropes): charge the smaller side, cap the result.
      checkSize(a.length + b.length);
      if (a.length > 64 && b.length > 64) chargeString(Math.min(a.length, b.length));
      return a + b;
    }
    const na = numOf(a);
    const nb = numOf(b);
    if (na !== null && nb !== null) return floatResult(na + nb, a, b);
    if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
      chargeItems(a.length + b.length);
      const r = a.concat(b);
      return isTuple(a) ? mkTuple(r) : r;
    }
    if (typeof a === 'string' || typeof b === 'string') {
      if (a instanceof Undefined) a.fail();
      if (b instanceof Undefined) b.fail();
      typeError(
        typeof a === 'string'
          ? `can only concatenate str (not "${pyTypeName(b)}") to str`
          : `unsupported operand type(s) for +: '${pyTypeName(a)}' and 'str'`,
      );
    }
    unsupported('+', a, b);
  };

  const sub = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'number' && typeof b === 'number') {
      const r = a - b;
      return Number.isInteger(r) && !(Number.isInteger(a) && Number.isInteger(b)) ? new PyFloat(r) : r;
    }
    const na = numOf(a);
    const nb = numOf(b);
    if (na !== null && nb !== null) return floatResult(na - nb, a, b);
    unsupported('-', a, b);
  };

  const mul = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'number' && typeof b === 'number') {
      const r = a * b;
      return Number.isInteger(r) && !(Number.isInteger(a) && Number.isInteger(b)) ? new PyFloat(r) : r;
    }
    const na = numOf(a);
    const nb = numOf(b);
    if (na !== null && nb !== null) return floatResult(na * nb, a, b);
    const seqA = typeof a === 'string' || Array.isArray(a);
    const seqB = typeof b === 'string' || Array.isArray(b);
    if (seqA && (typeof b === 'number' || typeof b === 'boolean') && !isFloat(b)) return repeatSeq(a, Number(b));
    if (seqB && (typeof a === 'number' || typeof a === 'boolean') && !isFloat(a)) return repeatSeq(b, Number(a));
    if (seqA || seqB) typeError(`can't multiply sequence by non-int of type '${pyTypeName(seqA ? b : a)}'`);
    unsupported('*', a, b);
  };

  const div = (a: unknown, b: unknown): unknown => {
    const na = numOf(a);
    const nb = numOf(b);
    if (na === null || nb === null) unsupported('/', a, b);
    if (nb === 0) typeError('division by zero');
    return mkFloat(na! / nb!);
  };

  const floordiv = (a: unknown, b: unknown): unknown => {
    const na = numOf(a);
    const nb = numOf(b);
    if (na === null || nb === null) unsupported('//', a, b);
    if (nb === 0)
      typeError(isFloat(a) || isFloat(b) ? 'float floor division by zero' : 'integer division or modulo by zero');
    const r = Math.floor(na! / nb!);
    return isFloat(a) || isFloat(b) ? mkFloat(r) : r;
  };

  const mod = (a: unknown, b: unknown): unknown => {
    if (typeof a === 'string') return percentFormat(a, b);
    const na = numOf(a);
    const nb = numOf(b);
    if (na === null || nb === null) unsupported('%', a, b);
    if (nb === 0) typeError(isFloat(a) || isFloat(b) ? 'float modulo' : 'integer division or modulo by zero');
    let r = na! % nb!;
    if (r !== 0 && r < 0 !== nb! < 0) r += nb!;
    return isFloat(a) || isFloat(b) ? mkFloat(r) : r;
  };

  const pow = (a: unknown, b: unknown): unknown => {
    const na = numOf(a);
    const nb = numOf(b);
    if (na === null || nb === null) unsupported('** or pow()', a, b);
    if (na === 0 && nb! < 0) typeError('0.0 cannot be raised to a negative power');
    const r = na! ** nb!;
    if (isFloat(a) || isFloat(b) || nb! < 0) return mkFloat(r);
    return r;
  };

  const neg = (a: unknown): unknown => {
    if (typeof a === 'number') return a === 0 ? 0 : -a;
    if (a instanceof PyFloat) return new PyFloat(-a.v);
    if (typeof a === 'boolean') return a ? -1 : 0;
    if (a instanceof Undefined) a.fail();
    typeError(`bad operand type for unary -: '${pyTypeName(a)}'`);
  };

  const pos = (a: unknown): unknown => {
    if (typeof a === 'number' || a instanceof PyFloat) return a;
    if (typeof a === 'boolean') return a ? 1 : 0;
    if (a instanceof Undefined) a.fail();
    typeError(`bad operand type for unary +: '${pyTypeName(a)}'`);
  };

  const s = (x: unknown): string => (typeof x === 'string' ? x : pyStr(x));

  const lt = (a: unknown, b: unknown): boolean =>
    typeof a === 'number' && typeof b === 'number' ? a < b : pyCompare(a, b, '<') < 0;
  const le = (a: unknown, b: unknown): boolean =>
    typeof a === 'number' && typeof b === 'number' ? a <= b : pyCompare(a, b, '<=') <= 0;
  const gt = (a: unknown, b: unknown): boolean =>
    typeof a === 'number' && typeof b === 'number' ? a > b : pyCompare(a, b, '>') > 0;
  const ge = (a: unknown, b: unknown): boolean =>
    typeof a === 'number' && typeof b === 'number' ? a >= b : pyCompare(a, b, '>=') >= 0;
  const eq = (a: unknown, b: unknown): boolean => (a === b && typeof a !== 'object' ? true : pyEq(a, b));
  const ne = (a: unknown, b: unknown): boolean => !eq(a, b);

  const contains = (container: unknown, item: unknown): boolean => {
    if (typeof container === 'string') {
      if (typeof item !== 'string') {
        if (item instanceof Undefined) item.fail();
        typeError(`'in <string>' requires string as left operand, not ${pyTypeName(item)}`);
      }
      return container.includes(item);
    }
    if (Array.isArray(container)) {
      for (const x of container) if (eq(x, item)) return true;
      return false;
    }
    if (isDict(container)) return dictHas(container, item);
    if (container instanceof Undefined) {
      if (container instanceof StrictUndefined) container.fail();
      return false;
    }
    if (container instanceof Namespace) typeError("argument of type 'Namespace' is not iterable");
    typeError(`argument of type '${pyTypeName(container)}' is not iterable`);
  };

  /** Attribute access `obj.name`: Python methods first, then own data (never JS prototypes). */
  const gaSlow = (obj: unknown, name: string): unknown => {
    if (obj instanceof Undefined) obj.fail();
    if (hasMethod(obj, name)) return new BoundMethod(obj, name);
    if (Array.isArray(obj) && (obj as unknown as { [GROUP]?: true })[GROUP]) {
      if (name === 'grouper') return obj[0];
      if (name === 'list') return obj[1];
    }
    if (obj instanceof Map) {
      const v = dictGet(obj, name);
      return v === undefined ? undefAttr(obj, name) : v;
    }
    if (isPlainObject(obj)) {
      if (Object.hasOwn(obj, name)) {
        const v = obj[name];
        return v === undefined ? null : v;
      }
      return undefAttr(obj, name);
    }
    if (obj instanceof Loop) {
      const v = obj.attr(name);
      return v === undefined ? undefAttr(obj, name) : v;
    }
    if (obj instanceof Namespace) {
      return obj.attrs.has(name) ? obj.attrs.get(name) : undefAttr(obj, name);
    }
    if (obj instanceof TemplateModule) {
      return obj.exports.has(name) ? obj.exports.get(name) : undefAttr(obj, name);
    }
    if (obj instanceof Cycler) {
      if (name === 'current') return obj.items[obj.pos];
      if (name === 'next' || name === 'reset') return new BoundMethod(obj, name);
      return undefAttr(obj, name);
    }
    if (obj instanceof Macro) {
      if (name === 'name') return obj.name;
      if (name === 'arguments') return mkTuple(obj.params.slice());
      if (name === 'catch_kwargs') return obj.catchKwargs;
      if (name === 'catch_varargs') return obj.catchVarargs;
      if (name === 'caller') return obj.usesCaller;
      return undefAttr(obj, name);
    }
    if (obj instanceof PyFloat || typeof obj === 'number' || typeof obj === 'boolean') {
      if (name === 'real') return obj instanceof PyFloat ? obj : typeof obj === 'boolean' ? (obj ? 1 : 0) : obj;
      if (name === 'imag') return isFloat(obj) ? new PyFloat(0) : 0;
    }
    return undefAttr(obj, name);
  };

  const ga = (obj: unknown, name: string): unknown => {
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
      const proto = Object.getPrototypeOf(obj);
      if ((proto === Object.prototype || proto === null) && Object.hasOwn(obj, name)) {
        const v = (obj as Record<string, unknown>)[name];
        return v === undefined ? null : v;
      }
    }
    return gaSlow(obj, name);
  };

  /** Python slice of a list, tuple or string. */
  const slice = (seq: unknown, start: unknown, stop: unknown, step: unknown): unknown => {
    if (seq instanceof Undefined) seq.fail();
    const isStr = typeof seq === 'string';
    if (!isStr && !Array.isArray(seq)) typeError(`'${pyTypeName(seq)}' object is not subscriptable`);
    // Strings without surrogate pairs are sliced by code unit, without an array of characters.
    const bmp = isStr && !/[\uD800-\uDFFF]/.test(seq as string);
    if (isStr && !bmp) chargeItems((seq as string).length);
    const arr: ArrayLike<unknown> = isStr ? (bmp ? (seq as string) : [...(seq as string)]) : (seq as unknown[]);
    const len = arr.length;
    const st = step === null || step === undefined ? 1 : (numOf(step) as number);
    if (st === 0) typeError('slice step cannot be zero');
    const norm = (v: unknown, dflt: number, lo: number, hi: number): number => {
      if (v === null || v === undefined) return dflt;
      let n = numOf(v);
      if (n === null || !Number.isInteger(n))
        typeError('slice indices must be integers or None or have an __index__ method');
      n = n!;
      if (n < 0) n += len;
      return Math.min(Math.max(n, lo), hi);
    };
    const out: unknown[] = [];
    if (st > 0) {
      const a = norm(start, 0, 0, len);
      const b = norm(stop, len, 0, len);
      if (bmp && st === 1) return b > a ? (seq as string).slice(a, b) : '';
      chargeItems(Math.max(0, Math.ceil((b - a) / st)));
      for (let i = a; i < b; i += st) out.push(arr[i]);
    } else {
      const a = norm(start, len - 1, -1, len - 1);
      const b = norm(stop, -1, -1, len - 1);
      chargeItems(Math.max(0, Math.ceil((a - b) / -st)));
      for (let i = a; i > b; i += st) out.push(arr[i]);
    }
    if (isStr) return out.join('');
    return isTuple(seq) ? mkTuple(out) : out;
  };

  /** Item access `obj[key]`: items first, then attributes (Jinja2's getitem). */
  const gi = (obj: unknown, key: unknown): unknown => {
    if (Array.isArray(obj)) {
      const i = intIndex(key);
      if (i !== null) {
        const j = i < 0 ? i + obj.length : i;
        if (j >= 0 && j < obj.length) {
          const v = obj[j];
          return v === undefined ? null : v;
        }
        return undefAttr(obj, key);
      }
    } else if (typeof obj === 'string') {
      const i = intIndex(key);
      if (i !== null) {
        const chars = /[\uD800-\uDFFF]/.test(obj) ? [...obj] : null;
        const len = chars ? chars.length : obj.length;
        const j = i < 0 ? i + len : i;
        if (j >= 0 && j < len) return chars ? chars[j] : obj[j];
        return undefAttr(obj, key);
      }
    } else if (isPlainObject(obj)) {
      if (typeof key === 'string' && Object.hasOwn(obj, key)) {
        const v = obj[key];
        return v === undefined ? null : v;
      }
    } else if (obj instanceof Map) {
      const v = dictGet(obj, key);
      if (v !== undefined) return v;
    } else if (obj instanceof Undefined) {
      obj.fail();
    }
    if (key instanceof SliceValue) return slice(obj, key.start, key.stop, key.step);
    if (typeof key === 'string') {
      const v = gaSlow(obj, key);
      if (!(v instanceof Undefined)) return v;
    }
    return undefAttr(obj, key);
  };

  /** Calls a template-callable value (macro, builtin method, global function, recursive loop). */
  const call = (fn: unknown, args: unknown[], kwargs: Record<string, unknown> | null): unknown => {
    if (fn instanceof Macro) {
      tick();
      return fn.invoke(args, kwargs);
    }
    if (fn instanceof BoundMethod) return callBound(fn.self, fn.name, args, kwargs);
    if (fn instanceof PyCallable) return fn.fn(args, kwargs);
    if (fn instanceof Loop && fn.recurse) return fn.recurse(args[0]);
    if (fn instanceof Joiner) {
      if (!fn.used) {
        fn.used = true;
        return '';
      }
      return fn.sep;
    }
    if (fn instanceof Undefined) fn.fail();
    typeError(`'${pyTypeName(fn)}' object is not callable`);
  };

  const callBound = (self: unknown, name: string, args: unknown[], kwargs: Record<string, unknown> | null): unknown => {
    if (self instanceof Loop) return self.call(name, args);
    if (self instanceof Cycler) {
      if (name === 'next') {
        const v = self.items[self.pos];
        self.pos = (self.pos + 1) % self.items.length;
        return v;
      }
      self.pos = 0;
      return null;
    }
    return callMethod(self, name, args, kwargs, ga, gi);
  };

  /** Method call `obj.name(...)` without materialising a bound method for builtin types. */
  const cm = (obj: unknown, name: string, args: unknown[], kwargs: Record<string, unknown> | null): unknown => {
    if (hasMethod(obj, name)) return callMethod(obj, name, args, kwargs, ga, gi);
    return call(ga(obj, name), args, kwargs);
  };

  /** Iterates a for-loop subject. */
  const iter = (x: unknown): unknown[] => iterate(x);

  /** Unpacks a value into exactly n targets. */
  const unpack = (x: unknown, n: number): unknown[] => {
    const items = iterate(x);
    if (items.length !== n)
      typeError(
        items.length > n
          ? `too many values to unpack (expected ${n})`
          : `not enough values to unpack (expected ${n}, got ${items.length})`,
      );
    return items;
  };

  /** Name lookup in the render context. */
  const res = (ctx: Context, name: string): unknown => {
    const v = ctx.vars[name];
    if (v !== undefined) return v;
    const p = ctx.parent[name];
    if (p !== undefined) return p;
    return undef(name);
  };

  /** Time and output checks, called from loops and macro calls. */
  const tick = (): void => {
    if ((++state.ticks & 255) === 0 && Date.now() > state.deadline) {
      throw new SecurityError('template render exceeded its time limit');
    }
  };

  const loopTick = (out: string): void => {
    if (out.length > state.maxOutput) checkSize(out.length);
    if ((++state.ticks & 255) === 0 && Date.now() > state.deadline) {
      throw new SecurityError('template render exceeded its time limit');
    }
  };

  /** Assigns `ns.attr = value`. */
  const nsSet = (ns: unknown, attr: string, value: unknown): void => {
    if (!(ns instanceof Namespace)) typeError('cannot assign attribute on non-namespace object');
    (ns as Namespace).attrs.set(attr, value);
  };

  const concat = (...parts: unknown[]): string => {
    let r = '';
    for (const p of parts) r += s(p);
    checkSize(r.length);
    return r;
  };

  return {
    undef,
    undefAttr,
    add,
    sub,
    mul,
    div,
    floordiv,
    mod,
    pow,
    neg,
    pos,
    s,
    lt,
    le,
    gt,
    ge,
    eq,
    ne,
    contains,
    ga,
    gaSlow,
    gi,
    slice,
    call,
    cm,
    iter,
    unpack,
    res,
    tick,
    loopTick,
    nsSet,
    concat,
    truthy,
    checkSize,
    state,
  };
}

/** The helper bundle a compiled template receives. */
export type Runtime = ReturnType<typeof createRuntime>;

/** A slice `a:b:c` used as a subscript. */
export class SliceValue {
  start: unknown;
  stop: unknown;
  step: unknown;
  constructor(start: unknown, stop: unknown, step: unknown) {
    this.start = start;
    this.stop = stop;
    this.step = step;
  }
}

export { MISSING as missing, truthy };
