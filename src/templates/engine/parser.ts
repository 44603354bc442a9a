// Recursive-descent parser following Jinja2 3.1's grammar and operator precedence.
import type { CallExpr, CallParts, Expr, FilterExpr, Pos, Stmt, TemplateAst } from './ast.ts';
import { TemplateSyntaxError } from './errors.ts';
import { MAX_NESTING, type Token } from './lexer.ts';
import { mkFloat } from './values.ts';

const COMPARE_OPS = new Set(['==', '!=', '>', '>=', '<', '<=']);

export { MAX_NESTING };
/** Deepest expression or statement tree (also chains such as a|f|f|f or 1+1+1) the compiler accepts. */
export const MAX_AST_DEPTH = 400;
const STATEMENT_KEYWORDS = new Set([
  'for',
  'if',
  'block',
  'extends',
  'print',
  'macro',
  'include',
  'from',
  'import',
  'set',
  'with',
  'autoescape',
  'call',
  'filter',
]);

function describe(tok: Token): string {
  if (tok.type === 'eof') return 'end of template';
  if (
    tok.type === 'name' ||
    tok.type === 'operator' ||
    tok.type === 'integer' ||
    tok.type === 'float' ||
    tok.type === 'string'
  )
    return tok.value;
  if (tok.type === 'block_end') return 'end of statement block';
  if (tok.type === 'variable_end') return 'end of print statement';
  if (tok.type === 'block_begin') return 'begin of statement block';
  if (tok.type === 'variable_begin') return 'begin of print statement';
  return tok.type;
}

/** Parses a token list into a template AST, raising TemplateSyntaxError with line and column. */
export function parse(tokens: Iterable<Token>, templateName?: string): TemplateAst {
  const ast = new Parser(tokens, templateName).parseTemplate();
  checkAstDepth(ast, templateName);
  return ast;
}

/**
 * Rejects trees deeper than MAX_AST_DEPTH, walking with an explicit stack (no recursion), so that the
 * recursive compiler and V8's parser of the generated code never overflow the stack.
 */
function checkAstDepth(ast: TemplateAst, templateName?: string): void {
  const stack: [unknown, number][] = [[ast.body, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const child of node) stack.push([child, depth]);
      continue;
    }
    const n = node as Partial<Pos> & { k?: unknown };
    const d = typeof n.k === 'string' ? depth + 1 : depth;
    if (d > MAX_AST_DEPTH) {
      throw new TemplateSyntaxError(
        `expression or statement nesting exceeds the limit of ${MAX_AST_DEPTH} levels`,
        n.line ?? 1,
        n.column ?? 1,
        templateName,
      );
    }
    for (const v of Object.values(node)) if (v !== null && typeof v === 'object') stack.push([v, d]);
  }
}

class Parser {
  /** Tokens pulled from the lexer so far; the last one is eof once the stream is exhausted. */
  buf: Token[] = [];
  src: Iterator<Token> | null;
  i = 0;
  name: string | undefined;
  endTokenStack: string[][] = [];
  tagStack: string[] = [];
  depth = 0;

  constructor(tokens: Iterable<Token>, name?: string) {
    this.src = tokens[Symbol.iterator]();
    this.name = name;
  }

  /** Token i, pulling from the lexer as needed; past the end, the final (eof) token. */
  at(i: number): Token {
    while (i >= this.buf.length && this.src) {
      const r = this.src.next();
      if (r.done) this.src = null;
      else this.buf.push(r.value);
    }
    return this.buf[Math.min(i, this.buf.length - 1)];
  }
  get cur(): Token {
    return this.at(this.i);
  }
  look(): Token {
    return this.at(this.i + 1);
  }
  next(): Token {
    const t = this.at(this.i);
    if (t.type !== 'eof') this.i++;
    return t;
  }
  pos(t: Token = this.cur): Pos {
    return { line: t.line, column: t.column };
  }
  fail(message: string, t: Token = this.cur): never {
    throw new TemplateSyntaxError(message, t.line, t.column, this.name);
  }
  /** Enters one nesting level (a recursive descent step); fails cleanly instead of overflowing the stack. */
  enter(): void {
    if (++this.depth > MAX_NESTING) this.fail(`template nesting exceeds the limit of ${MAX_NESTING} levels`);
  }
  leave(): void {
    this.depth--;
  }
  /** Bounds left-deep chains (a|f|f…, 1+1+…, a.b.c…) while parsing, before the rest is even lexed. */
  chain(length: number): void {
    if (length > MAX_AST_DEPTH)
      this.fail(`expression or statement nesting exceeds the limit of ${MAX_AST_DEPTH} levels`);
  }
  isName(value: string, t: Token = this.cur): boolean {
    return t.type === 'name' && t.value === value;
  }
  isOp(value: string, t: Token = this.cur): boolean {
    return t.type === 'operator' && t.value === value;
  }
  skipName(value: string): boolean {
    if (this.isName(value)) {
      this.next();
      return true;
    }
    return false;
  }
  skipOp(value: string): boolean {
    if (this.isOp(value)) {
      this.next();
      return true;
    }
    return false;
  }
  expectOp(value: string): Token {
    if (!this.isOp(value)) this.fail(`expected token '${value}', got '${describe(this.cur)}'`);
    return this.next();
  }
  expectName(value?: string): Token {
    const t = this.cur;
    if (t.type !== 'name' || (value !== undefined && t.value !== value)) {
      this.fail(
        value ? `expected token '${value}', got '${describe(t)}'` : `expected token 'name', got '${describe(t)}'`,
      );
    }
    return this.next();
  }
  expectType(type: Token['type']): Token {
    if (this.cur.type !== type) {
      const wanted =
        type === 'block_end' ? 'end of statement block' : type === 'variable_end' ? 'end of print statement' : type;
      this.fail(`expected token '${wanted}', got '${describe(this.cur)}'`);
    }
    return this.next();
  }

  parseTemplate(): TemplateAst {
    const body = this.subparse(null);
    return { body };
  }

  failEof(endTokens: string[] | null): never {
    const expected = [...this.endTokenStack];
    if (endTokens) expected.push(endTokens);
    let msg = 'Unexpected end of template.';
    if (expected.length) {
      const last = expected[expected.length - 1];
      msg += ` Jinja was looking for the following tags: ${last.map((t) => `'${t}'`).join(' or ')}.`;
    }
    if (this.tagStack.length)
      msg += ` The innermost block that needs to be closed is '${this.tagStack[this.tagStack.length - 1]}'.`;
    this.fail(msg);
  }

  subparse(endTokens: string[] | null): Stmt[] {
    const body: Stmt[] = [];
    let data: (string | Expr)[] = [];
    let dataPos: Pos | null = null;
    const flush = (): void => {
      if (data.length) {
        body.push({ k: 'output', nodes: data, ...dataPos! });
        data = [];
        dataPos = null;
      }
    };
    if (endTokens) this.endTokenStack.push(endTokens);
    if (endTokens) this.enter();
    try {
      for (;;) {
        const t = this.cur;
        if (t.type === 'eof') break;
        if (t.type === 'data') {
          if (!dataPos) dataPos = this.pos(t);
          data.push(t.value);
          this.next();
        } else if (t.type === 'variable_begin') {
          if (!dataPos) dataPos = this.pos(t);
          this.next();
          data.push(this.parseTuple({ withCondexpr: true }));
          this.expectType('variable_end');
        } else if (t.type === 'block_begin') {
          flush();
          this.next();
          if (endTokens && this.cur.type === 'name' && endTokens.includes(this.cur.value)) return body;
          body.push(...this.parseStatement());
          this.expectType('block_end');
        } else {
          this.fail(`unexpected '${describe(t)}'`);
        }
      }
      flush();
    } finally {
      if (endTokens) {
        this.endTokenStack.pop();
        this.leave();
      }
    }
    return body;
  }

  parseStatements(endTokens: string[], dropNeedle = false): Stmt[] {
    this.skipOp(':');
    this.expectType('block_end');
    const body = this.subparse(endTokens);
    if (this.cur.type === 'eof') this.failEof(endTokens);
    if (dropNeedle) this.next();
    return body;
  }

  parseStatement(): Stmt[] {
    const t = this.cur;
    if (t.type !== 'name') this.fail('tag name expected');
    if (STATEMENT_KEYWORDS.has(t.value) || t.value === 'call' || t.value === 'filter') {
      this.tagStack.push(t.value);
      try {
        switch (t.value) {
          case 'for':
            return [this.parseFor()];
          case 'if':
            return [this.parseIf()];
          case 'block':
            return [this.parseBlock()];
          case 'extends':
            return [this.parseExtends()];
          case 'print':
            return [this.parsePrint()];
          case 'macro':
            return [this.parseMacro()];
          case 'include':
            return [this.parseInclude()];
          case 'from':
            return [this.parseFrom()];
          case 'import':
            return [this.parseImport()];
          case 'set':
            return [this.parseSet()];
          case 'with':
            return [this.parseWith()];
          case 'autoescape':
            return [this.parseAutoescape()];
          case 'call':
            return [this.parseCallBlock()];
          case 'filter':
            return [this.parseFilterBlock()];
        }
      } finally {
        this.tagStack.pop();
      }
    }
    let msg = `Encountered unknown tag '${t.value}'.`;
    const expected = this.endTokenStack.flat();
    if (expected.length) {
      msg += ` Jinja was looking for the following tags: ${this.endTokenStack[this.endTokenStack.length - 1].map((x) => `'${x}'`).join(' or ')}.`;
    }
    if (this.tagStack.length)
      msg += ` The innermost block that needs to be closed is '${this.tagStack[this.tagStack.length - 1]}'.`;
    this.fail(msg);
  }

  parseFor(): Stmt {
    const p = this.pos(this.next());
    const target = this.parseAssignTarget({ extraEnd: ['in'] });
    this.expectName('in');
    const iter = this.parseTuple({ withCondexpr: false, extraEnd: ['recursive'] });
    let test: Expr | null = null;
    if (this.skipName('if')) test = this.parseExpression();
    const recursive = this.skipName('recursive');
    const body = this.parseStatements(['endfor', 'else']);
    let else_: Stmt[] = [];
    if (this.next().value !== 'endfor') else_ = this.parseStatements(['endfor'], true);
    return { k: 'for', target, iter, body, else_, test, recursive, ...p };
  }

  parseIf(): Stmt {
    const p = this.pos(this.next());
    const test = this.parseTuple({ withCondexpr: false });
    const body = this.parseStatements(['elif', 'else', 'endif']);
    const elifs: { test: Expr; body: Stmt[] }[] = [];
    let else_: Stmt[] = [];
    for (;;) {
      const t = this.next();
      if (t.value === 'elif') {
        const et = this.parseTuple({ withCondexpr: false });
        const eb = this.parseStatements(['elif', 'else', 'endif']);
        elifs.push({ test: et, body: eb });
        continue;
      }
      if (t.value === 'else') else_ = this.parseStatements(['endif'], true);
      break;
    }
    return { k: 'if', test, body, elifs, else_, ...p };
  }

  parseWith(): Stmt {
    const p = this.pos(this.next());
    const targets: Expr[] = [];
    const values: Expr[] = [];
    while (this.cur.type !== 'block_end') {
      if (targets.length) this.expectOp(',');
      targets.push(this.parseAssignTarget({}));
      this.expectOp('=');
      values.push(this.parseExpression());
    }
    const body = this.parseStatements(['endwith'], true);
    return { k: 'with', targets, values, body, ...p };
  }

  parseAutoescape(): Stmt {
    const p = this.pos(this.next());
    this.parseExpression();
    const body = this.parseStatements(['endautoescape'], true);
    return { k: 'scope', body, ...p };
  }

  parseBlock(): Stmt {
    const p = this.pos(this.next());
    const name = this.expectName().value;
    const scoped = this.skipName('scoped');
    const required = this.skipName('required');
    if (this.isOp('-'))
      this.fail(
        'Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.',
      );
    const body = this.parseStatements(['endblock'], true);
    if (required) {
      for (const s of body) {
        if (s.k !== 'output' || s.nodes.some((n) => typeof n !== 'string' || !/^\s+$/.test(n))) {
          this.fail('Required blocks can only contain comments or whitespace');
        }
      }
    }
    this.skipName(name);
    return { k: 'block', name, scoped, required, body, ...p };
  }

  parseExtends(): Stmt {
    const p = this.pos(this.next());
    return { k: 'extends', template: this.parseExpression(), ...p };
  }

  parseImportContext(dflt: boolean): boolean {
    if ((this.isName('with') || this.isName('without')) && this.isName('context', this.look())) {
      const w = this.next().value === 'with';
      this.next();
      return w;
    }
    return dflt;
  }

  parseInclude(): Stmt {
    const p = this.pos(this.next());
    const template = this.parseExpression();
    let ignoreMissing = false;
    if (this.isName('ignore') && this.isName('missing', this.look())) {
      ignoreMissing = true;
      this.next();
      this.next();
    }
    const withContext = this.parseImportContext(true);
    return { k: 'include', template, ignoreMissing, withContext, ...p };
  }

  parseImport(): Stmt {
    const p = this.pos(this.next());
    const template = this.parseExpression();
    this.expectName('as');
    const target = this.expectName().value;
    const withContext = this.parseImportContext(false);
    return { k: 'import', template, target, withContext, ...p };
  }

  parseFrom(): Stmt {
    const p = this.pos(this.next());
    const template = this.parseExpression();
    this.expectName('import');
    const names: [string, string][] = [];
    let withContext: boolean | null = null;
    const parseContext = (): boolean => {
      if ((this.isName('with') || this.isName('without')) && this.isName('context', this.look())) {
        withContext = this.next().value === 'with';
        this.next();
        return true;
      }
      return false;
    };
    for (;;) {
      if (names.length) this.expectOp(',');
      if (this.cur.type === 'name') {
        if (parseContext()) break;
        const tt = this.cur;
        const target = this.expectName().value;
        if (target.startsWith('_')) this.fail('names starting with an underline can not be imported', tt);
        if (this.skipName('as')) names.push([target, this.expectName().value]);
        else names.push([target, target]);
        if (parseContext() || !this.isOp(',')) break;
      } else {
        this.expectName();
      }
    }
    return { k: 'fromimport', template, names, withContext: withContext ?? false, ...p };
  }

  parseSignature(): { params: string[]; defaults: Expr[] } {
    const params: string[] = [];
    const defaults: Expr[] = [];
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (params.length) this.expectOp(',');
      const name = this.expectName().value;
      if (this.skipOp('=')) defaults.push(this.parseExpression());
      else if (defaults.length) this.fail('non-default argument follows default argument');
      params.push(name);
    }
    this.expectOp(')');
    return { params, defaults };
  }

  parseCallBlock(): Stmt {
    const p = this.pos(this.next());
    let sig: { params: string[]; defaults: Expr[] } = { params: [], defaults: [] };
    if (this.isOp('(')) sig = this.parseSignature();
    const call = this.parseExpression();
    if (call.k !== 'call') this.fail('expected call');
    const body = this.parseStatements(['endcall'], true);
    return { k: 'callblock', call: call as CallExpr, params: sig.params, defaults: sig.defaults, body, ...p };
  }

  parseFilterBlock(): Stmt {
    const p = this.pos(this.next());
    const filter = this.parseFilter(null, true)!;
    const body = this.parseStatements(['endfilter'], true);
    return { k: 'filterblock', filter: filter as FilterExpr, body, ...p };
  }

  parseMacro(): Stmt {
    const p = this.pos(this.next());
    const name = this.expectName().value;
    const sig = this.parseSignature();
    const body = this.parseStatements(['endmacro'], true);
    return { k: 'macro', name, params: sig.params, defaults: sig.defaults, body, ...p };
  }

  parsePrint(): Stmt {
    const p = this.pos(this.next());
    const nodes: Expr[] = [];
    while (this.cur.type !== 'block_end') {
      if (nodes.length) this.expectOp(',');
      nodes.push(this.parseExpression());
    }
    return { k: 'output', nodes, ...p };
  }

  parseSet(): Stmt {
    const p = this.pos(this.next());
    const target = this.parseAssignTarget({ withNamespace: true });
    if (this.skipOp('=')) return { k: 'assign', target, expr: this.parseTuple({}), ...p };
    const filter = this.parseFilter(null) as FilterExpr | null;
    const body = this.parseStatements(['endset'], true);
    return { k: 'assignblock', target, filter, body, ...p };
  }

  parseAssignTarget(opts: { extraEnd?: string[]; withNamespace?: boolean }): Expr {
    const t = this.cur;
    const target = this.parseTuple({ simplified: true, extraEnd: opts.extraEnd, withNamespace: opts.withNamespace });
    const ok = (e: Expr): boolean => e.k === 'name' || e.k === 'nsref' || (e.k === 'tuple' && e.items.every(ok));
    if (!ok(target)) this.fail(`can't assign to ${target.k === 'const' ? 'const' : target.k}`, t);
    if (target.k === 'name' && ['true', 'false', 'none', 'True', 'False', 'None'].includes(target.name))
      this.fail(`can't assign to 'const'`, t);
    return target;
  }

  // ---- expressions ----

  parseExpression(withCondexpr = true): Expr {
    this.enter();
    try {
      return withCondexpr ? this.parseCondexpr() : this.parseOr();
    } finally {
      this.leave();
    }
  }

  parseCondexpr(): Expr {
    let p = this.pos();
    let expr1 = this.parseOr();
    let n = 0;
    while (this.skipName('if')) {
      this.chain(++n);
      const expr2 = this.parseOr();
      const expr3 = this.skipName('else') ? this.parseExpression() : null;
      expr1 = { k: 'cond', test: expr2, a: expr1, b: expr3, ...p };
      p = this.pos();
    }
    return expr1;
  }

  parseOr(): Expr {
    const p = this.pos();
    let left = this.parseAnd();
    for (let n = 1; this.skipName('or'); n++) {
      this.chain(n);
      left = { k: 'or', left, right: this.parseAnd(), ...p };
    }
    return left;
  }

  parseAnd(): Expr {
    const p = this.pos();
    let left = this.parseNot();
    for (let n = 1; this.skipName('and'); n++) {
      this.chain(n);
      left = { k: 'and', left, right: this.parseNot(), ...p };
    }
    return left;
  }

  parseNot(): Expr {
    if (this.isName('not')) {
      const p = this.pos(this.next());
      this.enter();
      try {
        return { k: 'not', node: this.parseNot(), ...p };
      } finally {
        this.leave();
      }
    }
    return this.parseCompare();
  }

  parseCompare(): Expr {
    const p = this.pos();
    const expr = this.parseMath1();
    const ops: [string, Expr][] = [];
    for (;;) {
      const t = this.cur;
      if (t.type === 'operator' && COMPARE_OPS.has(t.value)) {
        this.next();
        ops.push([t.value, this.parseMath1()]);
      } else if (this.skipName('in')) {
        ops.push(['in', this.parseMath1()]);
      } else if (this.isName('not') && this.isName('in', this.look())) {
        this.next();
        this.next();
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    if (!ops.length) return expr;
    return { k: 'compare', expr, ops, ...p };
  }

  parseMath1(): Expr {
    const p = this.pos();
    let left = this.parseConcat();
    for (let n = 1; this.isOp('+') || this.isOp('-'); n++) {
      this.chain(n);
      const op = this.next().value;
      left = { k: 'bin', op, left, right: this.parseConcat(), ...p };
    }
    return left;
  }

  parseConcat(): Expr {
    const p = this.pos();
    const items = [this.parseMath2()];
    while (this.skipOp('~')) items.push(this.parseMath2());
    return items.length === 1 ? items[0] : { k: 'concat', items, ...p };
  }

  parseMath2(): Expr {
    const p = this.pos();
    let left = this.parsePow();
    for (let n = 1; this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%'); n++) {
      this.chain(n);
      const op = this.next().value;
      left = { k: 'bin', op, left, right: this.parsePow(), ...p };
    }
    return left;
  }

  parsePow(): Expr {
    const p = this.pos();
    let left = this.parseUnary();
    for (let n = 1; this.skipOp('**'); n++) {
      this.chain(n);
      left = { k: 'bin', op: '**', left, right: this.parseUnary(), ...p };
    }
    return left;
  }

  parseUnary(withFilter = true): Expr {
    const p = this.pos();
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      const neg = this.next().value === '-';
      this.enter();
      try {
        node = { k: neg ? 'neg' : 'pos', node: this.parseUnary(false), ...p };
      } finally {
        this.leave();
      }
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  parsePrimary(withNamespace = false): Expr {
    const t = this.cur;
    const p = this.pos(t);
    if (t.type === 'name') {
      this.next();
      if (t.value === 'true' || t.value === 'True') return { k: 'const', value: true, ...p };
      if (t.value === 'false' || t.value === 'False') return { k: 'const', value: false, ...p };
      if (t.value === 'none' || t.value === 'None') return { k: 'const', value: null, ...p };
      if (withNamespace && this.isOp('.')) {
        this.next();
        const attr = this.expectName().value;
        return { k: 'nsref', name: t.value, attr, ...p };
      }
      return { k: 'name', name: t.value, ...p };
    }
    if (t.type === 'string') {
      this.next();
      let s = t.literal as string;
      while (this.cur.type === 'string') s += this.next().literal as string;
      return { k: 'const', value: s, ...p };
    }
    if (t.type === 'integer') {
      this.next();
      return { k: 'const', value: t.literal, ...p };
    }
    if (t.type === 'float') {
      this.next();
      return { k: 'const', value: mkFloat(t.literal as number), ...p };
    }
    if (this.isOp('(')) {
      this.next();
      const node = this.parseTuple({ explicitParentheses: true });
      this.expectOp(')');
      return node;
    }
    if (this.isOp('[')) return this.parseList();
    if (this.isOp('{')) return this.parseDict();
    this.fail(`unexpected '${describe(t)}'`);
  }

  isTupleEnd(extraEnd?: string[]): boolean {
    const t = this.cur;
    if (t.type === 'variable_end' || t.type === 'block_end' || t.type === 'eof') return true;
    if (this.isOp(')')) return true;
    if (extraEnd && t.type === 'name' && extraEnd.includes(t.value)) return true;
    return false;
  }

  parseTuple(opts: {
    simplified?: boolean;
    withCondexpr?: boolean;
    extraEnd?: string[];
    explicitParentheses?: boolean;
    withNamespace?: boolean;
  }): Expr {
    const p = this.pos();
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length) this.expectOp(',');
      if (this.isTupleEnd(opts.extraEnd)) break;
      items.push(
        opts.simplified ? this.parsePrimary(opts.withNamespace) : this.parseExpression(opts.withCondexpr ?? true),
      );
      if (this.isOp(',')) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length) return items[0];
      if (!opts.explicitParentheses) this.fail(`Expected an expression, got '${describe(this.cur)}'`);
    }
    return { k: 'tuple', items, ...p };
  }

  parseList(): Expr {
    const p = this.pos(this.expectOp('['));
    const items: Expr[] = [];
    while (!this.isOp(']')) {
      if (items.length) this.expectOp(',');
      if (this.isOp(']')) break;
      items.push(this.parseExpression());
    }
    this.expectOp(']');
    return { k: 'list', items, ...p };
  }

  parseDict(): Expr {
    const p = this.pos(this.expectOp('{'));
    const pairs: [Expr, Expr][] = [];
    while (!this.isOp('}')) {
      if (pairs.length) this.expectOp(',');
      if (this.isOp('}')) break;
      const key = this.parseExpression();
      this.expectOp(':');
      pairs.push([key, this.parseExpression()]);
    }
    this.expectOp('}');
    return { k: 'dict', pairs, ...p };
  }

  parsePostfix(node: Expr): Expr {
    for (let n = 1; ; n++) {
      this.chain(n);
      if (this.isOp('.') || this.isOp('[')) node = this.parseSubscript(node);
      else if (this.isOp('(')) node = this.parseCall(node);
      else break;
    }
    return node;
  }

  parseFilterExpr(node: Expr): Expr {
    for (let n = 1; ; n++) {
      this.chain(n);
      if (this.isOp('|')) node = this.parseFilter(node)!;
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOp('(')) node = this.parseCall(node);
      else break;
    }
    return node;
  }

  parseSubscript(node: Expr): Expr {
    const t = this.next();
    const p = this.pos(t);
    if (t.value === '.') {
      const a = this.next();
      if (a.type === 'name') return { k: 'getattr', obj: node, attr: a.value, ...p };
      if (a.type !== 'integer') this.fail('expected name or number', a);
      return { k: 'getitem', obj: node, arg: { k: 'const', value: a.literal, ...this.pos(a) }, ...p };
    }
    const args: Expr[] = [];
    while (!this.isOp(']')) {
      if (args.length) this.expectOp(',');
      args.push(this.parseSubscribed());
    }
    this.expectOp(']');
    const arg: Expr = args.length === 1 ? args[0] : { k: 'tuple', items: args, ...p };
    return { k: 'getitem', obj: node, arg, ...p };
  }

  parseSubscribed(): Expr {
    const p = this.pos();
    const parts: (Expr | null)[] = [];
    if (this.isOp(':')) {
      this.next();
      parts.push(null);
    } else {
      const node = this.parseExpression();
      if (!this.isOp(':')) return node;
      this.next();
      parts.push(node);
    }
    if (this.isOp(':')) parts.push(null);
    else if (!this.isOp(']') && !this.isOp(',')) parts.push(this.parseExpression());
    else parts.push(null);
    if (this.isOp(':')) {
      this.next();
      if (!this.isOp(']') && !this.isOp(',')) parts.push(this.parseExpression());
      else parts.push(null);
    } else parts.push(null);
    return { k: 'slice', start: parts[0], stop: parts[1], step: parts[2], ...p };
  }

  parseCallArgs(): CallParts {
    const open = this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    let dynArgs: Expr | null = null;
    let dynKwargs: Expr | null = null;
    let requireComma = false;
    const ensure = (ok: boolean): void => {
      if (!ok) this.fail('invalid syntax for function call expression', open);
    };
    while (!this.isOp(')')) {
      if (requireComma) {
        this.expectOp(',');
        if (this.isOp(')')) break;
      }
      if (this.isOp('*')) {
        ensure(dynArgs === null && dynKwargs === null);
        this.next();
        dynArgs = this.parseExpression();
      } else if (this.isOp('**')) {
        ensure(dynKwargs === null);
        this.next();
        dynKwargs = this.parseExpression();
      } else if (this.cur.type === 'name' && this.isOp('=', this.look())) {
        ensure(dynKwargs === null);
        const key = this.next().value;
        this.next();
        kwargs.push([key, this.parseExpression()]);
      } else {
        ensure(dynArgs === null && dynKwargs === null && kwargs.length === 0);
        args.push(this.parseExpression());
      }
      requireComma = true;
    }
    this.expectOp(')');
    return { args, kwargs, dynArgs, dynKwargs };
  }

  parseCall(node: Expr): Expr {
    const p = this.pos();
    const parts = this.parseCallArgs();
    return { k: 'call', fn: node, ...parts, ...p };
  }

  parseFilter(node: Expr | null, startInline = false): Expr | null {
    for (let n = 1; this.isOp('|') || startInline; n++) {
      this.chain(n);
      if (!startInline) this.next();
      const t = this.expectName();
      let name = t.value;
      while (this.isOp('.')) {
        this.next();
        name += '.' + this.expectName().value;
      }
      const parts: CallParts = this.isOp('(')
        ? this.parseCallArgs()
        : { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
      node = { k: 'filter', node, name, ...parts, ...this.pos(t) } as FilterExpr;
      startInline = false;
    }
    return node;
  }

  parseTest(node: Expr): Expr {
    const t = this.next();
    const p = this.pos(t);
    const negated = this.skipName('not');
    let name = this.expectName().value;
    while (this.isOp('.')) {
      this.next();
      name += '.' + this.expectName().value;
    }
    let parts: CallParts = { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
    const c = this.cur;
    if (this.isOp('(')) parts = this.parseCallArgs();
    else if (
      (c.type === 'name' ||
        c.type === 'string' ||
        c.type === 'integer' ||
        c.type === 'float' ||
        this.isOp('[') ||
        this.isOp('{')) &&
      !(this.isName('else') || this.isName('or') || this.isName('and'))
    ) {
      if (this.isName('is')) this.fail('You cannot chain multiple tests with is');
      const arg = this.parsePostfix(this.parsePrimary());
      parts = { args: [arg], kwargs: [], dynArgs: null, dynKwargs: null };
    }
    const test: Expr = { k: 'test', node, name, ...parts, ...p };
    return negated ? { k: 'not', node: test, ...p } : test;
  }
}
