// Sandbox: templates are user input, so known escapes must yield nothing or an error, never host access.
import { describe, expect, it } from 'vitest';
import {
  Environment,
  SecurityError,
  TemplateError,
  TemplateSyntaxError,
  TemplateRuntimeError,
  renderString,
} from './index.ts';

const ESCAPES = [
  "{{ ''.constructor.constructor('return process')() }}",
  "{{ ''.constructor }}",
  "{{ ''['constructor']['constructor']('return globalThis')() }}",
  '{{ [].constructor }}',
  '{{ {}.constructor }}',
  '{{ data.constructor.constructor("return process")() }}',
  '{{ data.__proto__ }}',
  "{{ data['__proto__'] }}",
  '{{ data.__proto__.polluted }}',
  '{{ cycler.__init__ }}',
  '{{ cycler.__init__.__globals__ }}',
  '{{ cycler.fn }}',
  '{{ range.constructor("return process")() }}',
  '{{ range.fn }}',
  '{{ namespace.__class__ }}',
  '{{ joiner.__init__.__globals__.os }}',
  '{% for x in [1] %}{{ loop.__class__ }}{{ loop.items }}{{ loop.constructor }}{% endfor %}',
  '{{ "abc".upper.self }}',
  '{{ "abc".upper.__self__ }}',
  '{% macro m() %}{% endmacro %}{{ m.fn }}{{ m.__globals__ }}{{ m.constructor }}',
  '{{ constructor }}{{ process }}{{ globalThis }}{{ require }}{{ Function }}{{ toString }}{{ __proto__ }}{{ ctx }}{{ rt }}{{ E }}',
  '{{ self }}',
  '{{ (1).__class__.__base__.__subclasses__() }}',
  '{{ data|attr("constructor") }}',
  '{{ data|attr("__proto__") }}',
  '{% set x = namespace() %}{% set x.__proto__ = 1 %}{{ x.__proto__ }}',
  '{{ data.toString() }}',
  '{{ data.hasOwnProperty("a") }}',
  '{{ [1].map }}{{ "x".at }}{{ "x".length }}{{ [1].length }}',
];

describe('sandbox', () => {
  for (const tpl of ESCAPES) {
    it(`blocks ${tpl}`, () => {
      const data = JSON.parse('{"a": 1, "__proto__": {"polluted": true}}');
      let out = '';
      try {
        out = renderString(tpl, { data });
      } catch (err) {
        expect(err).toBeInstanceOf(TemplateError);
        return;
      }
      // Either nothing, or only inert data (never functions, prototypes or host objects).
      expect(out).not.toMatch(/function|native code|process|\[object|Object\]|=>|globalThis/);
    });
  }

  it('JSON __proto__ keys stay data and never pollute prototypes', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}}');
    expect(renderString("{{ data['__proto__'] }}", { data })).toBe("{'polluted': True}");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    renderString('{% set _ = d.update({"__proto__": {"polluted": 1}}) %}', { d: {} }).toString();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names from the template never become JS identifiers', () => {
    const env = new Environment();
    for (const name of ['ctx', 'rt', 'E', 'S', 'o', 'ln', 'P', 'K', 'F0', 'err', 'this', 'arguments', 'eval']) {
      expect(env.fromString(`{{ ${name} }}`).render({})).toBe('');
      expect(env.fromString(`{% set ${name} = 5 %}{{ ${name} }}`).render({})).toBe('5');
    }
    expect(env.fromString('{{ x }}').render({ x: '"); process.exit(1); ("' })).toBe('"); process.exit(1); ("');
  });

  it('template strings with JS syntax are plain data', () => {
    expect(renderString('{{ "`${process}`" ~ "\\u2028" }}')).toBe('`${process}`\u2028');
    expect(renderString("{{ '</script>' }}")).toBe('</script>');
  });

  it('enforces the time limit in loops', () => {
    const env = new Environment({ timeLimitMs: 100 });
    // 10^10 iterations cannot finish: reaching the assertion at all proves the limit stopped it.
    expect(() =>
      env.fromString('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}').render(),
    ).toThrow(SecurityError);
  });

  it('enforces the time limit in recursion-free macro storms', () => {
    const env = new Environment({ timeLimitMs: 100 });
    const tpl =
      '{% macro a() %}{% for i in range(1000) %}{{ i }}{% endfor %}{% endmacro %}{% for i in range(100000) %}{% set _ = a() %}{% endfor %}';
    expect(() => env.fromString(tpl).render()).toThrow(SecurityError);
  });

  it('enforces the output size limit', () => {
    const env = new Environment({ maxOutputBytes: 100_000 });
    expect(() => env.fromString('{% for i in range(100000) %}{{ "xxxxxxxxxx" }}{% endfor %}').render()).toThrow(
      SecurityError,
    );
    expect(() => env.fromString('{{ "x" * 1000000 }}').render()).toThrow(SecurityError);
    expect(() =>
      env.fromString('{% set s %}{% for i in range(50000) %}abcdefgh{% endfor %}{% endset %}{{ s }}').render(),
    ).toThrow(SecurityError);
    expect(() => env.fromString('{{ ("x" * 1000) * 1000 }}').render()).toThrow(SecurityError);
  });

  it('rejects huge ranges and paddings before allocating', () => {
    expect(() => renderString('{{ range(10**9) | length }}')).toThrow(SecurityError);
    expect(() => renderString('{{ "x".center(10**9) }}')).toThrow(TemplateRuntimeError);
    expect(() => renderString('{{ "%*d" % (10**9, 1) }}')).toThrow(TemplateRuntimeError);
    expect(() => renderString('{{ "a" | indent(10**9) }}')).toThrow(TemplateRuntimeError);
  });

  it('turns unbounded recursion into a template error', () => {
    expect(() => renderString('{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}')).toThrow(TemplateRuntimeError);
  });

  it('reports syntax errors with line and column', () => {
    try {
      renderString('line one\n  {% if %}\n');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateSyntaxError);
      const e = err as TemplateSyntaxError;
      expect(e.line).toBe(2);
      expect(e.column).toBe(9);
    }
    try {
      renderString('ok\nok {{ a +* b }}');
      expect.unreachable();
    } catch (err) {
      const e = err as TemplateSyntaxError;
      expect([e.line, e.column]).toEqual([2, 10]);
    }
    try {
      renderString('{% for x in y %}\n{% endif %}');
      expect.unreachable();
    } catch (err) {
      const e = err as TemplateSyntaxError;
      expect(e.line).toBe(2);
      expect(e.message).toMatch(/endif/);
    }
  });

  it('reports runtime errors with the template line', () => {
    try {
      renderString('a\nb\n{{ 1 / 0 }}');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateRuntimeError);
      expect((err as TemplateRuntimeError).line).toBe(3);
    }
  });

  it('loader names cannot reach object prototypes', () => {
    const env = new Environment({ loader: { 'a.j2': 'A' } });
    expect(() => env.fromString('{% include "constructor" %}').render()).toThrow(TemplateError);
    expect(() => env.fromString('{% include "__proto__" %}').render()).toThrow(TemplateError);
    expect(env.fromString('{% include "a.j2" %}').render()).toBe('A');
  });

  it('unknown filters and tests are compile errors, even prototype names', () => {
    expect(() => renderString('{{ 1 | constructor }}')).toThrow(TemplateSyntaxError);
    expect(() => renderString('{{ 1 is constructor }}')).toThrow(TemplateSyntaxError);
    expect(() => renderString('{{ 1 | toString }}')).toThrow(TemplateSyntaxError);
  });
});
