// AST of a parsed template; mirrors Jinja2's node classes closely enough to keep its semantics.

export interface Pos {
  line: number;
  column: number;
}

export type Expr =
  | ({ k: 'const'; value: unknown } & Pos)
  | ({ k: 'name'; name: string } & Pos)
  | ({ k: 'nsref'; name: string; attr: string } & Pos)
  | ({ k: 'tuple'; items: Expr[] } & Pos)
  | ({ k: 'list'; items: Expr[] } & Pos)
  | ({ k: 'dict'; pairs: [Expr, Expr][] } & Pos)
  | ({ k: 'getattr'; obj: Expr; attr: string } & Pos)
  | ({ k: 'getitem'; obj: Expr; arg: Expr } & Pos)
  | ({ k: 'slice'; start: Expr | null; stop: Expr | null; step: Expr | null } & Pos)
  | CallExpr
  | FilterExpr
  | ({ k: 'test'; node: Expr; name: string } & CallParts & Pos)
  | ({ k: 'cond'; test: Expr; a: Expr; b: Expr | null } & Pos)
  | ({ k: 'bin'; op: string; left: Expr; right: Expr } & Pos)
  | ({ k: 'and' | 'or'; left: Expr; right: Expr } & Pos)
  | ({ k: 'not' | 'neg' | 'pos'; node: Expr } & Pos)
  | ({ k: 'concat'; items: Expr[] } & Pos)
  | ({ k: 'compare'; expr: Expr; ops: [string, Expr][] } & Pos);

export interface CallParts {
  args: Expr[];
  kwargs: [string, Expr][];
  dynArgs: Expr | null;
  dynKwargs: Expr | null;
}

export type CallExpr = { k: 'call'; fn: Expr } & CallParts & Pos;
export type FilterExpr = { k: 'filter'; node: Expr | null; name: string } & CallParts & Pos;

export type Stmt =
  | ({ k: 'output'; nodes: (string | Expr)[] } & Pos)
  | ({ k: 'if'; test: Expr; body: Stmt[]; elifs: { test: Expr; body: Stmt[] }[]; else_: Stmt[] } & Pos)
  | ({ k: 'for'; target: Expr; iter: Expr; body: Stmt[]; else_: Stmt[]; test: Expr | null; recursive: boolean } & Pos)
  | ({ k: 'assign'; target: Expr; expr: Expr } & Pos)
  | ({ k: 'assignblock'; target: Expr; filter: FilterExpr | null; body: Stmt[] } & Pos)
  | ({ k: 'macro'; name: string; params: string[]; defaults: Expr[]; body: Stmt[] } & Pos)
  | ({ k: 'callblock'; call: CallExpr; params: string[]; defaults: Expr[]; body: Stmt[] } & Pos)
  | ({ k: 'filterblock'; filter: FilterExpr; body: Stmt[] } & Pos)
  | ({ k: 'include'; template: Expr; ignoreMissing: boolean; withContext: boolean } & Pos)
  | ({ k: 'import'; template: Expr; target: string; withContext: boolean } & Pos)
  | ({ k: 'fromimport'; template: Expr; names: [string, string][]; withContext: boolean } & Pos)
  | ({ k: 'extends'; template: Expr } & Pos)
  | ({ k: 'block'; name: string; scoped: boolean; required: boolean; body: Stmt[] } & Pos)
  | ({ k: 'with'; targets: Expr[]; values: Expr[]; body: Stmt[] } & Pos)
  | ({ k: 'scope'; body: Stmt[] } & Pos);

export interface TemplateAst {
  body: Stmt[];
}
