// Python string formatting: printf-style `%` (used by `"%s" % x` and the `format` filter) and str.format().
import { TemplateRuntimeError } from './errors.ts';
import { guardWidth } from './methods.ts';
import { PyFloat, isDict, dictGet, isFloat, numOf, pyRepr, pyStr, pyTypeName, reprFloat, isTuple } from './values.ts';

/** x.toFixed(n) with Python's rounding: exact ties go to the even digit (toFixed rounds them up). */
export function toFixedPy(x: number, n: number): string {
  const a = Math.abs(x);
  let s = a.toFixed(n);
  if (n <= 75) {
    const exact = a.toFixed(n + 25);
    const dot = exact.indexOf('.');
    const tail = exact.slice(dot + 1 + n);
    if (/^50*$/.test(tail)) {
      const down = exact.slice(0, dot + 1 + n).replace(/\.$/, '');
      if (Number(down[down.length - 1]) % 2 === 0) s = down;
    }
  }
  return x < 0 || Object.is(x, -0) ? '-' + s : s;
}

function fixedFloat(v: number, prec: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (Math.abs(v) < 1e21) return toFixedPy(v, prec);
  return BigInt(Math.round(v)).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
}

function expFloat(v: number, prec: number, upper: boolean): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const [m, e] = v.toExponential(prec).split('e');
  const n = Number(e);
  const s = m + 'e' + (n < 0 ? '-' : '+') + String(Math.abs(n)).padStart(2, '0');
  return upper ? s.toUpperCase() : s;
}

function generalFloat(v: number, prec: number, alt: boolean, upper: boolean): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const p = prec === 0 ? 1 : prec;
  if (v === 0) return alt ? '0.' + '0'.repeat(p - 1) : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toExponential(p - 1)))));
  let s: string;
  if (exp < -4 || exp >= p) {
    s = expFloat(v, p - 1, upper);
    if (!alt) s = s.replace(/\.?0+e/, 'e').replace(/\.?0+E/, 'E');
  } else {
    s = v.toFixed(Math.max(0, p - 1 - exp));
    if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '');
  }
  return s;
}

function toNumberArg(v: unknown, conv: string): number {
  const n = numOf(v);
  if (n === null) {
    throw new TemplateRuntimeError(`%${conv} format: a real number is required, not ${pyTypeName(v)}`);
  }
  return n;
}

function pad(body: string, width: number, left: boolean, zero: boolean, sign: string): string {
  guardWidth(width);
  const full = sign + body;
  if (full.length >= width) return full;
  if (left) return full + ' '.repeat(width - full.length);
  if (zero) return sign + '0'.repeat(width - full.length) + body;
  return ' '.repeat(width - full.length) + full;
}

function formatOne(conv: string, v: unknown, flags: string, width: number, prec: number | null): string {
  const left = flags.includes('-');
  const zero = flags.includes('0') && !left;
  const plus = flags.includes('+');
  const space = flags.includes(' ');
  const alt = flags.includes('#');
  if (conv === 's' || conv === 'r' || conv === 'a') {
    let s = conv === 's' ? pyStr(v) : pyRepr(v);
    if (prec !== null) s = s.slice(0, prec);
    return pad(s, width, left, false, '');
  }
  if (conv === 'c') {
    const s = typeof v === 'string' ? v : String.fromCodePoint(toNumberArg(v, 'c'));
    return pad(s, width, left, false, '');
  }
  let n = toNumberArg(v, conv);
  let sign = '';
  let body: string;
  if (conv === 'd' || conv === 'i' || conv === 'u' || conv === 'x' || conv === 'X' || conv === 'o') {
    if (conv === 'd' || conv === 'i' || conv === 'u') n = Math.trunc(n);
    else if (!Number.isInteger(n) || v instanceof PyFloat)
      throw new TemplateRuntimeError(`%${conv} format: an integer is required, not float`);
    const neg = n < 0;
    const a = Math.abs(n);
    body =
      conv === 'x'
        ? a.toString(16)
        : conv === 'X'
          ? a.toString(16).toUpperCase()
          : conv === 'o'
            ? a.toString(8)
            : a < 1e21
              ? String(a)
              : BigInt(a).toString();
    if (alt && conv === 'x') body = '0x' + body;
    if (alt && conv === 'X') body = '0X' + body;
    if (alt && conv === 'o') body = '0o' + body;
    if (prec !== null && body.length < guardWidth(prec)) body = '0'.repeat(prec - body.length) + body;
    sign = neg ? '-' : plus ? '+' : space ? ' ' : '';
  } else {
    const neg = n < 0 || Object.is(n, -0);
    const a = Math.abs(n);
    const p = Math.min(guardWidth(prec ?? 6), 100);
    if (conv === 'f' || conv === 'F') body = fixedFloat(a, p);
    else if (conv === 'e' || conv === 'E') body = expFloat(a, p, conv === 'E');
    else if (conv === 'g' || conv === 'G') body = generalFloat(a, p, alt, conv === 'G');
    else throw new TemplateRuntimeError(`unsupported format character '${conv}'`);
    if (conv === 'F') body = body.toUpperCase();
    sign = neg ? '-' : plus ? '+' : space ? ' ' : '';
  }
  return pad(body, width, left, zero, sign);
}

/** Python's `fmt % args` for str. */
export function percentFormat(fmt: string, args: unknown): string {
  const mapping = isDict(args) ? args : null;
  const list: unknown[] = mapping ? [] : isTuple(args) ? (args as unknown[]) : [args];
  let idx = 0;
  const nextArg = (): unknown => {
    if (mapping) return mapping;
    if (idx >= list.length) throw new TemplateRuntimeError('not enough arguments for format string');
    return list[idx++];
  };
  let out = '';
  const re = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    out += fmt.slice(last, m.index);
    last = re.lastIndex;
    const [, key, flags, w, p, conv] = m;
    if (conv === '%') {
      out += '%';
      continue;
    }
    const width = w === '*' ? Number(nextArg()) : w ? Number(w) : 0;
    const prec = p === '*' ? Number(nextArg()) : p !== undefined ? Number(p) : null;
    let v: unknown;
    if (key !== undefined) {
      if (!mapping) throw new TemplateRuntimeError('format requires a mapping');
      v = dictGet(mapping, key);
      if (v === undefined) throw new TemplateRuntimeError(`KeyError: ${pyRepr(key)}`);
    } else v = nextArg();
    out += formatOne(conv, v, flags, width, prec);
  }
  const rest = fmt.slice(last);
  if (rest.includes('%')) throw new TemplateRuntimeError('incomplete format');
  out += rest;
  if (!mapping && idx < list.length)
    throw new TemplateRuntimeError('not all arguments converted during string formatting');
  return out;
}

/** Applies a str.format() format spec ([[fill]align][sign][#][0][width][,][.prec][type]) to a value. */
export function formatSpec(v: unknown, spec: string): string {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new TemplateRuntimeError(`Invalid format specifier '${spec}'`);
  let [, fill, align, sign, alt, zero, w, group, p, type] = m;
  const width = w ? Number(w) : 0;
  const prec = p !== undefined ? Number(p) : null;
  const isNum = typeof v === 'number' || v instanceof PyFloat || typeof v === 'boolean';
  if (zero && !align) {
    fill = '0';
    align = '=';
  }
  fill = fill ?? ' ';
  let body: string;
  let sg = '';
  if (isNum && type !== 's') {
    const n = numOf(v)!;
    const neg = n < 0 || Object.is(n, -0);
    const a = Math.abs(n);
    const t = type ?? (isFloat(v) ? '' : 'd');
    if (t === 'd' || t === 'n') body = String(Math.trunc(a));
    else if (t === 'x') body = a.toString(16);
    else if (t === 'X') body = a.toString(16).toUpperCase();
    else if (t === 'o') body = a.toString(8);
    else if (t === 'b') body = a.toString(2);
    else if (t === 'f' || t === 'F') body = fixedFloat(a, prec ?? 6);
    else if (t === 'e' || t === 'E') body = expFloat(a, prec ?? 6, t === 'E');
    else if (t === 'g' || t === 'G') body = generalFloat(a, prec ?? 6, !!alt, t === 'G');
    else if (t === '%') body = fixedFloat(a * 100, prec ?? 6) + '%';
    else if (t === 'c') body = String.fromCodePoint(a);
    else body = prec !== null ? generalFloat(a, prec, false, false) : isFloat(v) ? reprFloat(a) : String(a);
    if (group) {
      const [ip, fp] = body.split('.');
      body = ip.replace(/\B(?=(\d{3})+(?!\d))/g, group) + (fp !== undefined ? '.' + fp : '');
    }
    if (alt && (t === 'x' || t === 'X' || t === 'o' || t === 'b'))
      body = '0' + (t === 'o' ? 'o' : t === 'b' ? 'b' : t) + body;
    sg = neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    align = align ?? '>';
  } else {
    body = pyStr(v);
    if (prec !== null) body = body.slice(0, prec);
    align = align ?? '<';
  }
  guardWidth(width);
  if (prec !== null) guardWidth(prec);
  const len = [...(sg + body)].length;
  if (len >= width) return sg + body;
  const padN = width - len;
  switch (align) {
    case '<':
      return sg + body + fill.repeat(padN);
    case '>':
      return fill.repeat(padN) + sg + body;
    case '=':
      return sg + fill.repeat(padN) + body;
    default: {
      const l = Math.floor(padN / 2);
      return fill.repeat(l) + sg + body + fill.repeat(padN - l);
    }
  }
}

/** Python's str.format(*args, **kwargs) with attribute/index field names and format specs. */
export function strFormat(
  fmt: string,
  args: unknown[],
  kwargs: Record<string, unknown> | null,
  getattr: (o: unknown, k: string) => unknown,
  getitem: (o: unknown, k: unknown) => unknown,
  counter: { auto: number } = { auto: 0 },
): string {
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === '{') {
      if (fmt[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      let depth = 1;
      let j = i + 1;
      while (j < fmt.length && depth) {
        if (fmt[j] === '{') depth++;
        else if (fmt[j] === '}') depth--;
        if (depth) j++;
      }
      if (depth) throw new TemplateRuntimeError("Single '{' encountered in format string");
      const field = fmt.slice(i + 1, j);
      i = j + 1;
      let [ref, spec = ''] = splitOnce(field, ':');
      let conv = '';
      const bang = ref.indexOf('!');
      if (bang >= 0) {
        conv = ref.slice(bang + 1);
        ref = ref.slice(0, bang);
      }
      const head = /^[^.[]*/.exec(ref)![0];
      let v: unknown;
      if (head === '') {
        if (counter.auto >= args.length)
          throw new TemplateRuntimeError(`Replacement index ${counter.auto} out of range for positional args tuple`);
        v = args[counter.auto++];
      } else if (/^\d+$/.test(head)) {
        const n = Number(head);
        if (n >= args.length)
          throw new TemplateRuntimeError(`Replacement index ${n} out of range for positional args tuple`);
        v = args[n];
      } else {
        if (!kwargs || !Object.hasOwn(kwargs, head)) throw new TemplateRuntimeError(`KeyError: ${pyRepr(head)}`);
        v = kwargs[head];
      }
      const rest = ref.slice(head.length);
      const re = /\.([^.[]+)|\[([^\]]+)\]/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(rest))) {
        if (m[1] !== undefined) v = getattr(v, m[1]);
        else v = getitem(v, /^\d+$/.test(m[2]) ? Number(m[2]) : m[2]);
      }
      if (spec.includes('{')) spec = strFormat(spec, args, kwargs, getattr, getitem, counter);
      if (conv === 'r' || conv === 'a') v = pyRepr(v);
      else if (conv === 's') v = pyStr(v);
      out += formatSpec(v, spec);
    } else if (c === '}') {
      if (fmt[i + 1] === '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw new TemplateRuntimeError("Single '}' encountered in format string");
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
