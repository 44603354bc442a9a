// Jinja2's builtin tests (`x is defined`, `x is divisibleby 3`, ...).
import type { CallableSpec } from './compiler.ts';
import type { FilterEnv } from './environment.ts';
import { Joiner, Loop, Macro } from './runtime.ts';
import { BoundMethod, PyCallable, PyFloat, Undefined, isDict, isFloat, isInt, numOf, pyStr } from './values.ts';

type E = FilterEnv;

const t = (params: string[], fn: (env: E, v: never, ...a: never[]) => unknown): CallableSpec => ({
  fn: fn as CallableSpec['fn'],
  params,
});

const cmp = (op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'): CallableSpec =>
  t(['other'], (env: E, a: unknown, b: unknown) => env.rt[op](a, b));

const isCallable = (v: unknown): boolean =>
  v instanceof Macro ||
  v instanceof PyCallable ||
  v instanceof BoundMethod ||
  v instanceof Joiner ||
  (v instanceof Loop && v.recurse !== null);

export const BUILTIN_TESTS: Record<string, CallableSpec> = {
  defined: t([], (_e, v: unknown) => !(v instanceof Undefined)),
  undefined: t([], (_e, v: unknown) => v instanceof Undefined),
  none: t([], (_e, v: unknown) => v === null),
  boolean: t([], (_e, v: unknown) => typeof v === 'boolean'),
  false: t([], (_e, v: unknown) => v === false),
  true: t([], (_e, v: unknown) => v === true),
  integer: t([], (_e, v: unknown) => isInt(v)),
  float: t([], (_e, v: unknown) => isFloat(v)),
  number: t([], (_e, v: unknown) => typeof v === 'number' || v instanceof PyFloat || typeof v === 'boolean'),
  string: t([], (_e, v: unknown) => typeof v === 'string'),
  mapping: t([], (_e, v: unknown) => isDict(v)),
  sequence: t([], (_e, v: unknown) => typeof v === 'string' || Array.isArray(v) || isDict(v)),
  iterable: t([], (_e, v: unknown) => typeof v === 'string' || Array.isArray(v) || isDict(v) || v instanceof Undefined),
  callable: t([], (_e, v: unknown) => isCallable(v)),
  odd: t([], (e, v: unknown) => numOf(e.rt.mod(v, 2)) === 1),
  even: t([], (e, v: unknown) => numOf(e.rt.mod(v, 2)) === 0),
  divisibleby: t(['num'], (e, v: unknown, n: unknown) => numOf(e.rt.mod(v, n)) === 0),
  lower: t([], (_e, v: unknown) => {
    const s = pyStr(v);
    return /\p{Ll}/u.test(s) && s === s.toLowerCase();
  }),
  upper: t([], (_e, v: unknown) => {
    const s = pyStr(v);
    return /\p{Lu}/u.test(s) && s === s.toUpperCase();
  }),
  escaped: t([], () => false),
  sameas: t(['other'], (_e, a: unknown, b: unknown) => a === b),
  in: t(['seq'], (e, v: unknown, seq: unknown) => e.rt.contains(seq, v)),
  filter: t([], (e, v: unknown) => typeof v === 'string' && v in e.env.filters),
  test: t([], (e, v: unknown) => typeof v === 'string' && v in e.env.tests),
  eq: cmp('eq'),
  '==': cmp('eq'),
  equalto: cmp('eq'),
  ne: cmp('ne'),
  '!=': cmp('ne'),
  lt: cmp('lt'),
  '<': cmp('lt'),
  lessthan: cmp('lt'),
  le: cmp('le'),
  '<=': cmp('le'),
  gt: cmp('gt'),
  '>': cmp('gt'),
  greaterthan: cmp('gt'),
  ge: cmp('ge'),
  '>=': cmp('ge'),
};
