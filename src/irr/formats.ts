// Router formats for prefix lists, byte for byte as bgpq4 prints them (including empty lists).
import { prefixListEntries, writeIpv4Keys, type PrefixEntry, type PrefixList } from './aggregate.ts';
import type { Family } from './prefix.ts';

export const IRR_FORMATS = ['json', 'plain', 'junos', 'eos', 'ios', 'iosxr', 'bird', 'openbgpd'] as const;
export type IrrFormat = (typeof IRR_FORMATS)[number];

/** bgpq4 option equivalent to each format, for documentation and cross-checks. */
export const BGPQ4_FORMAT_FLAGS: Record<IrrFormat, string[]> = {
  json: ['-j'],
  plain: ['-F', '%n/%l\\n'],
  junos: ['-J'],
  eos: ['-e'],
  ios: [],
  iosxr: ['-X'],
  bird: ['-b'],
  openbgpd: ['-B'],
};

/** True when `value` names a supported format. */
export function isIrrFormat(value: string): value is IrrFormat {
  return (IRR_FORMATS as readonly string[]).includes(value);
}

function ranged(e: PrefixEntry): boolean {
  return !e.exact;
}

/** Renders a prefix list in one router format; `name` defaults to bgpq4's "NN". */
export function formatPrefixList(entries: PrefixEntry[], family: Family, format: IrrFormat, name = 'NN'): string {
  const ip = family === 4 ? 'ip' : 'ipv6';
  const any = family === 4 ? '0.0.0.0/0' : '::/0';
  switch (format) {
    case 'json': {
      // bgpq4 escapes "/" as "\/" (valid JSON, and what its users diff against).
      const fast = jsonDocument(entries, jsonEscape(name));
      if (fast !== null) return fast;
      const items = entries.map((e) => {
        const p = e.prefix.replace('/', '\\/');
        if (e.exact) return `\n    { "prefix": "${p}", "exact": true }`;
        if (e.ge !== undefined)
          return `\n    { "prefix": "${p}", "exact": false,\n      "greater-equal": ${e.ge}, "less-equal": ${e.le} }`;
        return `\n    { "prefix": "${p}", "exact": false, "less-equal": ${e.le} }`;
      });
      return `{ "${jsonEscape(name)}": [${items.join(',')}\n] }\n`;
    }
    case 'plain':
      return plainItems(entries) ?? entries.map((e) => `${e.prefix}\n`).join('');
    case 'junos':
      if (entries.some(ranged))
        throw new RangeError(
          'Junos prefix-lists cannot hold ranges: drop --aggregate/--max-length for junos (bgpq4 refuses too)',
        );
      return `policy-options {\nreplace:\n prefix-list ${name} {\n${entries.map((e) => `    ${e.prefix};\n`).join('')} }\n}\n`;
    case 'ios': {
      let out = `no ${ip} prefix-list ${name}\n`;
      if (!entries.length)
        return `${out}! generated prefix-list ${name} is empty\n${ip} prefix-list ${name} deny ${any}\n`;
      for (const e of entries) out += `${ip} prefix-list ${name} permit ${e.prefix}${rangeText(e, ' ge ', ' le ')}\n`;
      return out;
    }
    case 'eos': {
      let out = `no ${ip} prefix-list ${name}\n`;
      if (!entries.length)
        return `${out}! generated prefix-list ${name} is empty\n${ip} prefix-list ${name}\n   seq 1 deny ${any}\n`;
      out += `${ip} prefix-list ${name}\n`;
      // Three spaces as in bgpq4's current reference output (Debian's 1.9 prints four).
      entries.forEach((e, i) => (out += `   seq ${i + 1} permit ${e.prefix}${rangeText(e, ' ge ', ' le ')}\n`));
      return out;
    }
    case 'iosxr': {
      const body = entries.map((e, i) => `${i ? ',\n ' : ' '}${e.prefix}${rangeText(e, ' ge ', ' le ')}`).join('');
      return `no prefix-set ${name}\nprefix-set ${name}\n${body}\nend-set\n`;
    }
    case 'bird': {
      if (!entries.length) return '';
      const items = entries.map((e) => {
        if (e.exact) return `\n    ${e.prefix}`;
        return `\n    ${e.prefix}{${e.ge ?? e.length},${e.le}}`;
      });
      return `${name} = [${items.join(',')}\n];\n`;
    }
    case 'openbgpd': {
      const items = entries.map((e) => {
        if (e.exact) return `\n\t${e.prefix}`;
        const lo = e.ge ?? e.length;
        if (lo === e.le) return `\n\t${e.prefix} prefixlen = ${e.le}`;
        return `\n\t${e.prefix} prefixlen ${lo} - ${e.le}`;
      });
      const head = entries.length
        ? ''
        : `# generated prefix-list ${name} (AS 0) is empty\n# use -a <asn> to generate "deny from ASN <asn>" instead of this list\n`;
      const open = name !== 'NN' ? `${name}="` : '';
      const close = name !== 'NN' ? '"' : '';
      return `${head}${open}prefix { ${items.join('')}\n\t}${close}\n`;
    }
  }
}

const JSON_ITEM = '\n    { "prefix": "';
const JSON_EXACT_END = '", "exact": true }';
const JSON_BETWEEN = bytes(`${JSON_EXACT_END},${JSON_ITEM}`);
const JSON_TAIL = bytes(`${JSON_EXACT_END}\n] }\n`);
const LINE_END = bytes('\n');
const NO_BYTES = new Uint8Array(0);

function bytes(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

/**
 * `formatPrefixList` of a built list, as the bytes to print (UTF-8). An exact IPv4 list in JSON or plain is
 * written straight from its sort keys in one pass (no object or string per prefix: lists run to 10^5
 * entries and a CLI run is cold code); everything else goes through `formatPrefixList`.
 */
export function formatListBytes(list: PrefixList, family: Family, format: IrrFormat, name = 'NN'): Buffer {
  if (list.kind === 'ipv4-keys' && list.keys.length) {
    if (format === 'plain') return writeIpv4Keys(list.keys, NO_BYTES, LINE_END, LINE_END, false);
    if (format === 'json')
      return writeIpv4Keys(list.keys, bytes(`{ "${jsonEscape(name)}": [${JSON_ITEM}`), JSON_BETWEEN, JSON_TAIL, true);
  }
  return Buffer.from(formatPrefixList(prefixListEntries(list), family, format, name), 'utf8');
}

/**
 * ASCII text assembled in a byte buffer: one string at the end instead of one per prefix line
 * (lists run to 10^5 entries). `text` returns false on a non-ASCII character so callers fall back.
 */
class AsciiWriter {
  private buf: Buffer;
  private off = 0;
  constructor(capacity: number) {
    // Not zero-filled: only the written part is ever read.
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  /** Appends `s`, writing each "/" as `\/` when `escapeSlash`; false when `s` is not ASCII. */
  text(s: string, escapeSlash = false): boolean {
    if (this.buf.length - this.off < s.length * 2) this.grow(s.length * 2);
    const buf = this.buf;
    let off = this.off;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) return false;
      if (c === 47 && escapeSlash) buf[off++] = 92;
      buf[off++] = c;
    }
    this.off = off;
    return true;
  }

  /** Appends pre-encoded ASCII bytes. */
  bytes(b: Uint8Array): void {
    if (this.buf.length - this.off < b.length) this.grow(b.length);
    const buf = this.buf;
    let off = this.off;
    for (let i = 0; i < b.length; i++) buf[off++] = b[i];
    this.off = off;
  }

  toString(): string {
    return this.buf.toString('latin1', 0, this.off);
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + need));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const JSON_FIRST = ascii('\n    { "prefix": "');
const JSON_NEXT = ascii(',\n    { "prefix": "');
const JSON_EXACT = ascii('", "exact": true }');
const NEWLINE = ascii('\n');

/** The whole JSON document as bgpq4 prints it, built in one buffer; null when something is not ASCII. */
function jsonDocument(entries: PrefixEntry[], escapedName: string): string | null {
  // An exact IPv4 line is at most 58 bytes; ranges and IPv6 grow the buffer.
  const w = new AsciiWriter(entries.length * 58 + escapedName.length + 16);
  if (!w.text(`{ "${escapedName}": [`)) return null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    w.bytes(i ? JSON_NEXT : JSON_FIRST);
    if (!w.text(e.prefix, true)) return null;
    if (e.exact) w.bytes(JSON_EXACT);
    else if (e.ge !== undefined) w.text(`", "exact": false,\n      "greater-equal": ${e.ge}, "less-equal": ${e.le} }`);
    else w.text(`", "exact": false, "less-equal": ${e.le} }`);
  }
  w.text('\n] }\n');
  return w.toString();
}

/** One prefix per line, or null when a prefix is not ASCII. */
function plainItems(entries: PrefixEntry[]): string | null {
  const w = new AsciiWriter(entries.length * 20);
  for (const e of entries) {
    if (!w.text(e.prefix)) return null;
    w.bytes(NEWLINE);
  }
  return w.toString();
}

function rangeText(e: PrefixEntry, ge: string, le: string): string {
  if (e.exact) return '';
  return e.ge !== undefined ? `${ge}${e.ge}${le}${e.le}` : `${le}${e.le}`;
}

function jsonEscape(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
