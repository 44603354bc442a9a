// IP prefixes as 32-bit words: parsing, canonical text (glibc inet_ntop style) and ordering.

export type Family = 4 | 6;

/** An IP prefix with host bits cleared; words hold the address big-endian, 1 word for IPv4, 4 for IPv6. */
export interface Prefix {
  family: Family;
  words: Uint32Array;
  len: number;
}

/** Parses dotted-quad IPv4 text to a uint32, or -1 when malformed. */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = -1;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (part < 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = -1;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return -1;
    } else return -1;
  }
  if (part < 0 || dots !== 3) return -1;
  return value * 256 + part;
}

/** Parses IPv6 text (with :: and an optional dotted IPv4 tail) into 4 words, or null. */
export function parseIpv6(text: string): Uint32Array | null {
  const groups: number[] = [];
  const tail: number[] = [];
  let sawDouble = false;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const parseSide = (side: string, out: number[], allowV4: boolean): boolean => {
    if (side === '') return true;
    const parts = side.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (allowV4 && i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 < 0) return false;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return false;
      out.push(parseInt(p, 16));
    }
    return true;
  };
  if (dbl >= 0) {
    sawDouble = true;
    if (!parseSide(text.slice(0, dbl), groups, false)) return null;
    if (!parseSide(text.slice(dbl + 2), tail, true)) return null;
  } else if (!parseSide(text, groups, true)) return null;
  const total = groups.length + tail.length;
  if (sawDouble ? total > 7 : total !== 8) return null;
  const all = sawDouble ? [...groups, ...new Array<number>(8 - total).fill(0), ...tail] : groups;
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((all[2 * i] << 16) | all[2 * i + 1]) >>> 0;
  return words;
}

/** Clears the bits after len (bgpq4 does the same with sloppy input such as 10.1.2.3/8). */
export function maskWords(words: Uint32Array, len: number): void {
  for (let i = 0; i < words.length; i++) {
    const start = i * 32;
    if (len <= start) words[i] = 0;
    else if (len < start + 32) words[i] = (words[i] & (0xffffffff << (32 - (len - start)))) >>> 0;
  }
}

/** Parses "addr/len" (or a bare address as a host route); returns null for anything else. */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const family: Family = addr.includes(':') ? 6 : 4;
  const max = family === 4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return null;
    len = Number(lenText);
    if (len > max) return null;
  }
  let words: Uint32Array;
  if (family === 4) {
    const v = parseIpv4(addr);
    if (v < 0) return null;
    words = new Uint32Array([v]);
  } else {
    const w = parseIpv6(addr);
    if (!w) return null;
    words = w;
  }
  maskWords(words, len);
  return { family, words, len };
}

/** Dotted-quad text of a uint32. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** IPv6 text exactly as glibc's inet_ntop writes it (bgpq4 prints through it). */
export function formatIpv6(words: ArrayLike<number>): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push(words[i] >>> 16, words[i] & 0xffff);
  // Longest run of zero groups, leftmost on ties, only when at least two long.
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // glibc prints an embedded IPv4 for ::a.b.c.d and ::ffff:a.b.c.d.
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
      out += formatIpv4(((g[6] << 16) | g[7]) >>> 0);
      return out;
    }
    out += g[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** Canonical "addr/len" text of a prefix. */
export function formatPrefix(p: Prefix): string {
  return `${p.family === 4 ? formatIpv4(p.words[0]) : formatIpv6(p.words)}/${p.len}`;
}

/** Orders by address, then shorter prefix first: the pre-order of bgpq4's radix tree. */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  for (let i = 0; i < a.words.length; i++) {
    if (a.words[i] !== b.words[i]) return a.words[i] < b.words[i] ? -1 : 1;
  }
  return a.len - b.len;
}

/** Canonicalises prefix text (masking host bits), or returns null when it is not a prefix. */
export function canonicalPrefix(text: string): string | null {
  const p = parsePrefix(text);
  return p ? formatPrefix(p) : null;
}

/** True for ASNs bgpq4 refuses to expand (documentation/private ranges), unless told otherwise. */
export function isSpecialAsn(asn: number): boolean {
  return asn >= 4200000000 || (asn >= 64496 && asn <= 65551);
}
