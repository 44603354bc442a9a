// Differential cases: each template is rendered by Python Jinja2 and by Peerdesk and compared byte for byte.
import type { JinjaCase } from '../../../test/support/jinja2.ts';

/** Shared context most cases render against (JSON data, as render-config supplies). */
export const BASE_CONTEXT = {
  name: 'edge1',
  n: 7,
  neg: -3,
  zero: 0,
  half: 2.5,
  pi: 3.14159,
  big: 65551,
  empty: '',
  none: null,
  t: true,
  f: false,
  text: '  Hello World  ',
  csv: 'a,b,,c',
  words: 'the quick brown fox jumps over the lazy dog',
  items: [3, 1, 2],
  strs: ['b', 'A', 'c', 'a'],
  nested: [
    [1, 2],
    [3, 4],
  ],
  d: { b: 2, a: 1, c: 3 },
  e: {},
  l: [],
  user: { name: 'alice', role: 'admin', tags: ['x', 'y'], profile: { city: 'Paris', zip: null } },
  users: [
    { name: 'bob', age: 31, group: 'ops', active: true, asn: 65001 },
    { name: 'alice', age: 25, group: 'dev', active: false, asn: 65002 },
    { name: 'Carol', age: 35, group: 'ops', active: true, asn: 65003 },
    { name: 'dave', age: 25, group: 'Dev', active: true, asn: 65004 },
  ],
  sessions: [
    { ip: '192.0.2.1', asn: 64500, family: 4, group: 'transit', max: 1000, md5: 'secret', bfd: true },
    { ip: '2001:db8::1', asn: 64500, family: 6, group: 'transit', max: 200, md5: null, bfd: false },
    { ip: '198.51.100.7', asn: 64511, family: 4, group: 'ixp', max: 50, md5: null, bfd: true },
    { ip: '2001:db8:1::7', asn: 64511, family: 6, group: 'ixp', max: 20, md5: 'x"y', bfd: false },
  ],
  tree: [
    {
      name: 'a',
      children: [
        { name: 'a1', children: [] },
        { name: 'a2', children: [{ name: 'a2x', children: [] }] },
      ],
    },
    { name: 'b', children: [] },
  ],
  unicode: 'héllo wörld ☃',
  html: '<b>bold</b> & "quotes"',
  floaty: 1.5,
  asdict: { 'key with space': 1, _private: 2, items: 'shadow' },
};

type Opts = JinjaCase['options'];
const c = (
  template: string,
  context: Record<string, unknown> = BASE_CONTEXT,
  options?: Opts,
  templates?: Record<string, string>,
): JinjaCase => ({
  template,
  context,
  ...(options ? { options } : {}),
  ...(templates ? { templates } : {}),
});

const TRIM: Opts = { trimBlocks: true };
const LSTRIP: Opts = { lstripBlocks: true };
const BOTH: Opts = { trimBlocks: true, lstripBlocks: true };
const KEEP: Opts = { keepTrailingNewline: true };
const STRICT: Opts = { undefined: 'strict' };

const LIB = {
  'macros.j2':
    '{% macro peer(ip, asn=65000) %}neighbor {{ ip }} remote-as {{ asn }}{% endmacro %}{% macro _hidden() %}h{% endmacro %}{% set version = 3 %}',
  'base.j2': 'HEAD[{% block head %}base-head{% endblock %}]\nBODY[{% block body %}base-body{% endblock %}]\nFOOT',
  'mid.j2': '{% extends "base.j2" %}{% block head %}mid-head+{{ super() }}{% endblock %}',
  'part.j2': 'part:{{ name }}:{{ item | default("noitem") }}',
  'loopy.j2': '{% for s in sessions %}{{ s.ip }};{% endfor %}',
  'ctxmac.j2': '{% macro show() %}{{ name }}{% endmacro %}',
};

export const CASES: JinjaCase[] = [
  // ---- plain text, comments, whitespace control ----
  c('plain text'),
  c(''),
  c('line1\nline2\n'),
  c('trailing newline\n', BASE_CONTEXT, KEEP),
  c('two trailing\n\n'),
  c('crlf\r\nline\r\n'),
  c('a {# comment #} b'),
  c('a {#- comment -#} b'),
  c('a\n{# comment #}\nb'),
  c('a\n{# comment #}\nb', BASE_CONTEXT, TRIM),
  c('a\n  {# comment #}\nb', BASE_CONTEXT, BOTH),
  c('{{ name }}   {{- n }}'),
  c('{{ name -}}   \n\n {{ n }}'),
  c('x  {%- if t %}  y  {%- endif %}  z'),
  c('x  {% if t -%}  y  {% endif -%}  z'),
  c('{% if t %}\nyes\n{% endif %}\n', BASE_CONTEXT, TRIM),
  c('{% if t %}\nyes\n{% endif %}\n', BASE_CONTEXT),
  c('  {% if t %}\n  yes\n  {% endif %}\n', BASE_CONTEXT, LSTRIP),
  c('  {% if t %}\n  yes\n  {% endif %}\n', BASE_CONTEXT, BOTH),
  c('  {%+ if t %}\n  yes\n  {%+ endif %}\n', BASE_CONTEXT, BOTH),
  c('{% if t +%}\nyes\n{% endif +%}\nafter', BASE_CONTEXT, TRIM),
  c('\t{% for i in items %}\n\t{{ i }}\n\t{% endfor %}\n', BASE_CONTEXT, BOTH),
  c('x {{ n }}\n  {% if t %}y{% endif %}', BASE_CONTEXT, LSTRIP),
  c('{% for i in items -%}\n  {{ i }}\n{%- endfor %}'),
  c('{% for i in items %}{{ i }}{{ "," if not loop.last }}{% endfor %}'),
  c('a\n\n{%- if t %}\nb{% endif %}', BASE_CONTEXT, BOTH),
  c('{% raw %}{{ not rendered }}{% endraw %}'),
  c('{% raw %}\n{% if %}{{ x }}\n{% endraw %}\nafter', BASE_CONTEXT, TRIM),
  c('  {%- raw -%}  {{ x }}  {%- endraw -%}  end'),
  c('  {% raw %}r{% endraw %}\n', BASE_CONTEXT, BOTH),
  c('{#- only comment -#}'),
  c('{% if t %}  {# c #}\n{% endif %}', BASE_CONTEXT, BOTH),
  c('router bgp {{ big }}\n {% for s in sessions %}\n neighbor {{ s.ip }}\n {% endfor %}\n!', BASE_CONTEXT, BOTH),
  c('{%- for s in sessions %}\n{{ s.ip }}\n{%- endfor %}\n'),

  // ---- printing Python values ----
  c('{{ 1 }} {{ -1 }} {{ 1.0 }} {{ 1.5 }} {{ 0.1 + 0.2 }} {{ 1e3 }} {{ 1E-7 }} {{ 1234567890123456 }}'),
  c('{{ [1, "a", 2.0, none, true] }}'),
  c("{{ {'a': True, 'b': None, 'c': 1.0} }}"),
  c('{{ (1, 2) }} {{ () }} {{ (1,) }}'),
  c('{{ none }} {{ None }} {{ true }} {{ False }}'),
  c('{{ d }} {{ e }} {{ l }}'),
  c('{{ user }}'),
  c('{{ nested }} {{ strs }}'),
  c('{{ "it\'s" }} {{ [\'it\\\'s\', "a\\"b", "both\'\\""] }}'),
  c('{{ ["tab\\there", "nl\\nx", "back\\\\slash"] }}'),
  c('{{ [unicode] }} {{ unicode }}'),
  c('{{ 10 / 2 }} {{ 10 / 4 }} {{ 10 // 4 }} {{ 10 % 4 }} {{ 2 ** 10 }} {{ 2 ** -2 }} {{ 2.0 ** 2 }}'),
  c('{{ 7 // -2 }} {{ -7 % 2 }} {{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ -7.5 % 2 }} {{ 1 / 3 }}'),
  c('{{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }} {{ -n }} {{ +n }} {{ - -n }}'),
  c('{{ half * 2 }} {{ half + half }} {{ half - 0.5 }} {{ n * 1.0 }} {{ n / 7 }}'),
  c('{{ 100000000000000000000 }} {{ 1e20 }} {{ 1e15 }} {{ 1e16 }} {{ 12345.678 }} {{ 0.00001 }}'),
  c('{{ 3 * "ab" }} {{ "ab" * 3 }} {{ [1, 2] * 2 }} {{ "a" + "b" }} {{ [1] + [2] }}'),
  c('{{ 1 ~ 2 ~ "x" ~ none ~ true ~ 1.0 }}'),
  c('{{ "x" ~ [1, 2] ~ d }}'),
  c('{{ -2 ** 2 }} {{ (-2) ** 2 }} {{ 2 ** 3 ** 2 }}'),
  c('{{ true + 1 }} {{ true * 3 }} {{ false - 1 }}'),
  c('{{ 0.1 * 3 }} {{ 1.1 + 2.2 }} {{ 3.0 * 1.5 }} {{ 2.5 * 2 }} {{ 9 ** 0.5 }}'),
  c('{{ 5 / 0 }}'),
  c('{{ 5 // 0 }}'),
  c('{{ "a" + 1 }}'),
  c('{{ "%s-%s" % ("a", 1) }} {{ "%d%%" % 50 }} {{ "%5.1f|%-5s|%05d" % (pi, "ab", 42) }}'),
  c('{{ "%x %X %o %e %g" % (255, 255, 8, 12345.678, 0.0001) }}'),
  c('{{ "%(a)s and %(b)r" % {"a": 1, "b": "two"} }}'),
  c('{{ "%s" % [1, 2] }} {{ "%s" % none }} {{ "%r" % 1.0 }}'),
  c('{{ "%+d % d %3d|%-3d|" % (5, 5, 5, 5) }}'),

  // ---- comparisons, logic, membership ----
  c('{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 4 >= 4 }} {{ 1 == 1.0 }} {{ 1 != 2 }}'),
  c('{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 < n <= 7 }}'),
  c('{{ "a" < "b" }} {{ "B" < "a" }} {{ [1, 2] < [1, 3] }} {{ (1, 2) == (1, 2) }} {{ [1] == (1,) }}'),
  c('{{ 1 < "a" }}'),
  c('{{ "a" in "cat" }} {{ 2 in items }} {{ "b" in d }} {{ "z" not in d }} {{ 5 not in items }}'),
  c('{{ 1 in "abc" }}'),
  c('{{ t and "yes" }} {{ f and "yes" }} {{ f or "fallback" }} {{ empty or none or 0 }} {{ not t }} {{ not empty }}'),
  c('{{ n if t else 0 }} {{ n if f else "no" }} [{{ n if f }}]'),
  c('{{ "yes" if items else "no" }} {{ "yes" if l else "no" }} {{ "yes" if d else "no" }} {{ "yes" if e else "no" }}'),
  c('{{ 0.0 and 1 }} {{ 0.5 and 1 }} {{ "0" and 1 }} {{ [0] and 1 }}'),
  c('{{ true == 1 }} {{ false == 0 }} {{ none == none }} {{ none == false }}'),
  c('{{ d == {"b": 2, "a": 1, "c": 3} }} {{ items == [3, 1, 2] }} {{ user.tags == ["x", "y"] }}'),

  // ---- attribute and item lookup, slices ----
  c('{{ user.name }} {{ user["role"] }} {{ user.profile.city }} {{ user.tags[1] }} {{ user.tags.0 }}'),
  c('{{ users[0].name }} {{ users[-1].name }} {{ users.1["age"] }}'),
  c('[{{ user.missing }}] [{{ user["missing"] }}] [{{ items[10] }}] [{{ user.profile.zip }}]'),
  c('{{ user.missing.deeper }}'),
  c('{{ missing.attr }}'),
  c('{{ items[1:] }} {{ items[:2] }} {{ items[::2] }} {{ items[::-1] }} {{ items[-2:] }} {{ items[5:] }}'),
  c('{{ name[0] }} {{ name[-1] }} {{ name[1:3] }} {{ name[::-1] }} {{ unicode[1] }} {{ unicode[-1] }}'),
  c('{{ (1, 2, 3)[1:] }} {{ "abcdef"[1:5:2] }} {{ items[-10:10] }}'),
  c('{{ asdict["key with space"] }} {{ asdict._private }} {{ asdict["items"] }}'),
  c('{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }}'),
  c('{{ d.get("a") }} {{ d.get("zz") }} {{ d.get("zz", 9) }} {{ d["a"] + d.b }}'),
  c('{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}'),
  c('{% for k in d %}{{ k }}{% endfor %} {% for ch in "abc" %}{{ ch }}-{% endfor %}'),
  c('{{ {"a": 1, "b": [1, 2]}["b"][1] }} {{ [[1, 2], [3]][0][1] }}'),
  c('{{ {1: "one", 2.0: "two"}[1] }} {{ {1: "one"} }} {{ {(1, 2): "t"} }}'),
  c('{% set x = {"a": 1} %}{{ x.a }} {{ x["a"] }} {{ x.get("a") }}'),

  // ---- if / elif / else ----
  c('{% if n > 10 %}big{% elif n > 5 %}mid{% else %}small{% endif %}'),
  c('{% if zero %}a{% elif empty %}b{% elif none %}c{% else %}d{% endif %}'),
  c('{% if users %}{{ users | length }}{% endif %}{% if not l %}empty{% endif %}'),
  c('{% if user.missing %}x{% else %}no{% endif %}'),
  c('{% if n is odd and n is not even %}odd{% endif %}'),
  c('{% if 1, 2 %}tuple-true{% endif %}'),
  c('{% if t %}{% if f %}a{% else %}b{% endif %}{% endif %}'),

  // ---- for loops ----
  c(
    '{% for i in items %}{{ loop.index }}:{{ loop.index0 }}:{{ loop.revindex }}:{{ loop.revindex0 }}:{{ loop.first }}:{{ loop.last }}:{{ loop.length }} {% endfor %}',
  ),
  c('{% for i in items %}{{ loop.cycle("odd", "even") }} {% endfor %}'),
  c('{% for i in items %}{{ loop.previtem }}/{{ loop.nextitem }} {% endfor %}'),
  c('{% for u in users %}{% if loop.changed(u.group) %}[{{ u.group }}]{% endif %}{{ u.name }} {% endfor %}'),
  c('{% for i in l %}x{% else %}empty{% endfor %}'),
  c('{% for i in items if i > 1 %}{{ i }}{% else %}none{% endfor %}'),
  c('{% for i in items if i > 5 %}{{ i }}{% else %}none{% endfor %}'),
  c('{% for u in users if u.active %}{{ loop.index }}.{{ u.name }}/{{ loop.length }} {% endfor %}'),
  c('{% for a in nested %}{% for b in a %}{{ loop.depth }}{{ b }}{% endfor %}{% endfor %}'),
  c(
    '{% for a in nested %}{% set outer = loop %}{% for b in a %}{{ outer.index }}.{{ loop.index }} {% endfor %}{% endfor %}',
  ),
  c(
    '{% for node in tree recursive %}{{ node.name }}{% if node.children %}({{ loop(node.children) }}){% endif %}{% endfor %}',
  ),
  c('{% for node in tree recursive %}{{ loop.depth }}{{ node.name }} {{ loop(node.children) }}{% endfor %}'),
  c('{% for x, y in nested %}{{ x + y }} {% endfor %}'),
  c(
    '{% for i in range(3) %}{{ i }}{% endfor %} {% for i in range(1, 10, 3) %}{{ i }}{% endfor %} {{ range(5, 0, -2) | list }}',
  ),
  c('{% for i in items %}{% set x = i * 2 %}{{ x }}{% endfor %}[{{ x }}]'),
  c('{% set x = 1 %}{% for i in items %}{% set x = i %}{% endfor %}{{ x }}'),
  c('{% for i in items %}{{ i }}{% endfor %}{{ i }}'),
  c('{% for i in none %}x{% endfor %}'),
  c('{% for i in missing %}x{% else %}nothing{% endfor %}'),
  c('{% for i in 5 %}x{% endfor %}'),
  c('{% for u in users | sort(attribute="age") %}{{ u.name }}{% endfor %}'),
  c('{% for k, v in d | dictsort %}{{ k }}{{ v }}{% endfor %}'),
  c('{% for a, b in [[1, 2, 3]] %}{{ a }}{% endfor %}'),
  c('{% for i in items %}{{ loop.length }}{{ loop.depth0 }}{% endfor %}'),
  c('{% for s in sessions %}{{ s.ip }}{{ "\n" if not loop.last }}{% endfor %}'),

  // ---- set, block set, namespace ----
  c('{% set a = 1 %}{% set b, c = 2, 3 %}{{ a }}{{ b }}{{ c }}'),
  c('{% set a, b = "xy" %}{{ b }}{{ a }}'),
  c('{% set x = [1, 2] %}{% set y = x + [3] %}{{ y }}'),
  c('{% set x %}captured {{ n }}{% endset %}[{{ x }}]'),
  c('{% set x | upper | replace("A", "4") %}abc{% endset %}{{ x }}'),
  c(
    '{% set ns = namespace(found=false, count=0) %}{% for u in users %}{% if u.active %}{% set ns.count = ns.count + 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.count }}',
  ),
  c('{% set ns = namespace() %}{% set ns.items = [] %}{{ ns.items }}'),
  c('{% set ns = namespace(a=1) %}{{ ns.a }} {{ ns.b }}'),
  c('{% set x = 1 %}{% if t %}{% set x = 2 %}{% endif %}{{ x }}'),
  c('{% set name = "shadow" %}{{ name }}'),
  c('{% set l2 = items %}{{ l2.append(9) }}{{ items }}', { items: [1] }),
  c('{% set _ = d.update({"z": 26}) %}{{ d | dictsort | last }}', { d: { a: 1 } }),

  // ---- macros, call, caller ----
  c('{% macro hello(who) %}Hello {{ who }}!{% endmacro %}{{ hello("you") }} {{ hello(who="kw") }}'),
  c('{% macro m(a, b=2, c="x") %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(1, c="y") }}'),
  c('{% macro m(a) %}[{{ a }}]{% endmacro %}{{ m() }}'),
  c('{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}'),
  c('{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}'),
  c('{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, x=3) }}'),
  c('{% macro m(a, b=a) %}{{ a }}{{ b }}{% endmacro %}{{ m(5) }}'),
  c(
    '{% macro list(items) %}<ul>{% for i in items %}<li>{{ caller(i) }}</li>{% endfor %}</ul>{% endmacro %}{% call(x) list([1, 2]) %}item {{ x }}{% endcall %}',
  ),
  c('{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inside{% endcall %}'),
  c('{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}{% call wrap() %}deep{% endcall %}{% endcall %}'),
  c('{% macro m() %}{{ caller is defined }}{% endmacro %}{{ m() }}'),
  c('{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(4) }}'),
  c('{% macro m() %}{{ n }}{% endmacro %}{% set n = 99 %}{{ m() }}'),
  c('{% macro m() %}{% set inner = 1 %}{{ inner }}{% endmacro %}{{ m() }}[{{ inner }}]'),
  c('{% macro m(x) %}{{ x }}{% endmacro %}{{ m.name }} {{ m.arguments }}'),
  c('{% macro m() %}a\n  b{% endmacro %}{{ m() | indent(2) }}'),
  c('{% macro m(a) -%}\n  {{ a }}\n{%- endmacro %}[{{ m(1) }}]'),
  c(
    '{% macro peer(s) %}neighbor {{ s.ip }} remote-as {{ s.asn }}{% if s.md5 %} password {{ s.md5 }}{% endif %}{% endmacro %}{% for s in sessions %}{{ peer(s) }}\n{% endfor %}',
  ),
  c('{% macro m(a, b) %}{{ a }}-{{ b }}{% endmacro %}{{ m(*[1, 2]) }} {{ m(**{"a": 3, "b": 4}) }}'),
  c('{{ dict(a=1, b=2) }} {{ dict(x=none) }}'),

  // ---- include, import, from-import ----
  c('{% include "part.j2" %}', BASE_CONTEXT, undefined, LIB),
  c('{% for item in items %}{% include "part.j2" %} {% endfor %}', BASE_CONTEXT, undefined, LIB),
  c('{% include "part.j2" without context %}', BASE_CONTEXT, undefined, LIB),
  c('{% include "nope.j2" ignore missing %}ok', BASE_CONTEXT, undefined, LIB),
  c('{% include "nope.j2" %}', BASE_CONTEXT, undefined, LIB),
  c('{% include ["nope.j2", "part.j2"] %}', BASE_CONTEXT, undefined, LIB),
  c('{% set item = "set-item" %}{% include "part.j2" %}', BASE_CONTEXT, undefined, LIB),
  c('{% include "loopy.j2" %}|{% include "loopy.j2" %}', BASE_CONTEXT, undefined, LIB),
  c(
    '{% import "macros.j2" as m %}{{ m.peer("10.0.0.1") }} {{ m.peer("10.0.0.2", 65010) }} {{ m.version }}',
    BASE_CONTEXT,
    undefined,
    LIB,
  ),
  c('{% from "macros.j2" import peer, version as v %}{{ peer("x", asn=1) }} {{ v }}', BASE_CONTEXT, undefined, LIB),
  c('{% from "macros.j2" import nothere %}[{{ nothere }}]', BASE_CONTEXT, undefined, LIB),
  c('{% import "macros.j2" as m %}[{{ m._hidden }}]', BASE_CONTEXT, undefined, LIB),
  c('{% import "ctxmac.j2" as m %}[{{ m.show() }}]', BASE_CONTEXT, undefined, LIB),
  c('{% import "ctxmac.j2" as m with context %}[{{ m.show() }}]', BASE_CONTEXT, undefined, LIB),
  c('{% from "ctxmac.j2" import show with context %}[{{ show() }}]', BASE_CONTEXT, undefined, LIB),

  // ---- extends, block, super ----
  c('{% extends "base.j2" %}{% block body %}child-body{% endblock %}', BASE_CONTEXT, undefined, LIB),
  c(
    '{% extends "base.j2" %}{% block head %}{{ super() }}+child{% endblock %}ignored text',
    BASE_CONTEXT,
    undefined,
    LIB,
  ),
  c(
    '{% extends "mid.j2" %}{% block head %}top+{{ super() }}{% endblock %}{% block body %}{{ name }}{% endblock %}',
    BASE_CONTEXT,
    undefined,
    LIB,
  ),
  c('before{% extends "base.j2" %}after', BASE_CONTEXT, undefined, LIB),
  c(
    '{% set title = "T" %}{% extends "base.j2" %}{% block body %}{{ title }}{% endblock %}',
    BASE_CONTEXT,
    undefined,
    LIB,
  ),
  c(
    '{% extends "base.j2" %}{% set title = "late" %}{% block body %}{{ title }}{% endblock %}',
    BASE_CONTEXT,
    undefined,
    LIB,
  ),
  c('{% block a %}A{% block b %}B{% endblock %}{% endblock %}|{% block c %}{{ n }}{% endblock %}'),
  c('{% for i in items %}{% block loopblock scoped %}{{ i }}{% endblock %}{% endfor %}'),
  c('{% for i in items %}{% block loopblock %}[{{ i }}]{% endblock %}{% endfor %}'),
  c(
    '{% extends "base.j2" %}{% block body %}{% for s in sessions %}{{ s.asn }} {% endfor %}{% endblock %}',
    BASE_CONTEXT,
    undefined,
    LIB,
  ),
  c(
    '{% extends "base.j2" %}{% block body %}{% endblock %}{% block head %}{% endblock %}',
    BASE_CONTEXT,
    undefined,
    LIB,
  ),
  c('{% extends "missing.j2" %}', BASE_CONTEXT, undefined, LIB),

  // ---- with, filter blocks ----
  c('{% with a = 1, b = n %}{{ a + b }}{% endwith %}[{{ a }}]'),
  c('{% with %}{% set z = 1 %}{{ z }}{% endwith %}[{{ z }}]'),
  c('{% set a = 5 %}{% with a = 1, b = a %}{{ a }}{{ b }}{% endwith %}'),
  c('{% filter upper %}hello {{ name }}{% endfilter %}'),
  c('{% filter indent(4, true) %}line1\nline2{% endfilter %}'),
  c('{% filter replace("a", "b") | upper %}banana{% endfilter %}'),
  c('{% autoescape false %}{{ html }}{% endautoescape %}'),

  // ---- str methods ----
  c('{{ csv.split(",") }} {{ words.split() }} {{ words.split(" ", 2) }} {{ "  a  b ".split() }}'),
  c('{{ csv.rsplit(",", 1) }} {{ "a b c".rsplit(None, 1) }} {{ "x".split("x") }}'),
  c('{{ "-".join(["a", "b"]) }} {{ ", ".join(strs) }}'),
  c('{{ "-".join([1, 2]) }}'),
  c('{{ name.upper() }} {{ "ABC".lower() }} {{ words.title() }} {{ "hELLO".capitalize() }} {{ "aBc".swapcase() }}'),
  c('{{ name.startswith("ed") }} {{ name.endswith(("1", "2")) }} {{ name.startswith("x") }}'),
  c('{{ words.replace("the", "THE") }} {{ words.replace("o", "0", 2) }} {{ "aaa".replace("", "-") }}'),
  c('[{{ text.strip() }}] [{{ text.lstrip() }}] [{{ text.rstrip() }}] [{{ "xxhixx".strip("x") }}]'),
  c('{{ "{} and {}".format("a", "b") }} {{ "{1}{0}".format("a", "b") }} {{ "{name}!".format(name="kw") }}'),
  c('{{ "{:>8}|{:<6}|{:^7}|{:08.3f}|{:,}".format("r", "l", "c", pi, 1234567) }}'),
  c('{{ "{0[0]} {0[1]}".format(items) }} {{ "{u.name}".format(u=user) }} {{ "{:x}".format(255) }}'),
  c('{{ words.count("o") }} {{ words.find("quick") }} {{ words.find("zzz") }} {{ words.index("fox") }}'),
  c(
    '{{ "42".isdigit() }} {{ "4a".isdigit() }} {{ "abc".isalpha() }} {{ "abc".islower() }} {{ "ABC".isupper() }} {{ "  ".isspace() }}',
  ),
  c(
    '[{{ "ab".center(6) }}] [{{ "ab".ljust(5, ".") }}] [{{ "ab".rjust(5) }}] [{{ "42".zfill(5) }}] [{{ "-4".zfill(4) }}]',
  ),
  c('{{ "a.b.c".partition(".") }} {{ "a.b.c".rpartition(".") }} {{ "line1\nline2\r\nline3".splitlines() }}'),
  c('{{ "abc".removeprefix("a") }} {{ "abc".removesuffix("c") }} {{ "Hello World".istitle() }}'),
  c('{{ name.nosuchmethod }}'),
  c('{{ name.nosuchmethod() }}'),

  // ---- list/dict methods ----
  c(
    '{% set x = [3, 1] %}{{ x.index(1) }} {{ x.count(3) }} {% set _ = x.append(5) %}{{ x }} {% set _ = x.extend([6]) %}{{ x }} {{ x.pop() }} {{ x }}',
  ),
  c('{% set x = {"a": 1} %}{{ x.setdefault("b", 2) }} {{ x }} {{ x.pop("a") }} {{ x }} {{ x.copy() }}'),
  c('{% set x = [1, 2, 3] %}{% set _ = x.insert(0, 0) %}{% set _ = x.remove(2) %}{{ x }} {{ x.copy() }}'),

  // ---- tests ----
  c('{{ n is defined }} {{ missing is defined }} {{ missing is undefined }} {{ none is none }} {{ n is none }}'),
  c('{{ n is odd }} {{ n is even }} {{ 10 is divisibleby 5 }} {{ 10 is divisibleby(3) }} {{ 7.0 is odd }}'),
  c(
    '{{ n is number }} {{ half is number }} {{ t is number }} {{ n is integer }} {{ half is integer }} {{ half is float }} {{ 1.0 is float }} {{ t is integer }}',
  ),
  c(
    '{{ name is string }} {{ n is string }} {{ d is mapping }} {{ items is mapping }} {{ items is sequence }} {{ name is sequence }} {{ d is sequence }} {{ n is sequence }}',
  ),
  c('{{ items is iterable }} {{ n is iterable }} {{ name is iterable }} {{ missing is iterable }}'),
  c('{{ t is boolean }} {{ 1 is boolean }} {{ t is true }} {{ 1 is true }} {{ f is false }} {{ 0 is false }}'),
  c('{{ "abc" is lower }} {{ "aBc" is lower }} {{ "ABC" is upper }} {{ "12" is upper }}'),
  c(
    '{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 2 is gt 1 }} {{ 2 is greaterthan 3 }} {{ 1 is lt 2 }} {{ 1 is lessthan 0 }} {{ 2 is ge 2 }} {{ 2 is le 1 }} {{ 1 is ne 1 }}',
  ),
  c('{{ 1 is == 1 }} {{ 2 is != 1 }} {{ 2 is > 1 }} {{ 2 is >= 3 }} {{ 1 is < 2 }} {{ 1 is <= 0 }}'),
  c('{{ 2 is in items }} {{ "q" is in "quick" }} {{ "a" is in d }}'),
  c('{{ none is sameas none }} {{ t is sameas true }} {{ 1 is sameas 1 }}'),
  c('{{ "upper" is filter }} {{ "nofilter" is filter }} {{ "odd" is test }} {{ "notest" is test }}'),
  c(
    '{% macro m() %}{% endmacro %}{{ m is callable }} {{ n is callable }} {{ range is callable }} {{ name.upper is callable }}',
  ),
  c('{{ n is not defined }} {{ n is not odd }} {{ not n is odd }}'),
  c('{{ html is escaped }}'),
  c('{{ n is nosuchtest }}'),

  // ---- filters: strings ----
  c(
    '{{ name | upper }} {{ "ABC" | lower }} {{ words | title }} {{ "hello WORLD" | capitalize }} {{ "a-b c(d" | title }}',
  ),
  c('[{{ text | trim }}] [{{ "xxhixx" | trim("x") }}] [{{ name | center(10) }}] [{{ name | center(11) }}]'),
  c('{{ words | replace("the", "a") }} {{ words | replace("o", "0", 1) }}'),
  c(
    '{{ words | truncate(9) }}|{{ words | truncate(20) }}|{{ words | truncate(20, true) }}|{{ words | truncate(20, end="~") }}|{{ words | truncate(44) }}|{{ words | truncate(30, leeway=0) }}',
  ),
  c('{{ words | wordcount }} {{ "" | wordcount }} {{ "a-b c_d" | wordcount }}'),
  c('{{ words | wordwrap(10) }}'),
  c('{{ words | wordwrap(12, wrapstring="<br>") }}'),
  c('{{ "a very-long-hyphenated-word here" | wordwrap(10) }}'),
  c('{{ "supercalifragilistic" | wordwrap(5) }}|{{ "supercalifragilistic x" | wordwrap(5, false) }}'),
  c('{{ "line one\nline two is longer" | wordwrap(8) }}'),
  c('{{ "line1\nline2\n\nline4" | indent }}'),
  c('{{ "line1\nline2\n\nline4" | indent(2, first=true) }}'),
  c('{{ "line1\nline2\n\nline4" | indent(2, blank=true) }}'),
  c('{{ "a\nb" | indent("> ") }}|{{ "a\nb\n" | indent(1) }}|{{ "" | indent(3, true) }}'),
  c('{{ html | escape }} {{ html | e }} {{ html | forceescape }} {{ html | safe }}'),
  c('{{ html | striptags }} {{ "<p>a   <!-- c -->\n b</p>" | striptags }}'),
  c('{{ "%s = %d" | format("x", 5) }} {{ "%(a)s" | format(a="kw") }}'),
  c(
    '{{ "hello world & more/path" | urlencode }} {{ {"a": 1, "b c": "d&e"} | urlencode }} {{ [("x", 1), ("y", 2)] | urlencode }}',
  ),
  c('{{ unicode | urlencode }} {{ unicode | upper }} {{ unicode | length }}'),
  c('{{ 42 | string }} {{ none | string }} {{ [1, "a"] | string }} {{ 1.0 | string }}'),
  c('{{ "abc" | reverse }} {{ items | reverse | list }}'),
  c(
    '{{ 1000 | filesizeformat }} {{ 1 | filesizeformat }} {{ 999 | filesizeformat }} {{ 1500000 | filesizeformat }} {{ 2048 | filesizeformat(true) }} {{ 1e15 | filesizeformat }}',
  ),
  c('{{ {"class": "x", "id": none, "data-a": 1} | xmlattr }}|{{ {"a": "<b>"} | xmlattr(false) }}'),

  // ---- filters: numbers ----
  c(
    '{{ "42" | int }} {{ "42.9" | int }} {{ "x" | int }} {{ "x" | int(7) }} {{ "0x1A" | int(0, 16) }} {{ "ff" | int(base=16) }} {{ 3.99 | int }} {{ -3.99 | int }} {{ none | int }} {{ t | int }}',
  ),
  c('{{ " 12 " | int }} {{ "1_000" | int }} {{ "0b101" | int(base=2) }} {{ "12abc" | int }} {{ "" | int }}'),
  c(
    '{{ "3.5" | float }} {{ 3 | float }} {{ "x" | float }} {{ "x" | float(1.5) }} {{ "1e3" | float }} {{ " 2 " | float }} {{ none | float }}',
  ),
  c(
    '{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 0.125 | round(2) }} {{ 1.55 | round(1) }} {{ 42 | round }} {{ 42.4 | round(0, "ceil") }} {{ 42.6 | round(0, "floor") }} {{ -2.5 | round }}',
  ),
  c(
    '{{ pi | round(3) }} {{ pi | round(2, "ceil") }} {{ pi | round(2, "floor") }} {{ 1234.5678 | round(-2) }} {{ 7 | round(1) }}',
  ),
  c('{{ -5 | abs }} {{ -2.5 | abs }} {{ 3 | abs }} {{ -0.0 | abs }}'),
  c(
    '{{ items | sum }} {{ users | sum(attribute="age") }} {{ [0.5, 0.5] | sum }} {{ items | sum(start=10) }} {{ [] | sum }}',
  ),
  c(
    '{{ items | max }} {{ items | min }} {{ strs | max }} {{ strs | min }} {{ strs | max(case_sensitive=true) }} {{ users | max(attribute="age") }}',
  ),
  c('[{{ [] | max }}]'),

  // ---- filters: sequences ----
  c(
    '{{ items | join }} {{ items | join(", ") }} {{ users | join(", ", attribute="name") }} {{ [1, none, "a"] | join("|") }}',
  ),
  c('{{ items | first }} {{ items | last }} {{ name | first }} {{ name | last }} [{{ l | first }}] [{{ l | last }}]'),
  c('{{ items | length }} {{ name | length }} {{ d | length }} {{ items | count }} {{ missing | length }}'),
  c('{{ items | sort }} {{ items | sort(reverse=true) }} {{ strs | sort }} {{ strs | sort(case_sensitive=true) }}'),
  c(
    '{{ users | sort(attribute="age") | map(attribute="name") | join(",") }} {{ users | sort(attribute="age,name") | map(attribute="name") | join(",") }}',
  ),
  c(
    '{{ users | sort(attribute="name") | map(attribute="name") | list }} {{ users | sort(attribute="group", reverse=true) | map(attribute="name") | list }}',
  ),
  c('{{ [3, "a"] | sort }}'),
  c(
    '{{ strs | unique | list }} {{ strs | unique(case_sensitive=true) | list }} {{ users | unique(attribute="age") | map(attribute="name") | list }} {{ [1, 1.0, true, 2] | unique | list }}',
  ),
  c(
    '{{ d | dictsort }} {{ d | dictsort(reverse=true) }} {{ d | dictsort(by="value") }} {{ {"B": 1, "a": 2} | dictsort }} {{ {"B": 1, "a": 2} | dictsort(true) }}',
  ),
  c('{{ items | batch(2) | list }} {{ items | batch(2, "x") | list }} {{ range(7) | batch(3) | list }}'),
  c('{{ range(7) | slice(3) | list }} {{ range(7) | slice(3, "f") | list }} {{ items | slice(5) | list }}'),
  c('{{ items | list }} {{ name | list }} {{ d | list }} {{ (1, 2) | list }}'),
  c(
    '{{ users | map(attribute="name") | list }} {{ strs | map("upper") | list }} {{ items | map("string") | join }} {{ users | map(attribute="missing", default="?") | list }}',
  ),
  c('{{ ["1", "2"] | map("int") | sum }} {{ words.split() | map("truncate", 3, true, "") | list }}'),
  c(
    '{{ items | select("odd") | list }} {{ items | reject("odd") | list }} {{ [0, 1, "", "a", none] | select | list }} {{ items | select("gt", 1) | list }} {{ items | select(">", 1) | list }}',
  ),
  c(
    '{{ users | selectattr("active") | map(attribute="name") | list }} {{ users | rejectattr("active") | map(attribute="name") | list }}',
  ),
  c(
    '{{ users | selectattr("age", "gt", 26) | map(attribute="name") | list }} {{ users | selectattr("group", "equalto", "ops") | map(attribute="name") | join(",") }}',
  ),
  c(
    '{{ sessions | selectattr("family", "==", 6) | map(attribute="ip") | list }} {{ sessions | selectattr("md5") | list | length }} {{ sessions | rejectattr("md5", "none") | list | length }}',
  ),
  c('{{ users | selectattr("name", "in", ["bob", "dave"]) | list | length }}'),
  c(
    '{% for g in users | groupby("group") %}{{ g.grouper }}:{{ g.list | map(attribute="name") | join(",") }};{% endfor %}',
  ),
  c(
    '{% for grouper, list in users | groupby("group", case_sensitive=true) %}{{ grouper }}={{ list | length }} {% endfor %}',
  ),
  c('{% for g, s in sessions | groupby("asn") %}AS{{ g }}: {{ s | map(attribute="ip") | join(" ") }}\n{% endfor %}'),
  c('{{ users | groupby("age") | list }}'),
  c('{{ [{"a": 1}, {"b": 2}] | groupby("a", default=0) | map(attribute="grouper") | list }}'),
  c('{{ users | groupby("group") | map(attribute="grouper") | list }}'),
  c('{{ d | items | list }} {{ missing | items | list }}'),
  c('{{ users[0] | attr("name") }}|{{ d | attr("items") is defined }}'),
  c('{{ items | tojson }} {{ d | tojson }} {{ user | tojson }} {{ html | tojson }} {{ unicode | tojson }}'),
  c('{{ {"b": [1, 2.5, none, true], "a": "x"} | tojson(indent=2) }}'),
  c('{{ "str" | tojson }} {{ 1.0 | tojson }} {{ (1, 2) | tojson }} {{ {} | tojson(2) }} {{ [] | tojson(2) }}'),
  c(
    '{{ missing | default("dflt") }} {{ none | default("dflt") }} {{ none | default("dflt", true) }} {{ "" | default("dflt", boolean=true) }} {{ 0 | d("z", true) }} {{ n | default(0) }}',
  ),
  c('{{ user.missing | default("nested-default") }} {{ missing | default(missing2) }}|'),
  c('{{ users | map(attribute="asn") | map("string") | join(",") }}'),
  c('{{ sessions | map(attribute="group") | unique | list }}'),
  c('{{ nested | map("sum") | list }} {{ nested | map("first") | list }}'),
  c('{{ items | pprint }} {{ user | pprint }}'),
  c('{{ "x" | nosuchfilter }}'),

  // ---- globals ----
  c(
    '{% set c = cycler("a", "b") %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}{% set _ = c.reset() %}{{ c.next() }}',
  ),
  c('{% set j = joiner("|") %}{% for i in items %}{{ j() }}{{ i }}{% endfor %}'),
  c('{% set j = joiner() %}{{ j() }}{{ j() }}{{ j() }}'),
  c('{{ range(3) }} {{ range(0) | list }} {{ range(2, 4) | list }}'),
  c('{% set ns = namespace({"x": 1}, y=2) %}{{ ns.x }}{{ ns.y }}'),

  // ---- undefined handling ----
  c('[{{ missing }}] [{{ missing | upper }}] [{{ missing ~ "x" }}]'),
  c('{{ missing + 1 }}'),
  c('{{ missing() }}'),
  c('{% if missing %}x{% else %}y{% endif %}{% for x in missing %}z{% endfor %}{{ missing | list }}'),
  c('{{ missing == missing }} {{ missing is none }} {{ missing | string }}'),
  c('{{ missing }}', BASE_CONTEXT, STRICT),
  c('{{ missing is defined }} {{ missing | default("d") }}', BASE_CONTEXT, STRICT),
  c('{% if missing %}x{% endif %}', BASE_CONTEXT, STRICT),
  c('{% for i in missing %}x{% endfor %}', BASE_CONTEXT, STRICT),
  c('{{ user.missing }}', BASE_CONTEXT, STRICT),
  c('{{ user.missing is defined }} {{ user.name }}', BASE_CONTEXT, STRICT),
  c('{{ missing ~ "x" }}', BASE_CONTEXT, STRICT),
  c('{{ missing | length }}', BASE_CONTEXT, STRICT),
  c('{% if missing is defined and missing %}x{% else %}safe{% endif %}', BASE_CONTEXT, STRICT),
  c('{{ n if f }}', BASE_CONTEXT, STRICT),
  c('{{ "%s" % missing }}'),
  c('{{ missing.attr is defined }}'),

  // ---- syntax errors (both must fail) ----
  c('{% if %}'),
  c('{% for x in %}{% endfor %}'),
  c('{{ 1 + }}'),
  c('{% if t %}unclosed'),
  c('{% endif %}'),
  c('{% bogus %}'),
  c('{{ "unterminated }}'),
  c('{{ (1, 2 }}'),
  c('{% set 1 = 2 %}'),
  c('{% macro m(a=1, b) %}{% endmacro %}'),
  c('{% block a %}{% endblock %}{% block a %}{% endblock %}'),
  c('{# unclosed comment'),
  c('{{ x | }}'),
  c('{% for %}'),

  // ---- realistic config snippets ----
  c(
    'protocols {\n    bgp {\n{% for g, ss in sessions | groupby("group") %}\n        group {{ g }} {\n{% for s in ss %}\n            neighbor {{ s.ip }} {\n                peer-as {{ s.asn }};\n{% if s.md5 %}\n                authentication-key "{{ s.md5 }}";\n{% endif %}\n{% if s.bfd %}\n                bfd-liveness-detection minimum-interval 300;\n{% endif %}\n            }\n{% endfor %}\n        }\n{% endfor %}\n    }\n}\n',
    BASE_CONTEXT,
    BOTH,
  ),
  c(
    'router bgp {{ big }}\n{% for s in sessions if s.family == 4 %}\n neighbor {{ s.ip }} remote-as {{ s.asn }}\n neighbor {{ s.ip }} maximum-prefix {{ s.max }} {{ (s.max * 0.9) | int }}\n{% endfor %}\n',
    BASE_CONTEXT,
    TRIM,
  ),
  c(
    '{% for s in sessions %}\n{%- set fam = "ipv4" if s.family == 4 else "ipv6" %}\n{{ fam }} {{ s.ip }}{{ " bfd" if s.bfd }}\n{%- endfor %}',
  ),
  c(
    '{% set groups = sessions | map(attribute="group") | unique | list %}{% for g in groups | sort %}group {{ g }} sessions={{ sessions | selectattr("group", "eq", g) | list | length }}\n{% endfor %}',
    BASE_CONTEXT,
    TRIM,
  ),
  c(
    '{%- for u in users | sort(attribute="asn", reverse=true) %}\n{{ "%-8s AS%d" | format(u.name, u.asn) }}\n{%- endfor %}',
  ),
  c(
    'prefix-list {{ name | upper }}-IN\n{% for p in ["192.0.2.0/24", "198.51.100.0/24"] %}\n  seq {{ loop.index * 5 }} permit {{ p }}\n{% endfor %}',
    BASE_CONTEXT,
    BOTH,
  ),
  c(
    '{% for s in sessions %}{% set parts = s.ip.split(":") if ":" in s.ip else s.ip.split(".") %}{{ parts | length }} {% endfor %}',
  ),
  c('{{ sessions | map(attribute="max") | max }} {{ sessions | map(attribute="max") | sum / (sessions | length) }}'),
  c('{{ (users | selectattr("active") | list | length / users | length * 100) | round(1) }}%'),
  c('{{ "%s" | format(sessions | length) }} {{ sessions | length is divisibleby 2 }}'),
];

/** More cases generated systematically: every option combination over a whitespace-heavy template. */
const WS_TEMPLATES = [
  '{% for i in items %}\n  {{ i }}\n{% endfor %}\n',
  '  {% if t %}\n    yes\n  {% else %}\n    no\n  {% endif %}\nend\n',
  'a\n  {#- c #}\n  {% set x = 1 %}\n  {{ x }}\n',
  '{% macro m() %}\n  body\n{% endmacro %}\n{{ m() }}\n',
  '<{% for i in items -%}\n {{ i }}\n {%- endfor %}>\n',
  '{% raw %}\n  {{ raw }}\n{% endraw %}\n',
  '  {%- if t %}\n\tx\n  {%+ endif %}\n',
  '{% for s in sessions %}\n  {% if s.bfd %}\n  bfd {{ s.ip }}\n  {% endif %}\n{% endfor %}\n',
];
for (const tpl of WS_TEMPLATES) {
  for (const opts of [
    undefined,
    TRIM,
    LSTRIP,
    BOTH,
    KEEP,
    { trimBlocks: true, lstripBlocks: true, keepTrailingNewline: true },
  ]) {
    CASES.push(c(tpl, BASE_CONTEXT, opts));
  }
}

/** Python value printing over a grid of expressions. */
for (const expr of [
  '1 / 1',
  '2 ** 0.5',
  '10 ** 15',
  '10 ** 16',
  '10.0 ** 16',
  '1 / 8',
  '1 / 3 * 3',
  '0.1 * 0.1',
  '-0.0',
  '3 % -2',
  '-3 % 2',
  '3.5 % 1',
  '7 // 2.0',
  '2 ** 62',
  '1e-4',
  '1.5e-5',
  '123.0',
  'half // 1',
  'pi * 1000',
  'n / 2',
  'n // 2',
  'n % 3',
  'big * 2',
  'neg // 2',
  'neg % 5',
  '"a" * 0',
  '[0] * 3',
  '(1, 2) + (3,)',
  'items + items',
  '"%.3f" % pi',
  '"%10.4s|" % "abcdefg"',
  '"%c" % 65',
  '"%5s" % none',
]) {
  CASES.push(c(`{{ ${expr} }}`));
}

/** Formatting, rounding and scoping corners found while probing against Jinja2. */
const PROBE_CONTEXT = {
  items: [3, 1, 2],
  d: { a: 1, b: 2 },
  s: 'Hello',
  n: 5,
  users: [{ name: 'a', x: null }, { name: 'b' }],
};
for (const tpl of [
  '{% for i in items %}{% for j in items %}{{ loop.index }}{{ loop.previtem is defined }}{% endfor %}|{% endfor %}',
  '{% set x = [] %}{% for i in items %}{% set _ = x.append(i * 2) %}{% endfor %}{{ x | sum }}',
  '{{ users | map(attribute="x") | list }}',
  '{{ users | selectattr("x", "none") | list | length }}',
  '{{ "%s" % (1, 2) }}',
  '{{ "%s %s" % [1, 2] }}',
  '{{ d | dictsort(false, "value", true) }}',
  '{{ s[::2] }} {{ s[-100:2] }} {{ s | batch(2) | list }}',
  '{{ items | map("add", 1) | list }}',
  '{% macro m() %}{{ kwargs.a }}{% endmacro %}{{ m(a=1) }}',
  '{{ 1 if 0 else 2 if 0 else 3 }}',
  '{{ not 1 == 2 }} {{ -1 ** 2 }} {{ (not 1) == 0 }}',
  '{% set a = 1 %}{% macro m() %}{% set a = 2 %}{{ a }}{% endmacro %}{{ m() }}{{ a }}',
  '{{ [1, 2, 3] | select("in", [1, 3]) | list }}',
  '{{ "a,b" | replace(",", "\\n") | indent(2, true) }}',
  '{{ 10 | string | length }} {{ "%.0f" % 2.5 }} {{ "%.0f" % 3.5 }} {{ "{:.0f}".format(2.5) }}',
  '{{ 0.1 | round(1) }} {{ 1.005 | round(2) }} {{ 2.345 | round(2) }} {{ 123 | round(-1) }} {{ 125 | round(-1) }}',
  '{{ "x" ~ 1.0 ~ 2.50 }} {{ 1e-5 | string }} {{ 3.0e0 }}',
  '{% for k, v in {"z": 1, "a": 2}.items() | sort %}{{ k }}{% endfor %}',
  '{{ {"a": 1} | tojson(2) }} {{ [[1, 2], {"k": [3]}] | tojson(indent=1) }}',
  '{{ "abc" | center(8) }}|{{ "abc" | center(9) }}|',
  '{{ "Hello World Foo" | truncate(11) }} {{ "Hello" | truncate(3, end="") }}',
  '{% filter upper %}{% for i in items %}{{ i }}a{% endfor %}{% endfilter %}',
  '{{ users | groupby("x") | list }}',
  '{{ ("a", 1) in [("a", 1)] }} {{ {"a": 1} in [{"a": 1}] }}',
  '{{ items | sort | first }} {{ items | sort(reverse=true) | last }}',
  '{% for i in range(10) | batch(3) %}{{ i | join(",") }};{% endfor %}',
  '{% set t = (1, 2) %}{{ t + (3,) }} {{ t * 2 }} {{ t | list }} {{ t[0] }}',
  '{{ 7 / 2 | int }} {{ (7 / 2) | int }} {{ -7 // 2.0 }}',
  '{% set d2 = dict(d) %}{% set _ = d2.update(c=3) %}{{ d2 }} {{ d }}',
  '{{ "  x  " | trim | length }} {{ "--x--" | trim("-") }}',
  '{{ [none, 1] | reject("none") | list }} {{ [1, 2, 3, 4] | select("divisibleby", 2) | list }}',
  '{{ users | sum(attribute="missing") if false else "skip" }}',
  '{% if items | length > 2 and "e" in s %}ok{% endif %}',
  '{{ s.split("l") }} {{ s.lower().count("l") }} {{ s.replace("l", "L", 1) }}',
  '{{ "{:5d}|{:<5d}|{:^5}|{:+.1f}|{:e}|{:%}".format(42, 42, "x", 2.25, 12345.6789, 0.25) }}',
  '{{ "{0:{1}}".format("x", 5) }}|{{ "{:{}}".format(1, 4) }}|',
  '{{ "%-10s|%10.3f|%+05d" | format("ab", -1.23456, 42) }}',
  '{{ 1000000 | filesizeformat(true) }} {{ 1023 | filesizeformat(true) }}',
  '{{ 255 | string | int(base=16) }}',
]) {
  CASES.push(c(tpl, PROBE_CONTEXT));
}
