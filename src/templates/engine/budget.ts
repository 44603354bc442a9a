// Per-render resource budget: every operation that builds a string or a sequence checks its size here
// *before* allocating, so a hostile template fails fast with a BudgetError instead of exhausting memory.
//
// Rendering is synchronous, so the budget of the render in progress is module state: Environment.runRender
// activates it and restores the previous one afterwards (nested renders of other environments stack).
import { BudgetError } from './errors.ts';

/** Per-render limits and counters, shared by every function of one render. */
export interface RenderState {
  /** Date.now() after which the render stops. */
  deadline: number;
  /** Largest string (output or intermediate) in UTF-16 code units. */
  maxOutput: number;
  /** Largest sequence (list, tuple, string iterated as characters) one operation may build. */
  maxItems: number;
  /** Cumulative bytes the budgeted operations of one render may allocate. */
  maxAlloc: number;
  /** Bytes charged so far in this render. */
  alloc: number;
  ticks: number;
}

/** Default limits, also applied (without the cumulative counter) to engine calls outside any render. */
export const DEFAULT_LIMITS = {
  timeLimitMs: 5000,
  maxOutputBytes: 50 * 1024 * 1024,
  maxItems: 1_000_000,
  maxAllocBytes: 256 * 1024 * 1024,
} as const;

/** Bytes charged per sequence slot (a pointer plus some array overhead). */
const ITEM_BYTES = 8;

const OUTSIDE: RenderState = {
  deadline: Infinity,
  maxOutput: DEFAULT_LIMITS.maxOutputBytes,
  maxItems: DEFAULT_LIMITS.maxItems,
  maxAlloc: Infinity,
  alloc: 0,
  ticks: 0,
};

let active: RenderState = OUTSIDE;

/** Makes `state` the budget of the render in progress; returns the previous one for `restoreBudget`. */
export function activateBudget(state: RenderState): RenderState {
  const prev = active;
  active = state;
  return prev;
}

/** Restores the budget that was active before `activateBudget`. */
export function restoreBudget(prev: RenderState): void {
  active = prev;
}

function fail(what: string): never {
  throw new BudgetError(`template exceeds its memory budget: ${what}`);
}

/** Checks that a string of `len` code units may be built (no cumulative charge). */
export function checkString(len: number): void {
  if (!(len <= active.maxOutput)) fail(`a string of ${len} characters exceeds the limit of ${active.maxOutput}`);
}

/** Checks that a sequence of `n` items may be built (no cumulative charge). */
export function checkItems(n: number): void {
  if (!(n <= active.maxItems)) fail(`a sequence of ${n} items exceeds the limit of ${active.maxItems}`);
}

function charge(bytes: number): void {
  const s = active;
  s.alloc += bytes;
  if (s.alloc > s.maxAlloc) fail(`the render allocated more than ${s.maxAlloc} bytes`);
}

/** Checks and charges a new string of `len` code units before it is built. */
export function chargeString(len: number): void {
  checkString(len);
  charge(len);
}

/** Checks and charges a new sequence of `n` items before it is built. */
export function chargeItems(n: number): void {
  checkItems(n);
  charge(n * ITEM_BYTES);
}

/** Charges a value some operation already built (strings by length, sequences by item count). */
export function chargeValue(v: unknown): void {
  if (typeof v === 'string') {
    if (v.length > 64) chargeString(v.length);
  } else if (Array.isArray(v)) {
    if (v.length > 8) chargeItems(v.length);
  }
}

/** Python's str * n and list * n: the result size is checked and charged before it is built. */
export function chargeRepeat(unitLen: number, count: number, isString: boolean): void {
  const n = unitLen * Math.max(0, count);
  if (isString) chargeString(n);
  else chargeItems(n);
}

/** The budget of the render in progress (for limits that need the numbers). */
export function activeBudget(): RenderState {
  return active;
}
