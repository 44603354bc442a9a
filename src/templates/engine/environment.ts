// Environment and Template: option handling, template loading and caching, linking compiled code, rendering.
import { DEFAULT_LIMITS, activateBudget, checkItems, checkString, restoreBudget } from './budget.ts';
import { compileAst, type CallableSpec, type CompiledSource } from './compiler.ts';
import {
  BudgetError,
  SecurityError,
  TemplateError,
  TemplateNotFound,
  TemplateRuntimeError,
  TemplateSyntaxError,
  UndefinedError,
} from './errors.ts';
import { tokenStream } from './lexer.ts';
import { parse } from './parser.ts';
import {
  Context,
  Cycler,
  Joiner,
  Loop,
  MISSING,
  Macro,
  SliceValue,
  createRuntime,
  type BlockFn,
  type RenderState,
  type Runtime,
} from './runtime.ts';
import { BUILTIN_FILTERS } from './filters.ts';
import { BUILTIN_TESTS } from './tests.ts';
import {
  Namespace,
  PyCallable,
  RANGE,
  TemplateModule,
  Undefined,
  dictEntries,
  isDict,
  mkDict,
  mkTuple,
  numOf,
  pyStr,
  pyTypeName,
} from './values.ts';
import { iterate } from './methods.ts';

/** Where include/import/extends find templates by name. */
export type TemplateLoader =
  ((name: string) => string | null | undefined) | Map<string, string> | Record<string, string>;

/** A filter or test: a spec with parameter names, or a plain function `(value, ...args)`. */
export type FilterLike = CallableSpec | ((value: never, ...args: never[]) => unknown);

export interface EnvironmentOptions {
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  keepTrailingNewline?: boolean;
  undefined?: 'default' | 'strict';
  loader?: TemplateLoader;
  filters?: Record<string, FilterLike>;
  tests?: Record<string, FilterLike>;
  globals?: Record<string, unknown>;
  /** Wall-clock budget of one render (default 5000 ms). */
  timeLimitMs?: number;
  /** Largest output (and largest intermediate string) of one render, in characters (default 50 MiB). */
  maxOutputBytes?: number;
  /** Largest sequence one operation may build: slice, batch, range, list * n, ... (default 1,000,000). */
  maxItems?: number;
  /** Bytes the string- and sequence-building operations of one render may allocate in total (default 256 MiB). */
  maxAllocBytes?: number;
}

interface CompiledModule {
  root: (ctx: Context) => string;
  blocks: Record<string, BlockFn>;
}

/** What filters and tests receive as their first argument. */
export interface FilterEnv {
  rt: Runtime;
  env: Environment;
  undefined(name: string | null, hint?: string | null): Undefined;
  /** The variables passed to the render in progress (the pre-loaded context). */
  vars(): Record<string, unknown>;
}

function wrapSpec(f: FilterLike): CallableSpec {
  if (typeof f === 'function') {
    const fn = f as (...a: unknown[]) => unknown;
    return { fn: ((_env: unknown, value: unknown, ...args: unknown[]) => fn(value, ...args)) as CallableSpec['fn'] };
  }
  return f;
}

/** A compiled template bound to its environment. */
export class Template {
  env: Environment;
  name: string;
  module: CompiledModule;
  cachedModule: TemplateModule | null = null;
  constructor(env: Environment, name: string, module: CompiledModule) {
    this.env = env;
    this.name = name;
    this.module = module;
  }

  /** Renders with the given variables (plain JSON-like data). */
  render(vars: Record<string, unknown> = {}): string {
    return this.env.runRender(() => this.module.root(this.env.newContext(this, this.env.parentVars(vars))), vars);
  }
}

/** Jinja2-compatible template environment: options, filters, tests, globals and a loader. */
export class Environment {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  keepTrailingNewline: boolean;
  strict: boolean;
  loader: TemplateLoader | undefined;
  filters: Record<string, CallableSpec>;
  tests: Record<string, CallableSpec>;
  globals: Record<string, unknown>;
  timeLimitMs: number;
  maxOutputBytes: number;
  maxItems: number;
  maxAllocBytes: number;
  state: RenderState;
  rt: Runtime;
  link: Record<string, unknown> & FilterEnv;
  cache = new Map<string, Template>();
  depth = 0;
  /** The variables of the render in progress, for filters that read the pre-loaded context. */
  renderVars: Record<string, unknown> = {};

  constructor(options: EnvironmentOptions = {}) {
    this.trimBlocks = options.trimBlocks ?? false;
    this.lstripBlocks = options.lstripBlocks ?? false;
    this.keepTrailingNewline = options.keepTrailingNewline ?? false;
    this.strict = options.undefined === 'strict';
    this.loader = options.loader;
    this.timeLimitMs = options.timeLimitMs ?? DEFAULT_LIMITS.timeLimitMs;
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_LIMITS.maxOutputBytes;
    this.maxItems = options.maxItems ?? DEFAULT_LIMITS.maxItems;
    this.maxAllocBytes = options.maxAllocBytes ?? DEFAULT_LIMITS.maxAllocBytes;
    this.filters = Object.assign(Object.create(null), BUILTIN_FILTERS);
    this.tests = Object.assign(Object.create(null), BUILTIN_TESTS);
    for (const [k, v] of Object.entries(options.filters ?? {})) this.filters[k] = wrapSpec(v);
    for (const [k, v] of Object.entries(options.tests ?? {})) this.tests[k] = wrapSpec(v);
    this.globals = Object.assign(Object.create(null), defaultGlobals(), options.globals ?? {});
    this.state = {
      deadline: Infinity,
      maxOutput: this.maxOutputBytes,
      maxItems: this.maxItems,
      maxAlloc: this.maxAllocBytes,
      alloc: 0,
      ticks: 0,
    };
    this.rt = createRuntime(this.strict, this.state);
    this.link = this.makeLink();
  }

  /** Registers (or replaces) a filter. */
  addFilter(name: string, f: FilterLike): void {
    this.filters[name] = wrapSpec(f);
  }

  /** Registers (or replaces) a test. */
  addTest(name: string, f: FilterLike): void {
    this.tests[name] = wrapSpec(f);
  }

  /** Compiles template source (not cached). */
  fromString(source: string, name = '<template>'): Template {
    const compile = this.link.compileModule as (s: string, n: string) => CompiledModule;
    return new Template(this, name, compile(source, name));
  }

  /** Loads and compiles a named template through the loader, with caching. */
  getTemplate(name: unknown): Template {
    if (Array.isArray(name)) {
      for (const n of name) {
        try {
          return this.getTemplate(n);
        } catch (err) {
          if (!(err instanceof TemplateNotFound)) throw err;
        }
      }
      throw new TemplateNotFound(name.map(pyStr).join(', '));
    }
    if (name instanceof Template) return name;
    if (typeof name !== 'string') {
      if (name instanceof Undefined) name.fail();
      throw new TemplateRuntimeError(`template name must be a string, not ${pyTypeName(name)}`);
    }
    const hit = this.cache.get(name);
    if (hit) return hit;
    const source = this.loadSource(name);
    if (source === null || source === undefined) throw new TemplateNotFound(name);
    const tpl = this.fromString(source, name);
    this.cache.set(name, tpl);
    return tpl;
  }

  loadSource(name: string): string | null | undefined {
    const l = this.loader;
    if (!l) return undefined;
    if (typeof l === 'function') return l(name);
    if (l instanceof Map) return l.get(name);
    return Object.hasOwn(l, name) ? l[name] : undefined;
  }

  /** Variables of a render: globals overlaid with the caller's data (null prototype, no inherited names). */
  parentVars(vars: Record<string, unknown>): Record<string, unknown> {
    const p = Object.assign(Object.create(null), this.globals);
    for (const k of Object.keys(vars)) p[k] = vars[k];
    return p;
  }

  newContext(tpl: Template, parent: Record<string, unknown>): Context {
    const ctx = new Context(parent);
    for (const [n, fn] of Object.entries(tpl.module.blocks)) ctx.blocks.set(n, [fn]);
    return ctx;
  }

  /** Runs a render under the time and size limits; nested renders share the outer budget. */
  runRender(fn: () => string, vars: Record<string, unknown>): string {
    const outer = this.depth === 0;
    if (outer) {
      this.renderVars = vars;
      this.state.deadline = Date.now() + this.timeLimitMs;
      this.state.maxOutput = this.maxOutputBytes;
      this.state.maxItems = this.maxItems;
      this.state.maxAlloc = this.maxAllocBytes;
      this.state.alloc = 0;
      this.state.ticks = 0;
    }
    const prev = activateBudget(this.state);
    this.depth++;
    try {
      const out = fn();
      checkString(out.length);
      return out;
    } finally {
      this.depth--;
      restoreBudget(prev);
    }
  }

  private makeLink(): Record<string, unknown> & FilterEnv {
    const env = this;
    const rt = this.rt;
    const lib = { Loop, Macro, MISSING, mkTuple, mkDict, Undefined };
    const link: Record<string, unknown> & FilterEnv = {
      rt,
      env,
      lib,
      undefined: (name: string | null, hint: string | null = null) => rt.undef(name, hint),
      vars: () => env.renderVars,
      compileModule(source: string, name: string): CompiledModule {
        try {
          const tokens = tokenStream(
            source,
            {
              trimBlocks: env.trimBlocks,
              lstripBlocks: env.lstripBlocks,
              keepTrailingNewline: env.keepTrailingNewline,
            },
            name,
          );
          const ast = parse(tokens, name);
          const compiled: CompiledSource = compileAst(
            ast,
            { filter: (n) => env.filters[n], test: (n) => env.tests[n] },
            name,
          );
          const factory = new Function('rt', 'E', 'S', compiled.code) as (
            rt: Runtime,
            e: unknown,
            s: unknown,
          ) => CompiledModule;
          return factory(rt, link, compiled);
        } catch (err) {
          // The parser bounds nesting; this is the safety net should a stack still overflow while compiling.
          if (err instanceof RangeError)
            throw new TemplateSyntaxError('template is nested too deeply to compile', 1, 1, name);
          throw err;
        }
      },
      annotate(err: unknown, line: number): unknown {
        if (err instanceof TemplateError) {
          if (err.line === undefined) err.line = line;
          return err;
        }
        if (err instanceof RangeError) {
          // V8 refuses strings and arrays beyond its own maximum size with a RangeError too.
          if (/Invalid (string|array|typed array) length|Array buffer allocation failed/.test(err.message)) {
            const b = new BudgetError(
              'template exceeds its memory budget: a value grew beyond what the engine can hold',
            );
            b.line = line;
            return b;
          }
          return new TemplateRuntimeError(`maximum recursion depth exceeded (${err.message})`, undefined, line);
        }
        const e = new TemplateRuntimeError(err instanceof Error ? err.message : String(err), undefined, line);
        return e;
      },
      include(
        ctx: Context,
        name: unknown,
        ignoreMissing: boolean,
        withContext: boolean,
        locals: Record<string, unknown> | null,
      ): string {
        let tpl: Template;
        try {
          tpl = env.getTemplate(name);
        } catch (err) {
          if (ignoreMissing && err instanceof TemplateNotFound) return '';
          throw err;
        }
        const parent = withContext ? Object.assign(ctx.all(), locals) : Object.assign(Object.create(null), env.globals);
        return tpl.module.root(env.newContext(tpl, parent));
      },
      importModule(
        ctx: Context,
        name: unknown,
        withContext: boolean,
        locals: Record<string, unknown> | null,
      ): TemplateModule {
        const tpl = env.getTemplate(name);
        if (!withContext && tpl.cachedModule) return tpl.cachedModule;
        const parent = withContext ? Object.assign(ctx.all(), locals) : Object.assign(Object.create(null), env.globals);
        const mctx = env.newContext(tpl, parent);
        const body = tpl.module.root(mctx);
        const exports = new Map<string, unknown>();
        for (const n of mctx.exported) exports.set(n, mctx.vars[n]);
        const mod = new TemplateModule(tpl.name, exports, body);
        if (!withContext) tpl.cachedModule = mod;
        return mod;
      },
      importName(mod: TemplateModule, name: string, line: number): unknown {
        if (mod.exports.has(name)) return mod.exports.get(name);
        return rt.undef(
          name,
          `the template '${mod.name}' (imported on line ${line}) does not export the requested name '${name}'`,
        );
      },
      extend(ctx: Context, name: unknown, current: unknown): CompiledModule {
        if (current !== null) throw new TemplateRuntimeError('extended multiple times');
        const tpl = env.getTemplate(name);
        for (const [n, fn] of Object.entries(tpl.module.blocks)) {
          const list = ctx.blocks.get(n);
          if (list) list.push(fn);
          else ctx.blocks.set(n, [fn]);
        }
        return tpl.module;
      },
      renderBlock(ctx: Context, name: string, target: Context): string {
        const list = ctx.blocks.get(name)!;
        return list[0](target);
      },
      derived(ctx: Context, locals: Record<string, unknown>): Context {
        const d = new Context(Object.assign(ctx.all(), locals));
        d.blocks = ctx.blocks;
        return d;
      },
      superBlock(ctx: Context, name: string, fn: BlockFn): unknown {
        const list = ctx.blocks.get(name) ?? [];
        const i = list.indexOf(fn);
        if (i < 0 || i + 1 >= list.length) return rt.undef('super', `there is no parent block called '${name}'.`);
        return list[i + 1](ctx);
      },
      mergeKwargs(obj: Record<string, unknown>, dyn: unknown): Record<string, unknown> {
        if (!isDict(dyn)) throw new TemplateRuntimeError(`argument after ** must be a mapping, not ${pyTypeName(dyn)}`);
        for (const [k, v] of dictEntries(dyn)) {
          if (typeof k !== 'string') throw new TemplateRuntimeError('keywords must be strings');
          obj[k] = v;
        }
        return obj;
      },
      callSpec(
        spec: CallableSpec,
        name: string,
        value: unknown,
        args: unknown[],
        kwargs: Record<string, unknown> | null,
      ): unknown {
        const fn = spec.fn as (...a: unknown[]) => unknown;
        if (spec.raw) return fn(link, value, args, kwargs ?? Object.create(null));
        const params = spec.params ?? [];
        const slots = args.slice();
        if (spec.params !== undefined && slots.length > params.length)
          throw new TemplateRuntimeError(`${name}() takes at most ${params.length + 1} arguments`);
        for (const [k, v] of Object.entries(kwargs ?? {})) {
          const i = params.indexOf(k);
          if (i < 0 || slots[i] !== undefined)
            throw new TemplateRuntimeError(`${name}() got an unexpected keyword argument '${k}'`);
          while (slots.length < i) slots.push(undefined);
          slots[i] = v;
        }
        return fn(link, value, ...slots);
      },
      tooManyArgs(kind: string, name: string): never {
        throw new TemplateRuntimeError(`${kind} '${name}' got too many positional arguments`);
      },
      badKwarg(kind: string, name: string, kw: string): never {
        throw new TemplateRuntimeError(`${kind} '${name}' got an unexpected keyword argument '${kw}'`);
      },
      sliceValue(a: unknown, b: unknown, c: unknown): SliceValue {
        return new SliceValue(a, b, c);
      },
    };
    return link;
  }
}

function kw(kwargs: Record<string, unknown> | null, name: string): unknown {
  return kwargs && Object.hasOwn(kwargs, name) ? kwargs[name] : undefined;
}

/** Jinja2's default globals: range, dict, namespace, cycler, joiner, lipsum. */
function defaultGlobals(): Record<string, unknown> {
  return {
    range: new PyCallable('range', (args) => {
      const n = args.map((a) => {
        const v = numOf(a);
        if (v === null || !Number.isInteger(v) || typeof a === 'object')
          throw new TemplateRuntimeError(`'${pyTypeName(a)}' object cannot be interpreted as an integer`);
        return v;
      });
      const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
      if (step === 0) throw new TemplateRuntimeError('range() arg 3 must not be zero');
      const len = Math.max(0, Math.ceil((stop - start) / step));
      if (len > 100000)
        throw new SecurityError('Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).');
      // Checked, not charged: Jinja2's range is lazy, and loops over it would otherwise add up garbage.
      checkItems(len);
      const out: number[] = [];
      for (let i = 0; i < len; i++) out.push(start + i * step);
      (out as unknown as { [RANGE]: number[] })[RANGE] = [start, stop, step];
      return out;
    }),
    dict: new PyCallable('dict', (args, kwargs) => {
      const m = mkDict([]);
      if (args.length) {
        const src = args[0];
        const pairs = isDict(src) ? dictEntries(src) : iterate(src).map((p) => iterate(p) as [unknown, unknown]);
        for (const [k, v] of pairs) m.set(k, v);
      }
      for (const [k, v] of Object.entries(kwargs ?? {})) m.set(k, v);
      return m;
    }),
    namespace: new PyCallable('namespace', (args, kwargs) => {
      const ns = new Namespace();
      if (args.length && isDict(args[0])) for (const [k, v] of dictEntries(args[0])) ns.attrs.set(String(k), v);
      for (const [k, v] of Object.entries(kwargs ?? {})) ns.attrs.set(k, v);
      return ns;
    }),
    cycler: new PyCallable('cycler', (args) => new Cycler(args)),
    joiner: new PyCallable('joiner', (args, kwargs) => new Joiner(pyStr(args[0] ?? kw(kwargs, 'sep') ?? ', '))),
  };
}

export { UndefinedError };
