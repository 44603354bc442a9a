// Tokeniser with Jinja2 3.1's whitespace rules (trim_blocks, lstrip_blocks, '-' and '+' markers).
import { TemplateSyntaxError } from './errors.ts';

export type TokenType =
  | 'data'
  | 'variable_begin'
  | 'variable_end'
  | 'block_begin'
  | 'block_end'
  | 'name'
  | 'string'
  | 'integer'
  | 'float'
  | 'operator'
  | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  /** Parsed value of integer/float/string tokens. */
  literal?: unknown;
  line: number;
  column: number;
}

export interface LexerOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  keepTrailingNewline: boolean;
}

// Python's str.isspace() set, which both `\s` (unicode) and str.rstrip() use in Jinja2.
const WS = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_ONLY = new RegExp(`^[${WS}]+$`);
const WS_TAIL = new RegExp(`[${WS}]+$`);
const WS_RUN = new RegExp(`[${WS}]*`, 'y');

const TAG_START = /\{([{%#])/g;
const RAW_BEGIN = /\{%([-+]?)\s*raw\s*(?:-%\}\s*|%\})/y;
const RAW_END = /\{%([-+]?)\s*endraw\s*(\+%\}|-%\}\s*|%\}\n?)/g;
const SPACE = /\s+/y;
const FLOAT = /(?<!\.)(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const INTEGER = /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|[1-9](?:_?\d)*|0(?:_?0)*)/y;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const OPERATOR = /\/\/|\*\*|==|!=|>=|<=|[+\-/*%~[\](){}><=.:|,;]/y;

function rstripPy(s: string): string {
  return s.replace(WS_TAIL, '');
}

/** Decodes a Python string literal body (the unicode-escape codec Jinja2 applies). */
export function unescapePython(body: string): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\' || i === body.length - 1) {
      out += ch;
      continue;
    }
    const n = body[++i];
    switch (n) {
      case '\n':
        break;
      case '\\':
        out += '\\';
        break;
      case "'":
        out += "'";
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`truncated \\${n} escape`);
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
        break;
      }
      default:
        if (n >= '0' && n <= '7') {
          let oct = n;
          while (oct.length < 3 && body[i + 1] >= '0' && body[i + 1] <= '7') oct += body[++i];
          out += String.fromCharCode(parseInt(oct, 8));
        } else {
          out += '\\' + n;
        }
    }
  }
  return out;
}

/** Splits template source into tokens the parser consumes. */
/** Deepest nesting of brackets (lexer) and of statements, parentheses and unary operators (parser). */
export const MAX_NESTING = 100;

/** Single-character operators that never start a longer one: tokenised without the regex chain. */
const SIMPLE_OPS = new Set(['(', ')', '[', ']', '{', '}', ',', '|', ':', '~']);

export function tokenize(input: string, options: LexerOptions, templateName?: string): Token[] {
  return Array.from(tokenStream(input, options, templateName));
}

/**
 * Tokenises lazily: the parser pulls tokens as it goes, so a hostile template that breaks a limit early
 * (20k nested blocks) fails after a few tokens instead of after lexing megabytes.
 */
export function* tokenStream(
  input: string,
  options: LexerOptions,
  templateName?: string,
): Generator<Token, void, undefined> {
  // Jinja2 normalises every newline style to \n and drops one trailing newline unless asked not to.
  let source = input.replace(/\r\n|\r/g, '\n');
  if (!options.keepTrailingNewline && source.endsWith('\n')) source = source.slice(0, -1);
  const lineStarts: number[] = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const locate = (pos: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: pos - lineStarts[lo] + 1 };
  };
  const fail = (message: string, pos: number): never => {
    const { line, column } = locate(pos);
    throw new TemplateSyntaxError(message, line, column, templateName);
  };
  // Line lookup remembers the last line: tokens arrive in source order, so this is almost always O(1).
  let lastLine = 0;
  const tok = (type: TokenType, value: string, pos: number, literal?: unknown): Token => {
    let lo = lastLine;
    if (lineStarts[lo] > pos) lo = locate(pos).line - 1;
    while (lo + 1 < lineStarts.length && lineStarts[lo + 1] <= pos) lo++;
    lastLine = lo;
    const line = lo + 1;
    const column = pos - lineStarts[lo] + 1;
    return { type, value, literal, line, column };
  };

  const lstripText = (text: string, sign: string, isVariable: boolean, lineStarting: boolean): string => {
    if (sign === '-') return rstripPy(text);
    if (sign !== '+' && options.lstripBlocks && !isVariable) {
      const lpos = text.lastIndexOf('\n') + 1;
      if ((lpos > 0 || lineStarting) && WS_ONLY.test(text.slice(lpos))) return text.slice(0, lpos);
    }
    return text;
  };

  let pos = 0;
  let lineStarting = true;
  const n = source.length;
  while (pos < n) {
    TAG_START.lastIndex = pos;
    const m = TAG_START.exec(source);
    if (!m) {
      yield tok('data', source.slice(pos), pos);
      break;
    }
    const tagPos = m.index;
    const kind = m[1];
    let text = source.slice(pos, tagPos);

    if (kind === '%') {
      RAW_BEGIN.lastIndex = tagPos;
      const raw = RAW_BEGIN.exec(source);
      if (raw) {
        text = lstripText(text, raw[1], false, lineStarting);
        if (text) yield tok('data', text, pos);
        const after = tagPos + raw[0].length;
        lineStarting = raw[0].endsWith('\n');
        RAW_END.lastIndex = after;
        const end = RAW_END.exec(source);
        if (!end) fail('Missing end of raw directive', tagPos);
        let body = source.slice(after, end!.index);
        body = lstripText(body, end![1], false, lineStarting);
        if (body) yield tok('data', body, after);
        let endLen = end![0].length;
        // trim_blocks applies to the endraw tag only; '+%}' opts out.
        if (!options.trimBlocks && end![2] === '%}\n') endLen -= 1;
        pos = end!.index + endLen;
        lineStarting = source.slice(end!.index, pos).endsWith('\n');
        continue;
      }
    }

    let sign = '';
    const c = source[tagPos + 2];
    if (c === '-' || c === '+') sign = c;
    text = lstripText(text, sign, kind === '{', lineStarting);
    if (text) yield tok('data', text, pos);
    let p = tagPos + 2 + sign.length;

    if (kind === '#') {
      // Comments end at the first '#}', optionally preceded by a '-' or '+' marker.
      const j = source.indexOf('#}', p);
      if (j < 0) fail('Missing end of comment tag', tagPos);
      let endSign = '';
      if (j - 1 >= p && (source[j - 1] === '-' || source[j - 1] === '+')) endSign = source[j - 1];
      p = j + 2;
      if (endSign === '-') {
        WS_RUN.lastIndex = p;
        p += WS_RUN.exec(source)![0].length;
      } else if (endSign === '' && options.trimBlocks && source[p] === '\n') {
        p += 1;
      }
      pos = p;
      lineStarting = source[p - 1] === '\n';
      continue;
    }

    const isBlock = kind === '%';
    yield tok(isBlock ? 'block_begin' : 'variable_begin', source.slice(tagPos, p), tagPos);
    const endStr = isBlock ? '%}' : '}}';
    const balance: string[] = [];
    for (;;) {
      if (p >= n)
        fail(
          `unexpected end of template, expected '${isBlock ? 'end of statement block' : 'end of print statement'}'`,
          p,
        );
      if (balance.length === 0) {
        if (isBlock && source[p] === '+' && source.startsWith(endStr, p + 1)) {
          yield tok('block_end', '+%}', p);
          p += 3;
          break;
        }
        if (source[p] === '-' && source.startsWith(endStr, p + 1)) {
          yield tok(isBlock ? 'block_end' : 'variable_end', '-' + endStr, p);
          p += 3;
          WS_RUN.lastIndex = p;
          p += WS_RUN.exec(source)![0].length;
          break;
        }
        if (source.startsWith(endStr, p)) {
          yield tok(isBlock ? 'block_end' : 'variable_end', endStr, p);
          p += 2;
          if (isBlock && options.trimBlocks && source[p] === '\n') p += 1;
          break;
        }
      }
      const ch = source[p];
      if (SIMPLE_OPS.has(ch) || (ch === '.' && !(source.charCodeAt(p + 1) >= 48 && source.charCodeAt(p + 1) <= 57))) {
        if (ch === '(' || ch === '[' || ch === '{') {
          balance.push(ch === '(' ? ')' : ch === '[' ? ']' : '}');
          // Fail here, before tokenising the rest of a deeply nested (hostile) expression.
          if (balance.length > MAX_NESTING) fail(`template nesting exceeds the limit of ${MAX_NESTING} levels`, p);
        } else if (ch === ')' || ch === ']' || ch === '}') {
          if (!balance.length) fail(`unexpected '${ch}'`, p);
          const want = balance.pop();
          if (want !== ch) fail(`unexpected '${ch}', expected '${want}'`, p);
        }
        yield tok('operator', ch, p);
        p += 1;
        continue;
      }
      SPACE.lastIndex = p;
      let t = SPACE.exec(source);
      if (t) {
        p += t[0].length;
        continue;
      }
      FLOAT.lastIndex = p;
      if ((t = FLOAT.exec(source))) {
        yield tok('float', t[0], p, Number(t[0].replace(/_/g, '')));
        p += t[0].length;
        continue;
      }
      INTEGER.lastIndex = p;
      if ((t = INTEGER.exec(source))) {
        const s = t[0].replace(/_/g, '').toLowerCase();
        const v = s.startsWith('0b')
          ? parseInt(s.slice(2), 2)
          : s.startsWith('0o')
            ? parseInt(s.slice(2), 8)
            : s.startsWith('0x')
              ? parseInt(s.slice(2), 16)
              : Number(s);
        yield tok('integer', t[0], p, v);
        p += t[0].length;
        continue;
      }
      NAME.lastIndex = p;
      if ((t = NAME.exec(source))) {
        yield tok('name', t[0], p);
        p += t[0].length;
        continue;
      }
      STRING.lastIndex = p;
      if ((t = STRING.exec(source))) {
        const body = t[1] ?? t[2];
        let value: string;
        try {
          value = unescapePython(body);
        } catch (err) {
          fail((err as Error).message, p);
        }
        yield tok('string', t[0], p, value!);
        p += t[0].length;
        continue;
      }
      OPERATOR.lastIndex = p;
      if ((t = OPERATOR.exec(source))) {
        const op = t[0];
        if (op === '(' || op === '[' || op === '{') balance.push(op === '(' ? ')' : op === '[' ? ']' : '}');
        else if (op === ')' || op === ']' || op === '}') {
          if (!balance.length) fail(`unexpected '${op}'`, p);
          const want = balance.pop();
          if (want !== op) fail(`unexpected '${op}', expected '${want}'`, p);
        }
        yield tok('operator', op, p);
        p += op.length;
        continue;
      }
      fail(`unexpected char ${JSON.stringify(source[p])} at ${p}`, p);
    }
    pos = p;
    lineStarting = source[p - 1] === '\n';
  }
  const end = locate(n);
  yield { type: 'eof', value: '', literal: undefined, line: end.line, column: end.column };
}
