// Render budgets and nesting limits: hostile templates fail fast with a clean engine error naming the
// budget or the line, never by exhausting memory or overflowing the stack; normal use stays exact.
import { describe, expect, it } from 'vitest';
import { BudgetError, Environment, TemplateSyntaxError, renderString, type EnvironmentOptions } from './index.ts';
import { MAX_AST_DEPTH, MAX_NESTING } from './parser.ts';

const BUDGET = /^template exceeds its memory budget: /;

function fails(src: string, options: EnvironmentOptions = {}, vars: Record<string, unknown> = {}): BudgetError {
  let caught: unknown;
  try {
    renderString(src, vars, options);
  } catch (err) {
    caught = err;
  }
  expect(caught, src).toBeInstanceOf(BudgetError);
  expect((caught as BudgetError).message).toMatch(BUDGET);
  return caught as BudgetError;
}

function syntaxError(src: string): TemplateSyntaxError {
  let caught: unknown;
  try {
    new Environment().fromString(src);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TemplateSyntaxError);
  return caught as TemplateSyntaxError;
}

describe('memory budget of the hostile templates of issue 12', () => {
  it('slice into a billion lists fails before allocating', () => {
    const e = fails('{{ range(10)|slice(1000000000)|list }}');
    expect(e.message).toBe(
      'template exceeds its memory budget: a sequence of 1000000010 items exceeds the limit of 1000000',
    );
    expect(e.line).toBe(1);
  });

  it('batch padded with fill_with to a billion items fails', () => {
    expect(fails('{{ range(10)|batch(1000000000, fill_with=0)|list }}').message).toBe(
      'template exceeds its memory budget: a sequence of 1000000000 items exceeds the limit of 1000000',
    );
  });

  it('list * 10**7 and str * 10**9 fail', () => {
    expect(fails('{{ [0]*10**7 }}').message).toContain('a sequence of 10000000 items');
    expect(fails("{{ 'x'*10**9 }}").message).toContain(
      'a string of 1000000000 characters exceeds the limit of 52428800',
    );
    expect(fails("{{ 10**9*'x' }}").message).toContain('a string of 1000000000 characters');
  });

  it('a loop that keeps 10 MB strings stops at the cumulative allocation budget', () => {
    const e = fails("{% set l = [] %}{% for i in range(1000) %}{{ l.append('x'*10**7) }}{% endfor %}");
    expect(e.message).toBe('template exceeds its memory budget: the render allocated more than 268435456 bytes');
    // Filter results count too (upper builds a new flat string each time).
    const f = fails(
      "{% set s = 'x'*10**5 %}{% set l = [] %}{% for i in range(400) %}{{ l.append(s|upper) }}{% endfor %}",
      { maxAllocBytes: 20_000_000, timeLimitMs: 600_000 },
    );
    expect(f.message).toBe('template exceeds its memory budget: the render allocated more than 20000000 bytes');
  });

  it('list.extend doubling in a loop stops at maxItems', () => {
    expect(fails('{% set l = [1] %}{% for i in range(40) %}{{ l.extend(l) }}{% endfor %}').message).toContain(
      'a sequence of 1048576 items',
    );
  });
});

describe('every sequence- or string-building operation checks the budget', () => {
  const small: EnvironmentOptions = { maxItems: 100, maxOutputBytes: 1000, maxAllocBytes: 5000 };
  const cases: [string, string][] = [
    ['range', '{{ range(101)|length }}'],
    ['slice filter', '{{ range(50)|slice(60)|list }}'],
    ['batch fill_with', '{{ [1]|batch(101, fill_with=0)|list }}'],
    ['list * n', '{{ [1, 2] * 51 }}'],
    ['str * n', "{{ 'ab' * 501 }}"],
    ['list + list', '{{ range(60)|list + range(60)|list }}'],
    ['str + str', "{{ 'x'*600 + 'y'*600 }}"],
    ['~ concat', "{{ 'x'*600 ~ 'y'*600 }}"],
    ['join filter', "{{ ['x'*400, 'y'*400, 'z'*400]|join }}"],
    ['str.join', "{{ ','.join(['x'*600, 'y'*600]) }}"],
    ['format filter', "{{ '%1001s'|format('x') }}"],
    ['% operator', "{{ '%-1001s' % 'x' }}"],
    ['str.format', "{{ '{:>1001}'.format('x') }}"],
    ['center filter', "{{ 'x'|center(1001) }}"],
    ['str.center', "{{ 'x'.center(1001) }}"],
    ['str.ljust', "{{ 'x'.ljust(1001) }}"],
    ['str.zfill', "{{ '1'.zfill(1001) }}"],
    ['wordwrap', "{{ ('ab ' * 100)|wordwrap(2, wrapstring='-' * 10) }}"],
    ['replace filter', "{{ ('x' * 100)|replace('x', 'yy' * 10) }}"],
    ['str.replace', "{{ ('x' * 100).replace('', 'yyyyyyyyyy') }}"],
    ['list filter on a string', "{{ ('x' * 101)|list|length }}"],
    ['indent', "{{ ('a\\n' * 100)|indent(20) }}"],
    ['truncate', "{{ ('x ' * 600)|truncate(1200, end='') }}"],
    ['reverse', "{{ ('x' * 101)|reverse }}"],
    ['string slice with a step', "{{ ('x' * 202)[::2] }}"],
    ['list slice', '{{ (range(100)|list + [1])[::1]|length }}'],
    ['list.append', '{% set l = range(100)|list %}{{ l.append(1) }}'],
    ['dict.update', '{% set d = {} %}{% for i in range(101) %}{{ d.update({i: i}) }}{% endfor %}'],
    ['for over a long string', "{% for c in 'x' * 101 %}{% endfor %}"],
    ['printing a list', "{% set l = ['x' * 600, 'y' * 600] %}{{ (l|string)|length }}"],
    ['tojson', "{% set l = ['x' * 600, 'y' * 600] %}{{ (l|tojson)|length }}"],
    ['pprint', "{% set d = {'a': 'x' * 600, 'b': 'y' * 600} %}{{ (d|pprint)|length }}"],
  ];
  it.each(cases)('%s', (_name, src) => {
    fails(src, small);
  });

  it('within the budget the same operations give Jinja2 results', () => {
    expect(renderString('{{ range(10)|slice(3)|list }}')).toBe('[[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]');
    expect(renderString('{{ range(5)|batch(3, fill_with=0)|list }}')).toBe('[[0, 1, 2], [3, 4, 0]]');
    expect(renderString("{{ [0] * 3 }} {{ 'ab' * 2 }} {{ 'x'|center(5) }}|{{ 'a b c'|replace(' ', '--') }}")).toBe(
      '[0, 0, 0] abab   x  |a--b--c',
    );
    expect(renderString("{{ ('x' * 100)[::-1]|length }} {{ 'hello'[1:3] }} {{ 'héllo'[::2] }} {{ '😀ab'[1:] }}")).toBe(
      '100 el hlo ab',
    );
    expect(renderString('{{ range(5)|list + [5] }}', {}, { maxItems: 6 })).toBe('[0, 1, 2, 3, 4, 5]');
    expect(renderString("{{ ('x' * 1000)|length }}", {}, { maxOutputBytes: 1000 })).toBe('1000');
  });

  it('the budget is per render: a template that nearly exhausts it can render again', () => {
    const env = new Environment({ maxAllocBytes: 3000 });
    const tpl = env.fromString("{% for i in range(2) %}{{ ('x' * 1000)|length }}{% endfor %}");
    for (let i = 0; i < 5; i++) expect(tpl.render()).toBe('10001000');
  });

  it('includes share the budget of the render that includes them', () => {
    const env = new Environment({ maxAllocBytes: 3000, loader: { 'inc.j2': "{{ ('y' * 1000)|length }}" } });
    expect(env.fromString("{% include 'inc.j2' %}").render()).toBe('1000');
    expect(() =>
      env.fromString("{{ ('x' * 1500)|length }}{% include 'inc.j2' %}{% include 'inc.j2' %}").render(),
    ).toThrow(BudgetError);
  });
});

describe('nesting limits give a syntax error naming the line', () => {
  const N = 100_000;
  it('100k parentheses', () => {
    const e = syntaxError('a\nb\n{{ ' + '('.repeat(N) + '1' + ')'.repeat(N) + ' }}');
    expect(e.rawMessage).toBe(`template nesting exceeds the limit of ${MAX_NESTING} levels`);
    expect(e.line).toBe(3);
  });

  it('20k nested if and for statements', () => {
    const ifs = syntaxError('x\n' + '{% if true %}\n'.repeat(20_000) + '{% endif %}'.repeat(20_000));
    expect(ifs.rawMessage).toBe(`template nesting exceeds the limit of ${MAX_NESTING} levels`);
    expect(ifs.line).toBe(MAX_NESTING + 2);
    const fors = syntaxError('{% for x in y %}'.repeat(20_000) + '{% endfor %}'.repeat(20_000));
    expect(fors.line).toBe(1);
  });

  it.each([
    ['filters', '{{ 1' + '|string'.repeat(N) + ' }}'],
    ['calls', '{{ f' + '(1)'.repeat(N) + ' }}'],
    ['attributes', '{{ a' + '.b'.repeat(N) + ' }}'],
    ['subscripts', '{{ a' + '[0]'.repeat(N) + ' }}'],
    ['binary operators', '{{ 1' + ' + 1'.repeat(N) + ' }}'],
    ['and chains', '{{ 1' + ' and 1'.repeat(N) + ' }}'],
    ['or chains', '{{ 0' + ' or 0'.repeat(N) + ' }}'],
  ])('deep chains of %s', (_name, src) => {
    const e = syntaxError('\n' + src);
    expect(e.rawMessage).toBe(`expression or statement nesting exceeds the limit of ${MAX_AST_DEPTH} levels`);
    expect(e.line).toBe(2);
  });

  it.each([
    ['not', '{{ ' + 'not '.repeat(N) + '1 }}'],
    ['unary minus', '{{ ' + '-'.repeat(N) + '1 }}'],
    ['lists', '{{ ' + '['.repeat(N) + ']'.repeat(N) + ' }}'],
    ['dicts', '{{ ' + '{1: '.repeat(N) + '1' + '}'.repeat(N) + ' }}'],
    ['conditional expressions', '{{ 1' + ' if 1 else 2'.repeat(N) + ' }}'],
    ['macro calls in arguments', '{{ f(' + 'f('.repeat(N) + ')'.repeat(N + 1) + ' }}'],
  ])('deep %s', (_name, src) => {
    const e = syntaxError(src);
    expect(e.rawMessage).toBe(`template nesting exceeds the limit of ${MAX_NESTING} levels`);
    expect(e.line).toBe(1);
  });

  it('reasonable nesting still renders', () => {
    expect(renderString('{{ ' + '('.repeat(60) + '1' + ')'.repeat(60) + ' }}')).toBe('1');
    expect(renderString('{{ 0' + ' + 1'.repeat(300) + ' }}')).toBe('300');
    expect(renderString('{% if true %}'.repeat(90) + 'deep' + '{% endif %}'.repeat(90))).toBe('deep');
    expect(renderString('{{ 1' + '|string'.repeat(200) + ' }}')).toBe('1');
  });
});

describe('prototype keys are ordinary keys', () => {
  it('dict(__proto__=1) and friends', () => {
    expect(renderString('{{ dict(__proto__=1) }}')).toBe("{'__proto__': 1}");
    expect(renderString('{{ dict(__proto__=1).__proto__ }} {{ dict(constructor=2)["constructor"] }}')).toBe('1 2');
    expect(renderString('{% set ns = namespace(__proto__=3) %}{{ ns.__proto__ }}')).toBe('3');
    expect(renderString('{% macro m() %}{{ kwargs }}{% endmacro %}{{ m(__proto__=2, constructor=3) }}')).toBe(
      "{'__proto__': 2, 'constructor': 3}",
    );
    expect(renderString('{{ "%(__proto__)s"|format(__proto__="p") }}')).toBe('p');
  });

  it('a template variable named __proto__ survives include (locals object)', () => {
    const env = new Environment({ loader: { 'inc.j2': '[{{ __proto__ }}]' } });
    expect(
      env
        .fromString("{% set __proto__ = 5 %}{% for i in [1] %}{% include 'inc.j2' %}{% endfor %}{{ __proto__ }}")
        .render(),
    ).toBe('[5]5');
  });

  it('context data with an own __proto__ key (from JSON) reads as data', () => {
    const data = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    expect(renderString('{{ d.__proto__.x }} {{ d["__proto__"]["x"] }} {{ d|length }} {{ d.y }}', { d: data })).toBe(
      '1 1 2 2',
    );
  });
});
