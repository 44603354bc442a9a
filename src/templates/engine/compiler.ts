// Compiles a template AST to JavaScript source. User input only ever appears as JSON string literals
// and mangled identifiers, so template text can never become code.
import type { CallParts, Expr, FilterExpr, Stmt, TemplateAst } from './ast.ts';
import { TemplateSyntaxError } from './errors.ts';
import { ALL_METHOD_NAMES } from './methods.ts';
import { PyFloat } from './values.ts';

/** Filter and test signatures the compiler needs to map keyword arguments at compile time. */
export interface CallableSpec {
  fn: (...args: never[]) => unknown;
  /** Parameter names after the value; keyword arguments are mapped onto them. */
  params?: string[];
  /** Receives (env, value, args[], kwargs) instead of positional arguments. */
  raw?: boolean;
}

export interface CompileLookup {
  filter(name: string): CallableSpec | undefined;
  test(name: string): CallableSpec | undefined;
}

export interface CompiledSource {
  code: string;
  filters: CallableSpec[];
  tests: CallableSpec[];
  consts: unknown[];
}

class Frame {
  parent: Frame | null;
  names = new Map<string, string>();
  toplevel: boolean;
  rootLevel: boolean;
  constructor(parent: Frame | null, toplevel: boolean, rootLevel: boolean) {
    this.parent = parent;
    this.toplevel = toplevel;
    this.rootLevel = rootLevel;
  }
}

class FnScope {
  hoisted = new Map<string, string>();
  temps = 0;
  id: number;
  constructor(id: number) {
    this.id = id;
  }
}

function mangle(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, (c) => '$' + c.codePointAt(0)!.toString(16) + '$');
}

const lit = (s: string): string => JSON.stringify(s);

/** Names assigned directly in a list of statements (not inside nested scopes). */
function storedNames(stmts: Stmt[], out: Set<string> = new Set()): Set<string> {
  const target = (e: Expr): void => {
    if (e.k === 'name') out.add(e.name);
    else if (e.k === 'tuple') e.items.forEach(target);
  };
  for (const s of stmts) {
    switch (s.k) {
      case 'assign':
      case 'assignblock':
        target(s.target);
        break;
      case 'macro':
        out.add(s.name);
        break;
      case 'import':
        out.add(s.target);
        break;
      case 'fromimport':
        for (const [, alias] of s.names) out.add(alias);
        break;
      case 'if':
        storedNames(s.body, out);
        for (const e of s.elifs) storedNames(e.body, out);
        storedNames(s.else_, out);
        break;
    }
  }
  return out;
}

/** Whether a name is loaded anywhere inside these nodes (descending into everything but blocks). */
function usesName(node: unknown, name: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some((n) => usesName(n, name));
  const n = node as { k?: string; name?: string };
  if (n.k === 'name' && n.name === name) return true;
  if (n.k === 'block') return false;
  if (n.k === 'include' && name === 'loop') return true;
  for (const v of Object.values(node)) if (typeof v === 'object' && usesName(v, name)) return true;
  return false;
}

function hasExtends(stmts: Stmt[]): boolean {
  for (const s of stmts) {
    if (s.k === 'extends') return true;
    if (s.k === 'if' && (hasExtends(s.body) || s.elifs.some((e) => hasExtends(e.body)) || hasExtends(s.else_)))
      return true;
    if ((s.k === 'for' || s.k === 'with' || s.k === 'scope') && hasExtends(s.body)) return true;
  }
  return false;
}

/** Compiles a parsed template into JS module source (see Environment for how it is linked). */
export function compileAst(ast: TemplateAst, lookup: CompileLookup, templateName?: string): CompiledSource {
  return new Compiler(lookup, templateName).compile(ast);
}

class Compiler {
  lookup: CompileLookup;
  name: string | undefined;
  filters: CallableSpec[] = [];
  filterIdx = new Map<string, number>();
  tests: CallableSpec[] = [];
  testIdx = new Map<string, number>();
  consts: unknown[] = [];
  blocks: string[] = [];
  blockNames = new Set<string>();
  ids = 0;
  fn!: FnScope;
  out = 'o';
  extendsGuard = false;
  currentBlock: string | null = null;

  constructor(lookup: CompileLookup, name?: string) {
    this.lookup = lookup;
    this.name = name;
  }

  fail(msg: string, e: { line: number; column: number }): never {
    throw new TemplateSyntaxError(msg, e.line, e.column, this.name);
  }

  uid(): number {
    return ++this.ids;
  }

  temp(): string {
    const t = `t${this.fn.id}_${++this.fn.temps}`;
    return t;
  }

  compile(ast: TemplateAst): CompiledSource {
    this.extendsGuard = hasExtends(ast.body);
    const frame = new Frame(null, true, true);
    const body = this.functionBody(ast.body, frame, 'o', (inner) => {
      if (!this.extendsGuard) return inner;
      return `let P = null;\n${inner}if (P !== null) { return o + P.root(ctx); }\n`;
    });
    const code = [
      '"use strict";',
      'const {undef, undefAttr, add, sub, mul, div, floordiv, mod, pow, neg, pos, s, lt, le, gt, ge, eq, ne, contains, ga, gaSlow, gi, slice, call, cm, iter, unpack, res, tick, loopTick, nsSet, concat, truthy} = rt;',
      'const {Loop, Macro, MISSING, mkTuple, mkDict, Undefined} = E.lib;',
      'const K = S.consts;',
      ...this.filters.map((_, i) => `const F${i} = S.filters[${i}].fn;`),
      ...this.tests.map((_, i) => `const T${i} = S.tests[${i}].fn;`),
      ...this.blocks,
      `function root(ctx) {\n${body}}`,
      `return { root, blocks: { ${[...this.blockNames].map((n) => `${lit(n)}: block_${mangle(n)}`).join(', ')} } };`,
    ].join('\n');
    return { code, filters: this.filters, tests: this.tests, consts: this.consts };
  }

  /** Compiles statements as the body of a JS function with its own hoisted context lookups and temps. */
  functionBody(stmts: Stmt[], frame: Frame, outVar: string, wrap?: (inner: string) => string, prologue = ''): string {
    const savedFn = this.fn;
    const savedOut = this.out;
    this.fn = new FnScope(this.uid());
    this.out = outVar;
    let inner = prologue + this.frameDecls(frame, stmts) + this.stmts(stmts, frame);
    inner = `let ${outVar} = "";\n` + (wrap ? wrap(inner) : inner) + `return ${outVar};\n`;
    const hoists = [...this.fn.hoisted].map(([n, id]) => `const ${id} = res(ctx, ${lit(n)});\n`).join('');
    const temps = this.fn.temps
      ? `let ${Array.from({ length: this.fn.temps }, (_, i) => `t${this.fn.id}_${i + 1}`).join(', ')};\n`
      : '';
    const result = `${hoists}${temps}let ln = 0;\ntry {\n${inner}} catch (err) { throw E.annotate(err, ln); }\n`;
    this.fn = savedFn;
    this.out = savedOut;
    return result;
  }

  /** Declares the names a frame assigns, initialised from the enclosing scope as Jinja2 does. */
  frameDecls(frame: Frame, stmts: Stmt[], skip: Set<string> = new Set()): string {
    let code = '';
    for (const n of storedNames(stmts)) {
      if (skip.has(n) || frame.names.has(n)) continue;
      const outer = frame.parent ? this.resolve(n, frame.parent) : `res(ctx, ${lit(n)})`;
      const id = `l${this.uid()}_${mangle(n)}`;
      frame.names.set(n, id);
      code += `let ${id} = ${outer};\n`;
    }
    return code;
  }

  resolve(name: string, frame: Frame | null): string {
    for (let f = frame; f; f = f.parent) {
      const id = f.names.get(name);
      if (id) return id;
    }
    let id = this.fn.hoisted.get(name);
    if (!id) {
      id = `c${this.fn.id}_${mangle(name)}`;
      this.fn.hoisted.set(name, id);
    }
    return id;
  }

  /** All visible template names in a frame chain, as a JS object literal (for include/scoped blocks). */
  localsObject(frame: Frame): string {
    const seen = new Map<string, string>();
    for (let f: Frame | null = frame; f; f = f.parent) {
      for (const [n, id] of f.names) if (!seen.has(n)) seen.set(n, id);
    }
    // Computed keys: a template name "__proto__" must stay an own key, not set the prototype.
    return `{__proto__: null${[...seen].map(([n, id]) => `, [${lit(n)}]: ${id}`).join('')}}`;
  }

  stmts(list: Stmt[], frame: Frame): string {
    let code = '';
    for (const s of list) code += this.stmt(s, frame);
    return code;
  }

  guard(frame: Frame, code: string): string {
    return this.extendsGuard && frame.rootLevel ? `if (P === null) {\n${code}}\n` : code;
  }

  stmt(s: Stmt, frame: Frame): string {
    const ln = `ln = ${s.line};\n`;
    switch (s.k) {
      case 'output': {
        const parts: string[] = [];
        let code = '';
        for (const n of s.nodes) {
          if (typeof n === 'string') parts.push(lit(n));
          else {
            code += `ln = ${n.line};\n`;
            parts.push(`s(${this.expr(n, frame)})`);
          }
        }
        if (!parts.length) return '';
        if (code === '' || s.nodes.filter((n) => typeof n !== 'string').length <= 1) {
          return this.guard(frame, `${code}${this.out} += ${parts.join(' + ')};\n`);
        }
        // Several expressions: evaluate one at a time so error lines stay precise.
        let seq = '';
        for (const n of s.nodes) {
          if (typeof n === 'string') seq += `${this.out} += ${lit(n)};\n`;
          else seq += `ln = ${n.line};\n${this.out} += s(${this.expr(n, frame)});\n`;
        }
        return this.guard(frame, seq);
      }
      case 'if': {
        let code = `${ln}if (truthy(${this.expr(s.test, frame)})) {\n${this.stmts(s.body, frame)}}`;
        for (const e of s.elifs)
          code += ` else if (truthy(${this.expr(e.test, frame)})) {\n${this.stmts(e.body, frame)}}`;
        if (s.else_.length) code += ` else {\n${this.stmts(s.else_, frame)}}`;
        return code + '\n';
      }
      case 'for':
        return ln + this.forLoop(s, frame);
      case 'assign': {
        const value = this.expr(s.expr, frame);
        return ln + this.assign(s.target, value, frame);
      }
      case 'assignblock': {
        const inner = new Frame(frame, false, false);
        const ov = `o${this.uid()}`;
        const saved = this.out;
        this.out = ov;
        const body = this.frameDecls(inner, s.body) + this.stmts(s.body, inner);
        this.out = saved;
        let value = ov;
        if (s.filter) value = this.filterChain(s.filter, ov, frame);
        return `${ln}{\nlet ${ov} = "";\n${body}${this.assign(s.target, value, frame)}}\n`;
      }
      case 'macro': {
        const m = this.macro(s.name, s.params, s.defaults, s.body, frame, s);
        return ln + this.assign({ k: 'name', name: s.name, line: s.line, column: s.column }, m, frame);
      }
      case 'callblock': {
        const caller = this.macro('caller', s.params, s.defaults, s.body, frame, s);
        const c = s.call;
        const code = this.callExpr(c, frame, caller);
        return this.guard(frame, `${ln}${this.out} += s(${code});\n`);
      }
      case 'filterblock': {
        const inner = new Frame(frame, false, false);
        const ov = `o${this.uid()}`;
        const saved = this.out;
        this.out = ov;
        const body = this.frameDecls(inner, s.body) + this.stmts(s.body, inner);
        this.out = saved;
        return this.guard(
          frame,
          `${ln}{\nlet ${ov} = "";\n${body}${this.out} += s(${this.filterChain(s.filter, ov, frame)});\n}\n`,
        );
      }
      case 'include': {
        const locals = s.withContext ? this.localsObject(frame) : 'null';
        return this.guard(
          frame,
          `${ln}${this.out} += E.include(ctx, ${this.expr(s.template, frame)}, ${s.ignoreMissing}, ${s.withContext}, ${locals});\n`,
        );
      }
      case 'import': {
        const locals = s.withContext ? this.localsObject(frame) : 'null';
        const value = `E.importModule(ctx, ${this.expr(s.template, frame)}, ${s.withContext}, ${locals})`;
        return ln + this.assign({ k: 'name', name: s.target, line: s.line, column: s.column }, value, frame);
      }
      case 'fromimport': {
        const locals = s.withContext ? this.localsObject(frame) : 'null';
        const mv = `m${this.uid()}`;
        let code = `${ln}{\nconst ${mv} = E.importModule(ctx, ${this.expr(s.template, frame)}, ${s.withContext}, ${locals});\n`;
        for (const [name, alias] of s.names) {
          code += this.assign(
            { k: 'name', name: alias, line: s.line, column: s.column },
            `E.importName(${mv}, ${lit(name)}, ${s.line})`,
            frame,
          );
        }
        return code + '}\n';
      }
      case 'extends': {
        if (!frame.rootLevel) this.fail('extends is only allowed at the top level of a template', s);
        return `${ln}P = E.extend(ctx, ${this.expr(s.template, frame)}, P);\n`;
      }
      case 'block': {
        if (this.blockNames.has(s.name)) this.fail(`block '${s.name}' defined twice`, s);
        this.blockNames.add(s.name);
        const savedBlock = this.currentBlock;
        this.currentBlock = s.name;
        const bframe = new Frame(null, false, false);
        const fnName = `block_${mangle(s.name)}`;
        const body = this.functionBody(s.body, bframe, 'o');
        this.blocks.push(`function ${fnName}(ctx) {\n${body}}`);
        this.currentBlock = savedBlock;
        const target = s.scoped ? `E.derived(ctx, ${this.localsObject(frame)})` : 'ctx';
        const call = `${ln}${this.out} += E.renderBlock(ctx, ${lit(s.name)}, ${target});\n`;
        return this.guard(frame, call);
      }
      case 'with': {
        const inner = new Frame(frame, false, frame.rootLevel);
        let code = `${ln}{\n`;
        const values = s.values.map((v) => this.expr(v, frame));
        const tmps: string[] = [];
        for (const v of values) {
          const t = `w${this.uid()}`;
          tmps.push(t);
          code += `const ${t} = ${v};\n`;
        }
        const targetNames = new Set<string>();
        const collect = (e: Expr): void => {
          if (e.k === 'name') targetNames.add(e.name);
          else if (e.k === 'tuple') e.items.forEach(collect);
        };
        s.targets.forEach(collect);
        for (const n of targetNames) {
          const id = `l${this.uid()}_${mangle(n)}`;
          inner.names.set(n, id);
          code += `let ${id};\n`;
        }
        s.targets.forEach((t, i) => {
          code += this.assign(t, tmps[i], inner);
        });
        code += this.frameDecls(inner, s.body) + this.stmts(s.body, inner);
        return code + '}\n';
      }
      case 'scope': {
        const inner = new Frame(frame, false, frame.rootLevel);
        return `{\n${this.frameDecls(inner, s.body)}${this.stmts(s.body, inner)}}\n`;
      }
    }
  }

  assign(target: Expr, value: string, frame: Frame): string {
    if (target.k === 'name') {
      const id = this.resolve(target.name, frame);
      let code = `${id} = ${value};\n`;
      if (frame.toplevel) {
        code += `ctx.vars[${lit(target.name)}] = ${id};\n`;
        if (!target.name.startsWith('_')) code += `ctx.exported.add(${lit(target.name)});\n`;
      }
      return code;
    }
    if (target.k === 'nsref') {
      return `nsSet(${this.resolve(target.name, frame)}, ${lit(target.attr)}, ${value});\n`;
    }
    if (target.k === 'tuple') {
      const t = `u${this.uid()}`;
      let code = `{\nconst ${t} = unpack(${value}, ${target.items.length});\n`;
      target.items.forEach((item, i) => {
        code += this.assign(item, `${t}[${i}]`, frame);
      });
      return code + '}\n';
    }
    this.fail(`can't assign to ${target.k}`, target);
  }

  forLoop(s: Extract<Stmt, { k: 'for' }>, frame: Frame): string {
    const id = this.uid();
    const usesLoop = usesName(s.body, 'loop') || s.recursive;
    const iterExpr = this.expr(s.iter, frame);
    const loopFrame = new Frame(frame, false, frame.rootLevel);
    const targetNames = new Set<string>();
    const collect = (e: Expr): void => {
      if (e.k === 'name') targetNames.add(e.name);
      else if (e.k === 'tuple') e.items.forEach(collect);
    };
    collect(s.target);
    const bindTarget = (itemVar: string, f: Frame): string => {
      let code = '';
      for (const n of targetNames) {
        const tid = `l${this.uid()}_${mangle(n)}`;
        f.names.set(n, tid);
        code += `let ${tid};\n`;
      }
      // Loop targets are plain local stores even in a top-level loop.
      const saveTop = f.toplevel;
      f.toplevel = false;
      code += this.assign(s.target, itemVar, f);
      f.toplevel = saveTop;
      return code;
    };
    const arr = `a${id}`;
    const ov = this.out;
    let filterCode = '';
    if (s.test) {
      const tf = new Frame(frame, false, false);
      const it = `x${id}`;
      const bind = bindTarget(it, tf);
      filterCode = `{\nconst src = ${arr};\n${arr} = [];\nfor (const ${it} of src) {\n${bind}if (truthy(${this.expr(s.test, tf)})) ${arr}.push(${it});\n}\n}\n`;
    }
    const loopVar = `L${id}`;
    if (usesLoop) loopFrame.names.set('loop', loopVar);
    const item = `${arr}[i${id}]`;
    let bodyCode = bindTarget(item, loopFrame);
    bodyCode += this.frameDecls(loopFrame, s.body, targetNames);
    const recursiveFn = `R${id}`;
    const innerOut = s.recursive ? `o${id}` : ov;
    const savedOut = this.out;
    this.out = innerOut;
    bodyCode += this.stmts(s.body, loopFrame);
    this.out = savedOut;
    let elseCode = '';
    if (s.else_.length) {
      const ef = new Frame(frame, false, frame.rootLevel);
      this.out = innerOut;
      elseCode = `if (n${id} === 0) {\n${this.frameDecls(ef, s.else_)}${this.stmts(s.else_, ef)}}\n`;
      this.out = savedOut;
    }
    const loopCore = (depthExpr: string, recurse: string): string =>
      `${filterCode}const n${id} = ${arr}.length;\n` +
      (usesLoop ? `const ${loopVar} = new Loop(${arr}, ${depthExpr}, ${recurse});\n` : '') +
      `for (let i${id} = 0; i${id} < n${id}; i${id}++) {\nloopTick(${innerOut});\n` +
      (usesLoop ? `${loopVar}.index0 = i${id};\n` : '') +
      `${bodyCode}}\n${elseCode}`;
    if (!s.recursive) {
      return `{\nlet ${arr} = iter(${iterExpr});\n${loopCore('0', 'null')}}\n`;
    }
    return (
      `{\nconst ${recursiveFn} = (src, depth) => {\nlet ${innerOut} = "";\nlet ${arr} = iter(src);\n` +
      loopCore('depth', `(items) => ${recursiveFn}(items, depth + 1)`) +
      `return ${innerOut};\n};\n${ov} += ${recursiveFn}(${iterExpr}, 0);\n}\n`
    );
  }

  macro(
    name: string,
    params: string[],
    defaults: Expr[],
    body: Stmt[],
    frame: Frame,
    pos: { line: number; column: number },
  ): string {
    const mframe = new Frame(frame, false, false);
    const args: string[] = [];
    let prologue = '';
    const firstDefault = params.length - defaults.length;
    for (const p of params) {
      const id = `l${this.uid()}_${mangle(p)}`;
      mframe.names.set(p, id);
      args.push(id);
    }
    const usesCaller = !params.includes('caller') && usesName(body, 'caller');
    const catchKwargs = !params.includes('kwargs') && usesName(body, 'kwargs');
    const catchVarargs = !params.includes('varargs') && usesName(body, 'varargs');
    for (const [flag, n] of [
      [usesCaller, 'caller'],
      [catchKwargs, 'kwargs'],
      [catchVarargs, 'varargs'],
    ] as const) {
      if (!flag) continue;
      const id = `l${this.uid()}_${n}`;
      mframe.names.set(n, id);
      args.push(id);
    }
    // Defaults are evaluated inside the macro, after earlier parameters are bound.
    const savedFn = this.fn;
    this.fn = new FnScope(this.uid());
    params.forEach((p, i) => {
      const id = mframe.names.get(p)!;
      const dflt =
        i >= firstDefault
          ? this.expr(defaults[i - firstDefault], mframe)
          : `undef(${lit(p)}, ${lit(`parameter '${p}' was not provided`)})`;
      prologue += `if (${id} === MISSING) ${id} = ${dflt};\n`;
    });
    const defaultFn = this.fn;
    this.fn = savedFn;
    let fnBody = this.functionBody(body, mframe, 'o', undefined, prologue);
    // Hoists and temps used by default expressions live in the macro function too.
    const extra =
      [...defaultFn.hoisted].map(([n, hid]) => `const ${hid} = res(ctx, ${lit(n)});\n`).join('') +
      (defaultFn.temps
        ? `let ${Array.from({ length: defaultFn.temps }, (_, i) => `t${defaultFn.id}_${i + 1}`).join(', ')};\n`
        : '');
    fnBody = extra + fnBody;
    void pos;
    return `new Macro(${lit(name)}, ${JSON.stringify(params)}, ${catchKwargs}, ${catchVarargs}, ${usesCaller}, function (${args.join(', ')}) {\n${fnBody}})`;
  }

  // ---- expressions ----

  constant(v: unknown): string {
    if (typeof v === 'string') return lit(v);
    if (typeof v === 'number')
      return Number.isFinite(v) ? (Object.is(v, -0) ? '-0' : String(v)) : `K[${this.consts.push(v) - 1}]`;
    if (typeof v === 'boolean') return String(v);
    if (v === null) return 'null';
    if (v instanceof PyFloat) return `K[${this.consts.push(v) - 1}]`;
    return `K[${this.consts.push(v) - 1}]`;
  }

  expr(e: Expr, frame: Frame): string {
    switch (e.k) {
      case 'const':
        return this.constant(e.value);
      case 'name':
        return this.resolve(e.name, frame);
      case 'nsref':
        return `ga(${this.resolve(e.name, frame)}, ${lit(e.attr)})`;
      case 'tuple':
        return `mkTuple([${e.items.map((x) => this.expr(x, frame)).join(', ')}])`;
      case 'list':
        return `[${e.items.map((x) => this.expr(x, frame)).join(', ')}]`;
      case 'dict':
        return `mkDict([${e.pairs.map(([k, v]) => `[${this.expr(k, frame)}, ${this.expr(v, frame)}]`).join(', ')}])`;
      case 'getattr':
        return ALL_METHOD_NAMES.has(e.attr)
          ? `gaSlow(${this.expr(e.obj, frame)}, ${lit(e.attr)})`
          : `ga(${this.expr(e.obj, frame)}, ${lit(e.attr)})`;
      case 'getitem': {
        if (e.arg.k === 'slice') {
          const a = e.arg;
          const part = (x: Expr | null): string => (x ? this.expr(x, frame) : 'null');
          return `slice(${this.expr(e.obj, frame)}, ${part(a.start)}, ${part(a.stop)}, ${part(a.step)})`;
        }
        return `gi(${this.expr(e.obj, frame)}, ${this.expr(e.arg, frame)})`;
      }
      case 'slice':
        return `E.sliceValue(${e.start ? this.expr(e.start, frame) : 'null'}, ${e.stop ? this.expr(e.stop, frame) : 'null'}, ${e.step ? this.expr(e.step, frame) : 'null'})`;
      case 'call':
        return this.callExpr(e, frame, null);
      case 'filter':
        return this.filterChain(e, 'undefined', frame);
      case 'test':
        return this.testExpr(e, frame);
      case 'cond': {
        const other = e.b
          ? this.expr(e.b, frame)
          : `new Undefined(null, ${lit(`the inline if-expression on line ${e.line} evaluated to false and no else section was defined.`)})`;
        return `(truthy(${this.expr(e.test, frame)}) ? ${this.expr(e.a, frame)} : ${other})`;
      }
      case 'bin': {
        const fn = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '//': 'floordiv', '%': 'mod', '**': 'pow' }[e.op];
        return `${fn}(${this.expr(e.left, frame)}, ${this.expr(e.right, frame)})`;
      }
      case 'and': {
        const t = this.temp();
        return `(truthy(${t} = ${this.expr(e.left, frame)}) ? ${this.expr(e.right, frame)} : ${t})`;
      }
      case 'or': {
        const t = this.temp();
        return `(truthy(${t} = ${this.expr(e.left, frame)}) ? ${t} : ${this.expr(e.right, frame)})`;
      }
      case 'not':
        return `!truthy(${this.expr(e.node, frame)})`;
      case 'neg':
        return `neg(${this.expr(e.node, frame)})`;
      case 'pos':
        return `pos(${this.expr(e.node, frame)})`;
      case 'concat':
        return `concat(${e.items.map((x) => this.expr(x, frame)).join(', ')})`;
      case 'compare': {
        const opFn = (op: string, a: string, b: string): string => {
          switch (op) {
            case '==':
              return `eq(${a}, ${b})`;
            case '!=':
              return `ne(${a}, ${b})`;
            case '<':
              return `lt(${a}, ${b})`;
            case '<=':
              return `le(${a}, ${b})`;
            case '>':
              return `gt(${a}, ${b})`;
            case '>=':
              return `ge(${a}, ${b})`;
            case 'in':
              return `contains(${b}, ${a})`;
            case 'notin':
              return `!contains(${b}, ${a})`;
          }
          throw new Error(op);
        };
        if (e.ops.length === 1) return opFn(e.ops[0][0], this.expr(e.expr, frame), this.expr(e.ops[0][1], frame));
        // Chained comparisons evaluate each operand once, left to right, stopping at the first false.
        let prev = this.temp();
        let code = `(${prev} = ${this.expr(e.expr, frame)}, `;
        const parts: string[] = [];
        for (const [op, rhs] of e.ops) {
          const t = this.temp();
          parts.push(`(${t} = ${this.expr(rhs, frame)}, ${opFn(op, prev, t)})`);
          prev = t;
        }
        code += parts.join(' && ') + ')';
        return code;
      }
    }
  }

  argsArray(p: CallParts, frame: Frame): string {
    const base = `[${p.args.map((a) => this.expr(a, frame)).join(', ')}]`;
    if (!p.dynArgs) return base;
    return `${base}.concat(iter(${this.expr(p.dynArgs, frame)}))`;
  }

  kwargsObject(p: CallParts, frame: Frame, extra: [string, string][] = []): string {
    const pairs = [...p.kwargs.map(([k, v]) => [k, this.expr(v, frame)] as [string, string]), ...extra];
    if (!pairs.length && !p.dynKwargs) return 'null';
    const obj = `{__proto__: null${pairs.map(([k, v]) => `, [${lit(k)}]: ${v}`).join('')}}`;
    if (!p.dynKwargs) return obj;
    return `E.mergeKwargs(${obj}, ${this.expr(p.dynKwargs, frame)})`;
  }

  callExpr(e: Extract<Expr, { k: 'call' }>, frame: Frame, caller: string | null): string {
    const extra: [string, string][] = caller ? [['caller', caller]] : [];
    const args = this.argsArray(e, frame);
    const kwargs = this.kwargsObject(e, frame, extra);
    if (e.fn.k === 'name' && e.fn.name === 'super' && this.currentBlock !== null && !this.isDeclared('super', frame)) {
      return `E.superBlock(ctx, ${lit(this.currentBlock)}, block_${mangle(this.currentBlock)})`;
    }
    if (e.fn.k === 'getattr') return `cm(${this.expr(e.fn.obj, frame)}, ${lit(e.fn.attr)}, ${args}, ${kwargs})`;
    return `call(${this.expr(e.fn, frame)}, ${args}, ${kwargs})`;
  }

  isDeclared(name: string, frame: Frame): boolean {
    for (let f: Frame | null = frame; f; f = f.parent) if (f.names.has(name)) return true;
    return false;
  }

  specCall(
    kind: 'filter' | 'test',
    spec: CallableSpec,
    index: number,
    value: string,
    p: CallParts,
    frame: Frame,
    node: { line: number; column: number; name: string },
  ): string {
    if (spec.raw || p.dynArgs || p.dynKwargs) {
      return `E.callSpec(S.${kind}s[${index}], ${lit(node.name)}, ${value}, ${this.argsArray(p, frame)}, ${this.kwargsObject(p, frame)})`;
    }
    const params = spec.params ?? [];
    const slots: (string | undefined)[] = p.args.map((a) => this.expr(a, frame));
    if (slots.length > params.length && !spec.raw) {
      if (params.length === 0 && spec.params === undefined) {
        // Unknown signature (a plain user function): pass positional arguments through.
      } else {
        return `E.tooManyArgs(${lit(kind)}, ${lit(node.name)})`;
      }
    }
    for (const [k, v] of p.kwargs) {
      const i = params.indexOf(k);
      if (i < 0) return `E.badKwarg(${lit(kind)}, ${lit(node.name)}, ${lit(k)})`;
      if (slots[i] !== undefined) return `E.badKwarg(${lit(kind)}, ${lit(node.name)}, ${lit(k)})`;
      while (slots.length < i) slots.push(undefined);
      slots[i] = this.expr(v, frame);
    }
    const argList = slots.map((x) => x ?? 'undefined');
    return `${kind === 'filter' ? 'F' : 'T'}${index}(E, ${value}${argList.map((a) => ', ' + a).join('')})`;
  }

  filterChain(f: FilterExpr, value: string, frame: Frame): string {
    // Filters nest through .node; the innermost one applies first.
    const chain: FilterExpr[] = [];
    let cur: Expr | null = f;
    while (cur && cur.k === 'filter') {
      chain.unshift(cur);
      cur = cur.node;
    }
    let v = cur ? this.expr(cur, frame) : value;
    for (const fl of chain) {
      const spec = this.lookup.filter(fl.name);
      if (!spec) this.fail(`No filter named '${fl.name}'.`, fl);
      let idx = this.filterIdx.get(fl.name);
      if (idx === undefined) {
        idx = this.filters.push(spec!) - 1;
        this.filterIdx.set(fl.name, idx);
      }
      v = this.specCall('filter', spec!, idx, v, fl, frame, fl);
    }
    return v;
  }

  testExpr(e: Extract<Expr, { k: 'test' }>, frame: Frame): string {
    const spec = this.lookup.test(e.name);
    if (!spec) this.fail(`No test named '${e.name}'.`, e);
    let idx = this.testIdx.get(e.name);
    if (idx === undefined) {
      idx = this.tests.push(spec!) - 1;
      this.testIdx.set(e.name, idx);
    }
    return `truthy(${this.specCall('test', spec!, idx, this.expr(e.node, frame), e, frame, e)})`;
  }
}
