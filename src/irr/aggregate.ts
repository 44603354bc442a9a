// Prefix-list building with bgpq4's semantics: de-duplication, its output order, -A aggregation,
// -R / -r more-specific ranges and -m maximum length. The radix tree mirrors bgpq4's so that
// aggregated lists come out identical, not merely equivalent.
import { comparePrefixes, formatPrefix, parseIpv4, parsePrefix, type Family, type Prefix } from './prefix.ts';

/** One prefix-list line: exact, or a range of lengths (ge/le) under `prefix`. */
export interface PrefixEntry {
  prefix: string;
  length: number;
  exact: boolean;
  /** Lowest accepted length when it differs from the prefix's own length ("ge"). */
  ge?: number;
  /** Highest accepted length ("le"). */
  le?: number;
}

export interface BuildOptions {
  /** bgpq4 -A: merge adjacent and covered prefixes into ranges. */
  aggregate?: boolean;
  /** bgpq4 -R: also accept more-specifics up to this length (the usual "max-length"). */
  maxLength?: number;
  /** bgpq4 -r: accept more-specifics from this length on. */
  minLength?: number;
  /** bgpq4 -m: drop prefixes longer than this. */
  ignoreLongerThan?: number;
}

interface Node {
  p: Prefix;
  l: Node | null;
  r: Node | null;
  parent: Node | null;
  glue: boolean;
  agg: boolean;
  lo: number;
  hi: number;
  son: Node | null;
}

function newNode(p: Prefix): Node {
  return { p, l: null, r: null, parent: null, glue: false, agg: false, lo: 0, hi: 0, son: null };
}

/** Bit n (0-based from the most significant) of an address. */
function bit(words: Uint32Array, n: number): number {
  return (words[n >>> 5] >>> (31 - (n & 31))) & 1;
}

/** Number of leading bits two prefixes share, capped at the shorter length. */
function commonBits(a: Prefix, b: Prefix): number {
  const limit = Math.min(a.len, b.len);
  for (let i = 0; i < a.words.length; i++) {
    const x = (a.words[i] ^ b.words[i]) >>> 0;
    if (x !== 0) return Math.min(limit, i * 32 + Math.clz32(x));
    if ((i + 1) * 32 >= limit) break;
  }
  return limit;
}

function truncate(p: Prefix, len: number): Prefix {
  const words = Uint32Array.from(p.words);
  for (let i = 0; i < words.length; i++) {
    const start = i * 32;
    if (len <= start) words[i] = 0;
    else if (len < start + 32) words[i] = (words[i] & (0xffffffff << (32 - (len - start)))) >>> 0;
  }
  return { family: p.family, words, len };
}

/** A binary radix tree with glue nodes at branch points, as bgpq4 keeps prefixes. */
class RadixTree {
  head: Node | null = null;

  insert(p: Prefix): void {
    if (!this.head) {
      this.head = newNode(p);
      return;
    }
    let cur = this.head;
    // `attach` re-points whatever referenced `cur` (the head or a parent's side).
    let attach = (n: Node): void => {
      this.head = n;
    };
    for (;;) {
      const eb = commonBits(p, cur.p);
      if (eb < p.len && eb < cur.p.len) {
        const glue = newNode(truncate(p, eb));
        const leaf = newNode(p);
        glue.glue = true;
        if (bit(p.words, eb)) {
          glue.l = cur;
          glue.r = leaf;
        } else {
          glue.l = leaf;
          glue.r = cur;
        }
        glue.parent = cur.parent;
        cur.parent = glue;
        leaf.parent = glue;
        attach(glue);
        return;
      }
      if (eb === p.len && eb < cur.p.len) {
        const node = newNode(p);
        if (bit(cur.p.words, eb)) node.r = cur;
        else node.l = cur;
        node.parent = cur.parent;
        cur.parent = node;
        attach(node);
        return;
      }
      if (eb === cur.p.len && eb < p.len) {
        const parent = cur;
        if (bit(p.words, eb)) {
          if (parent.r) {
            attach = (n) => {
              parent.r = n;
            };
            cur = parent.r;
            continue;
          }
          parent.r = newNode(p);
          parent.r.parent = parent;
          return;
        }
        if (parent.l) {
          attach = (n) => {
            parent.l = n;
          };
          cur = parent.l;
          continue;
        }
        parent.l = newNode(p);
        parent.l.parent = parent;
        return;
      }
      // Same prefix again: a glue node becomes real, a duplicate changes nothing.
      cur.glue = false;
      return;
    }
  }

  /** -R: a real prefix shorter than `refine` accepts its more-specifics up to `refine`. */
  refine(node: Node | null, refine: number): void {
    if (!node) return;
    if (!node.glue && node.p.len < refine) {
      node.agg = true;
      node.lo = node.p.len;
      node.hi = refine;
      for (const child of [node.l, node.r]) {
        if (!child) continue;
        forEach(child, (n) => {
          if (n.p.len <= refine) n.glue = true;
        });
        this.refine(child, refine);
      }
    } else if (!node.glue && node.p.len === refine) {
      this.refine(node.l, refine);
      this.refine(node.r, refine);
    } else if (node.glue) {
      this.refine(node.r, refine);
      this.refine(node.l, refine);
    }
  }

  /** -r: a real prefix no longer than `low` accepts more-specifics from `low` on. */
  refineLow(node: Node | null, low: number, max: number): void {
    if (!node) return;
    if (!node.glue && node.p.len <= low) {
      if (!node.agg) {
        node.agg = true;
        node.lo = low;
        node.hi = max;
      } else node.lo = low;
      for (const child of [node.l, node.r]) {
        if (!child) continue;
        forEach(child, (n) => {
          if (n.p.len <= low) n.glue = true;
        });
        this.refineLow(child, low, max);
      }
    } else if (node.glue) {
      this.refineLow(node.r, low, max);
      this.refineLow(node.l, low, max);
    }
  }

  /** -A, bottom-up: two halves with matching shapes fold into their parent as one range. */
  aggregate(node: Node): void {
    if (node.l) this.aggregate(node.l);
    if (node.r) this.aggregate(node.r);
    const { l, r } = node;
    if (!l || !r) return;
    const childLen = node.p.len + 1;
    const halves = l.p.len === childLen && r.p.len === childLen;
    const sameRange = (a: Node, b: Node): boolean => a.agg && b.agg && a.lo === b.lo && a.hi === b.hi;
    const addSon = (from: Node): Node => {
      const son = newNode(node.p);
      son.agg = true;
      son.lo = from.lo;
      son.hi = from.hi;
      return son;
    };

    if (!r.agg && !l.agg && !r.glue && !l.glue && r.p.len === l.p.len) {
      // Two exact halves: the parent covers them (and itself, unless it is only glue).
      if (r.p.len === childLen) {
        node.agg = true;
        r.glue = true;
        l.glue = true;
        node.hi = r.p.len;
        if (node.glue) {
          node.glue = false;
          node.lo = r.p.len;
        } else node.lo = node.p.len;
      }
      if (r.son && l.son && r.son.agg && l.son.agg && r.son.hi === l.son.hi && r.son.lo === l.son.lo && halves) {
        node.son = addSon(r.son);
        r.son.glue = true;
        l.son.glue = true;
      }
    } else if (sameRange(r, l)) {
      if (!halves) return;
      if (node.glue) {
        r.glue = true;
        l.glue = true;
        node.agg = true;
        node.glue = false;
        node.hi = r.hi;
        node.lo = r.lo;
      } else if (r.p.len === r.lo) {
        r.glue = true;
        l.glue = true;
        node.agg = true;
        node.hi = r.hi;
        node.lo = node.p.len;
      } else {
        node.son = addSon(r);
        r.glue = true;
        l.glue = true;
        if (r.son && l.son && r.son.hi === l.son.hi && r.son.lo === l.son.lo) {
          node.son.son = addSon(r.son);
          r.son.glue = true;
          l.son.glue = true;
        }
      }
    } else if (l.son && r.agg && l.son.agg && r.hi === l.son.hi && r.lo === l.son.lo) {
      this.foldMixed(node, r, l.son, halves);
    } else if (r.son && l.agg && r.son.agg && l.hi === r.son.hi && l.lo === r.son.lo) {
      this.foldMixed(node, l, r.son, halves);
    }
  }

  /** One half's range matches the other half's secondary range (its "son"). */
  private foldMixed(node: Node, whole: Node, son: Node, halves: boolean): void {
    if (!halves) return;
    if (node.glue) {
      whole.glue = true;
      son.glue = true;
      node.agg = true;
      node.glue = false;
      node.hi = whole.hi;
      node.lo = whole.lo;
    } else {
      const extra = newNode(node.p);
      extra.agg = true;
      extra.hi = whole.hi;
      extra.lo = whole.lo;
      node.son = extra;
      whole.glue = true;
      son.glue = true;
    }
  }

  /** Pre-order walk emitting real nodes and their secondary ranges: bgpq4's print order. */
  entries(): PrefixEntry[] {
    const out: PrefixEntry[] = [];
    const emit = (n: Node): void => {
      for (let s: Node | null = n; s; s = s.son) {
        if (s.glue) continue;
        const prefix = formatPrefix(s.p);
        if (!s.agg) out.push({ prefix, length: s.p.len, exact: true });
        else if (s.lo > s.p.len) out.push({ prefix, length: s.p.len, exact: false, ge: s.lo, le: s.hi });
        else out.push({ prefix, length: s.p.len, exact: false, le: s.hi });
      }
    };
    if (this.head) forEach(this.head, emit);
    return out;
  }
}

function forEach(node: Node, fn: (n: Node) => void): void {
  // Iterative pre-order (node, left, right): deep IPv6 trees would overflow recursion otherwise.
  const stack: Node[] = [node];
  while (stack.length) {
    const n = stack.pop() as Node;
    fn(n);
    if (n.r) stack.push(n.r);
    if (n.l) stack.push(n.l);
  }
}

/** True for a UTF-16 code unit that `/\s/` matches (ASCII checked inline, the rest through the regex). */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return SPACE_RE.test(String.fromCharCode(c));
}

const SPACE_RE = /\s/;

/**
 * Calls `fn(start, end)` for every whitespace-separated word of `text`, exactly the words of
 * `text.split(/\s+/).filter(Boolean)`, without allocating them (IRR answers hold ~10^5 words).
 */
export function scanWords(text: string, fn: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (isSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && !isSpace(text.charCodeAt(i))) i++;
    fn(start, i);
  }
}

/** The words of IRR answer bodies (`split(/\s+/)` without the regex or the empty strings). */
export function answerWords(bodies: Iterable<string>): string[] {
  const out: string[] = [];
  for (const body of bodies) scanWords(body, (start, end) => out.push(body.slice(start, end)));
  return out;
}

/** Key of a word that `ipv4Key` cannot read on its own (anything but plain `a.b.c.d[/n]`). */
const SLOW = -2;

/**
 * Sort key (masked address * 64 + length) of an IPv4 prefix word in `text[start, end)`, -1 when it is to
 * be skipped, SLOW when it is not in the plain form this loop reads (`ipv4KeySlow` then decides).
 */
function ipv4Key(text: string, start: number, end: number, maxLen: number): number {
  let value = 0;
  let part = -1;
  let dots = 0;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return SLOW;
    } else if (c === 46) {
      if (part < 0 || dots === 3) return SLOW;
      value = value * 256 + part;
      part = -1;
      dots++;
    } else if (c === 47) break;
    else return SLOW;
  }
  if (part < 0 || dots !== 3) return SLOW;
  const addr = value * 256 + part;
  let len = 32;
  if (i < end) {
    // "/" then one to three digits; anything else goes the slow way.
    if (end - i < 2 || end - i > 4) return SLOW;
    len = 0;
    for (i++; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return SLOW;
      len = len * 10 + (c - 48);
    }
  }
  if (len > 32 || len > maxLen) return -1;
  const masked = len === 0 ? 0 : (addr & (0xffffffff << (32 - len))) >>> 0;
  return masked * 64 + len;
}

/** The general reading of one IPv4 word (sloppy lengths included), as the list builder always did. */
function ipv4KeySlow(t: string, maxLen: number): number {
  const slash = t.indexOf('/');
  const addr = parseIpv4(slash >= 0 ? t.slice(0, slash) : t);
  if (addr < 0) return -1;
  const len = slash >= 0 ? Number(t.slice(slash + 1)) : 32;
  if (!(len >= 0 && len <= 32) || !Number.isInteger(len) || len > maxLen) return -1;
  const masked = len === 0 ? 0 : (addr & (0xffffffff << (32 - len))) >>> 0;
  return masked * 64 + len;
}

/*
 * Sorted IPv4 lists are kept as keys in a Float64Array, written and read through an Int32Array view of
 * the same memory: key i is the double whose low word (w[2i]) is `address << 6 | length` and whose high
 * word (w[2i+1]) is 0x3ff00000 | the address's top 6 bits. That double is 1 + (address * 64 + length) / 2^52,
 * so the native numeric sort orders by address then length (bgpq4's order), while the code that fills
 * and reads the list only does 32-bit integer arithmetic: no double is ever made in JavaScript, which in
 * code that runs once (a CLI) would mean one heap number per prefix.
 */
const KEY_HI = 0x3ff00000;

/** Growable list of IPv4 sort keys (see above). */
class KeyList {
  keys: Float64Array;
  words: Int32Array;
  n = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(Math.max(16, capacity));
    this.words = new Int32Array(this.keys.buffer);
  }
  grow(): void {
    const grown = new Float64Array(this.keys.length * 2);
    grown.set(this.keys);
    this.keys = grown;
    this.words = new Int32Array(grown.buffer);
  }
  /** Adds a key as `ipv4Key` computes it (masked address * 64 + length). */
  push(k: number): void {
    if (this.n === this.keys.length) this.grow();
    const len = k % 64;
    const addr = (k - len) / 64;
    this.words[2 * this.n] = (addr << 6) | len;
    this.words[2 * this.n + 1] = KEY_HI | (addr >>> 26);
    this.n++;
  }
}

/**
 * Key of an IPv4 prefix word in bytes `b[start, end)` (ASCII), as `ipv4Key` reads the same word as text:
 * -1 when it is to be skipped, SLOW when it is not plain `a.b.c.d[/n]`.
 */
function ipv4KeyBytes(b: Uint8Array, start: number, end: number, maxLen: number): number {
  let value = 0;
  let part = -1;
  let dots = 0;
  let i = start;
  for (; i < end; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return SLOW;
    } else if (c === 46) {
      if (part < 0 || dots === 3) return SLOW;
      value = value * 256 + part;
      part = -1;
      dots++;
    } else if (c === 47) break;
    else return SLOW;
  }
  if (part < 0 || dots !== 3) return SLOW;
  const addr = value * 256 + part;
  let len = 32;
  if (i < end) {
    if (end - i < 2 || end - i > 4) return SLOW;
    len = 0;
    for (i++; i < end; i++) {
      const c = b[i];
      if (c < 48 || c > 57) return SLOW;
      len = len * 10 + (c - 48);
    }
  }
  if (len > 32 || len > maxLen) return -1;
  const masked = len === 0 ? 0 : (addr & (0xffffffff << (32 - len))) >>> 0;
  return masked * 64 + len;
}

/**
 * Adds the keys of every word of an ASCII answer body given as bytes (the IRR client's raw answer: no
 * decoding, no strings). Returns false, having added nothing, when the body holds a non-ASCII byte: the
 * caller then reads it as text, where Unicode whitespace separates words too. Plain `a.b.c.d/n` words are
 * read in this one loop with 32-bit integers only; anything else goes through `ipv4KeyBytes`.
 */
function addIpv4KeysFromBytes(b: Uint8Array, maxLen: number, list: KeyList): boolean {
  const mark = list.n;
  const n = b.length;
  let words = list.words;
  let k = list.n;
  let cap = list.keys.length;
  let i = 0;
  while (i < n) {
    let c = b[i];
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    const start = i;
    // The common word, straight: four octets of one to three digits, "/" and one to three digits, then
    // whitespace or the end. Anything else starts over below with the general reading.
    fast: {
      let addr = 0;
      let d = 0;
      for (let q = 0; q < 4; q++) {
        if (i >= n || (d = b[i] - 48) < 0 || d > 9) break fast;
        let v = d;
        i++;
        if (i < n && (d = b[i] - 48) >= 0 && d <= 9) {
          v = v * 10 + d;
          i++;
          if (i < n && (d = b[i] - 48) >= 0 && d <= 9) {
            v = v * 10 + d;
            i++;
            if (v > 255) break fast;
          }
        }
        addr = (addr << 8) | v;
        if (q < 3) {
          if (i >= n || b[i] !== 46) break fast;
          i++;
        }
      }
      let len = 32;
      if (i < n && b[i] === 47) {
        i++;
        if (i >= n || (d = b[i] - 48) < 0 || d > 9) break fast;
        len = d;
        i++;
        if (i < n && (d = b[i] - 48) >= 0 && d <= 9) {
          len = len * 10 + d;
          i++;
          if (i < n && (d = b[i] - 48) >= 0 && d <= 9) {
            len = len * 10 + d;
            i++;
          }
        }
      }
      if (i < n) {
        c = b[i];
        if (c !== 32 && (c < 9 || c > 13)) break fast;
      }
      if (len > 32 || len > maxLen) continue;
      if (len === 0) addr = 0;
      else if (len < 32) addr &= -1 << (32 - len);
      if (k === cap) {
        list.n = k;
        list.grow();
        words = list.words;
        cap = list.keys.length;
      }
      words[2 * k] = (addr << 6) | len;
      words[2 * k + 1] = KEY_HI | (addr >>> 26);
      k++;
      continue;
    }
    i = start;
    // Dotted quad then "/len", read as the word is scanned; `plain` drops to 0 at anything else.
    let addr = 0;
    let part = -1;
    let dots = 0;
    let len = -1;
    let slashAt = -1;
    let plain = 1;
    for (; i < n; i++) {
      c = b[i];
      if (c >= 48 && c <= 57) {
        if (len >= 0) len = len * 10 + (c - 48);
        else {
          part = part < 0 ? c - 48 : part * 10 + (c - 48);
          if (part > 255) plain = 0;
        }
      } else if (c === 46) {
        if (part < 0 || dots === 3 || len >= 0) plain = 0;
        addr = (addr << 8) | part;
        part = -1;
        dots++;
      } else if (c === 47) {
        if (len >= 0) plain = 0;
        len = 0;
        slashAt = i;
      } else if (c === 32 || (c >= 9 && c <= 13)) break;
      else {
        if (c >= 128) {
          list.n = mark;
          return false;
        }
        plain = 0;
      }
    }
    // "/" needs one to three digits after it (as ipv4Key reads it).
    if (plain && part >= 0 && dots === 3 && (len < 0 || (i - slashAt >= 2 && i - slashAt <= 4))) {
      addr = (addr << 8) | part;
      if (len < 0) len = 32;
      if (len > 32 || len > maxLen) continue;
      if (len === 0) addr = 0;
      else if (len < 32) addr &= -1 << (32 - len);
    } else {
      let key = ipv4KeyBytes(b, start, i, maxLen);
      if (key === SLOW) key = ipv4KeySlow(latin1(b, start, i), maxLen);
      if (key < 0) continue;
      len = key % 64;
      addr = (key - len) / 64;
    }
    if (k === cap) {
      list.n = k;
      list.grow();
      words = list.words;
      cap = list.keys.length;
    }
    words[2 * k] = (addr << 6) | len;
    words[2 * k + 1] = KEY_HI | (addr >>> 26);
    k++;
  }
  list.n = k;
  return true;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Adds the keys of every word of an answer body given as text. */
function addIpv4KeysFromText(body: string, maxLen: number, list: KeyList): void {
  const n = body.length;
  let i = 0;
  while (i < n) {
    let c = body.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    if (c >= 128 && isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    // Printable ASCII never separates words; only then is the regex consulted.
    while (++i < n) {
      c = body.charCodeAt(i);
      if (c > 32 && c < 128) continue;
      if (c === 32 || (c >= 9 && c <= 13) || (c >= 128 && isSpace(c))) break;
    }
    let k = ipv4Key(body, start, i, maxLen);
    if (k === SLOW) k = ipv4KeySlow(body.slice(start, i), maxLen);
    if (k >= 0) list.push(k);
  }
}

/** The list's keys sorted (address, then length) with duplicates removed, in place. */
function sortedUnique(list: KeyList): Float64Array {
  list.keys.subarray(0, list.n).sort();
  const w = list.words;
  let count = 0;
  for (let i = 0; i < list.n; i++) {
    const lo = w[2 * i];
    const hi = w[2 * i + 1];
    if (count && lo === w[2 * count - 2] && hi === w[2 * count - 1]) continue;
    w[2 * count] = lo;
    w[2 * count + 1] = hi;
    count++;
  }
  return list.keys.subarray(0, count);
}

/** Body of an IRR answer: text, or the raw bytes the IRR client hands over for big answers. */
export type AnswerBody = string | Uint8Array;

/**
 * Sorted, de-duplicated keys (see KEY_HI) of the exact IPv4 prefixes in IRR answer bodies no longer than
 * `maxLen`: the whole of an exact IPv4 list, without a string per prefix. Read them with `ipv4KeysText`,
 * `ipv4KeysJson` or `ipv4KeyEntries`.
 */
export function ipv4ExactKeys(bodies: AnswerBody[], maxLen = 32): Float64Array {
  let size = 0;
  for (const b of bodies) size += b.length;
  // The shortest prefix word plus its separator ("1.2.3.4 ") is 8 characters.
  const list = new KeyList(Math.ceil(size / 8) + 1);
  for (const body of bodies) {
    if (typeof body === 'string') addIpv4KeysFromText(body, maxLen, list);
    else if (!addIpv4KeysFromBytes(body, maxLen, list))
      addIpv4KeysFromText(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'), maxLen, list);
  }
  return sortedUnique(list);
}

// Dotted-quad text bytes of each octet value, for writing addresses without number-to-string conversions.
const OCTET_BYTES: Uint8Array[] = Array.from({ length: 256 }, (_, i) =>
  Uint8Array.from(String(i), (ch) => ch.charCodeAt(0)),
);

/**
 * Writes sorted IPv4 keys as text into one buffer: `head`, then each prefix ("a.b.c.d/len", its "/" written
 * as "\/" when `escapeSlash`) with `between` after every prefix but the last, then `tail`. The prefix is
 * written byte by byte with 32-bit integers only (see KEY_HI); `between`, the same bytes each time, is one
 * native copy (a byte loop over it would cost more than the prefix in code that runs once).
 */
export function writeIpv4Keys(
  keys: Float64Array,
  head: Uint8Array,
  between: Uint8Array,
  tail: Uint8Array,
  escapeSlash: boolean,
): Buffer {
  const out = Buffer.allocUnsafe(head.length + keys.length * (between.length + 20) + tail.length);
  const w = new Int32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  out.set(head, 0);
  let off = head.length;
  const last = keys.length - 1;
  for (let i = 0; i <= last; i++) {
    const lo = w[2 * i];
    const len = lo & 63;
    const addr = ((w[2 * i + 1] & 63) << 26) | (lo >>> 6);
    for (let shift = 24; shift >= 0; shift -= 8) {
      const oct = OCTET_BYTES[(addr >>> shift) & 255];
      out[off++] = oct[0];
      if (oct.length > 1) {
        out[off++] = oct[1];
        if (oct.length > 2) out[off++] = oct[2];
      }
      if (shift) out[off++] = 46;
    }
    if (escapeSlash) out[off++] = 92;
    out[off++] = 47;
    if (len >= 10) out[off++] = 48 + ((len / 10) | 0);
    out[off++] = 48 + (len % 10);
    if (i < last) {
      out.set(between, off);
      off += between.length;
    }
  }
  out.set(tail, off);
  return out.subarray(0, off + tail.length);
}

const NONE = new Uint8Array(0);
const NL_BYTES = Uint8Array.of(10);

/** The prefixes of sorted IPv4 keys, "a.b.c.d/len" each, separated by "\n" (none after the last). */
export function ipv4KeysText(keys: Float64Array): string {
  return writeIpv4Keys(keys, NONE, NL_BYTES, NONE, false).toString('latin1');
}

/** Exact entries of sorted IPv4 keys (as `ipv4ExactKeys` returns them). */
export function ipv4KeyEntries(keys: Float64Array): PrefixEntry[] {
  if (!keys.length) return [];
  const texts = ipv4KeysText(keys).split('\n');
  const w = new Int32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  const out: PrefixEntry[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = { prefix: texts[i], length: w[2 * i] & 63, exact: true };
  return out;
}

/** Fast path for plain IPv4 lists: numeric sort and de-duplication without a tree. */
function buildIpv4Exact(texts: Iterable<string>, maxLen: number): PrefixEntry[] {
  const list = new KeyList(1024);
  for (const t of texts) {
    let k = ipv4Key(t, 0, t.length, maxLen);
    if (k === SLOW) k = ipv4KeySlow(t, maxLen);
    if (k >= 0) list.push(k);
  }
  return ipv4KeyEntries(sortedUnique(list));
}

/**
 * A built prefix list: its entries, or for an exact IPv4 list only its sorted keys (formats that print
 * prefixes alone write them straight from the keys; `prefixListEntries` makes the entries when needed).
 */
export type PrefixList = { kind: 'entries'; entries: PrefixEntry[] } | { kind: 'ipv4-keys'; keys: Float64Array };

/** Whether the list for these options is exact IPv4 (no tree: sort and de-duplicate). */
function exactIpv4(family: Family, options: BuildOptions): boolean {
  return family === 4 && !(options.aggregate || options.maxLength || options.minLength);
}

/** `buildPrefixListFromAnswers` without making the entries of an exact IPv4 list. */
export function buildPrefixListFromAnswersLazy(
  bodies: AnswerBody[],
  family: Family,
  options: BuildOptions = {},
): PrefixList {
  if (exactIpv4(family, options))
    return { kind: 'ipv4-keys', keys: ipv4ExactKeys(bodies, prefixLimit(family, options)) };
  return { kind: 'entries', entries: buildPrefixList(answerWords(bodies.map(bodyText)), family, options) };
}

/** The entries of a built list. */
export function prefixListEntries(list: PrefixList): PrefixEntry[] {
  return list.kind === 'entries' ? list.entries : ipv4KeyEntries(list.keys);
}

/** Number of entries in a built list. */
export function prefixListSize(list: PrefixList): number {
  return list.kind === 'entries' ? list.entries.length : list.keys.length;
}

function bodyText(body: AnswerBody): string {
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8');
}

/**
 * buildPrefixList over whole IRR answer bodies (whitespace-separated prefixes, as `!g`/`!6`/`!a` return them):
 * the same list, without first splitting the answers into one string per prefix.
 */
export function buildPrefixListFromAnswers(
  bodies: AnswerBody[],
  family: Family,
  options: BuildOptions = {},
): PrefixEntry[] {
  return prefixListEntries(buildPrefixListFromAnswersLazy(bodies, family, options));
}

function prefixLimit(family: Family, options: BuildOptions): number {
  const max = family === 4 ? 32 : 128;
  return options.ignoreLongerThan && options.ignoreLongerThan < max ? options.ignoreLongerThan : max;
}

/**
 * Builds one family's prefix list from raw IRR prefixes, exactly as bgpq4 would print it
 * (other families and unparsable entries are skipped).
 */
export function buildPrefixList(texts: Iterable<string>, family: Family, options: BuildOptions = {}): PrefixEntry[] {
  const max = family === 4 ? 32 : 128;
  const limit = prefixLimit(family, options);
  const needsTree = options.aggregate || options.maxLength || options.minLength;
  if (family === 4 && !needsTree) return buildIpv4Exact(texts, limit);
  const prefixes: Prefix[] = [];
  for (const t of texts) {
    const p = parsePrefix(t);
    if (!p || p.family !== family || p.len > limit) continue;
    prefixes.push(p);
  }
  if (!needsTree) {
    prefixes.sort(comparePrefixes);
    const out: PrefixEntry[] = [];
    let prev: Prefix | null = null;
    for (const p of prefixes) {
      if (prev && comparePrefixes(prev, p) === 0) continue;
      prev = p;
      out.push({ prefix: formatPrefix(p), length: p.len, exact: true });
    }
    return out;
  }
  const tree = new RadixTree();
  for (const p of prefixes) tree.insert(p);
  // bgpq4 applies -r without -R as if -R were the family's full length.
  let refine = options.maxLength ?? 0;
  const refineLow = options.minLength ?? 0;
  if (refineLow && !refine) refine = max;
  if (refine > max || refineLow > max) throw new RangeError(`prefix length out of range for IPv${family} (1-${max})`);
  if (refineLow && refineLow > refine)
    throw new RangeError(`incompatible min length ${refineLow} and max length ${refine}`);
  if (refine) tree.refine(tree.head, refine);
  if (refineLow) tree.refineLow(tree.head, refineLow, max);
  if (options.aggregate && tree.head) tree.aggregate(tree.head);
  return tree.entries();
}
