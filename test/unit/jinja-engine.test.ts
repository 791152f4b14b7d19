import { describe, expect, it } from 'vitest';
import { evalCondition, evaluate, missingNames, OMIT, renderString, renderValue, TemplateError } from '../../src/playbook/template.js';

/** Engine behaviour the Ansible table does not cover: errors, scoping, caching, native values, API edges. */
const err = (f: () => unknown): TemplateError => {
  try {
    f();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('syntax errors name the place and what is wrong', () => {
  it.each([
    ['{% if x %}a', /missing \{% endif %\}/],
    ['a{% endfor %}', /unexpected \{% endfor %\}/],
    ['{% include "x.j2" %}', /\{% include %\} is not supported/],
    ['{{ 1 + }}', /unexpected "\}\}"|expected/],
    ['{{ x', /unclosed tag/],
    ['{# x', /unclosed comment/],
    ['{{ "abc }}', /unclosed string literal/],
    ['{{ x | }}', /expected a name/],
    ['{{ f(a=1, 2) }}', /positional argument follows a keyword argument/],
    ['{% for %}{% endfor %}', /expected a name/],
    ['{{ x @ y }}', /unexpected character "@"/],
  ])('%s', (tpl, msg) => {
    const e = err(() => renderString(tpl, { x: 1 }));
    expect(e.message).toMatch(msg);
    expect(e.undefinedNames).toEqual([]);
  });

  it('with line and column in a .j2 file', () => {
    const e = err(() => renderString('line one\n{% for x in xs %}\n  {{ x | nosuchfilter }}\n{% endfor %}\n', { xs: [1] }, { file: true }));
    expect([e.line, e.col]).toEqual([3, 8]);
    expect(e.message).toContain('line 3, col 8: "  {{ x | nosuchfilter }}": no filter named "nosuchfilter"');
  });

  it('errors from deep inside a filter are TemplateErrors too', () => {
    expect(err(() => renderString('{{ "a" | regex_replace("(", "") }}', {})).message).toMatch(/invalid regular expression "\("/);
    expect(err(() => renderString('{{ "a" | hash("nosuch") }}', {})).message).toMatch(/template error/);
    expect(err(() => renderString('{{ 1 / 0 }}', {})).message).toMatch(/division by zero/);
    expect(err(() => renderString('{{ "a" + 1 }}', {})).message).toMatch(/unsupported operand types for \+: str and int/);
    expect(err(() => renderString('{{ "a" < 1 }}', {})).message).toMatch(/cannot compare str with int/);
  });
});

describe('missingNames reads the template, not a guess', () => {
  it('free names only: not loop variables, set names, macro parameters, filters, tests or globals', () => {
    expect(missingNames('{% for x in xs %}{{ x }}{{ loop.index }}{{ y }}{% endfor %}', { xs: [] })).toEqual(['y']);
    expect(missingNames('{% set a = 1 %}{{ a }}{{ b | default(c) }}{{ range(3) | list }}', {})).toEqual(['b', 'c']);
    expect(missingNames('{% macro m(p) %}{{ p }}{{ w }}{% endmacro %}{{ m(1) }}', {})).toEqual(['w']);
    expect(missingNames('{{ "x" is match("y") }} {{ "lit" }} {{ omit }}', {})).toEqual([]);
    expect(missingNames('a.b == 1 and c is defined', { a: {} })).toEqual(['c']);
  });
});

describe('native values', () => {
  const vars = { m: { a: { b: [1, 2] } }, n: 3, s: 'x', none: null };
  it('a lone expression keeps its type, whatever braces it contains', () => {
    expect(renderValue('{{ {"a": {"b": 1}} }}', {})).toEqual({ a: { b: 1 } });
    expect(renderValue('{{ m.a }}', vars)).toBe(vars.m.a);
    expect(renderValue('{{- n -}}', vars)).toBe(3);
    expect(renderValue('{{ none }}', vars)).toBeNull();
    expect(renderValue('{{ n }}{{ s }}', vars)).toBe('3x');
    expect(renderValue('{% if n %}{{ n }}{% endif %}', vars)).toBe('3');
    expect(evaluate('m.a.b | length', vars)).toBe(2);
  });

  it('omit drops a key or a list item, and only there', () => {
    expect(renderValue({ a: '{{ omit }}', b: ['{{ omit }}', 1], c: 'x{{ omit }}' }, { omit: OMIT })).toEqual({ b: [1], c: `x${OMIT}` });
    // `omit` is always defined, as in Ansible, even where vars do not carry it.
    expect(renderValue({ a: '{{ nothere | default(omit) }}' }, {})).toEqual({});
  });

  it('a function, an undefined value or a value only a Proxy can hold never leaves the template', () => {
    expect(err(() => renderValue('{{ range }}', {})).message).toMatch(/range is a function/);
    expect(err(() => renderValue('{{ {"a": nothere} }}', {})).undefinedNames).toEqual(['nothere']);
    expect(err(() => renderString('{{ hv }}', { hv: new Proxy({}, {}) })).message).toMatch(/cannot be printed/);
  });
});

describe('when:', () => {
  it('a list is all of them; braces are allowed; a boolean is itself', () => {
    expect(evalCondition(['a == 1', '{{ b }}'], { a: 1, b: 'x' })).toBe(true);
    expect(evalCondition(['a == 1', 'b == "y"'], { a: 1, b: 'x' })).toBe(false);
    expect(evalCondition(true, {})).toBe(true);
    expect(err(() => evalCondition(['a == 1', 'nothere'], { a: 1 })).undefinedNames).toEqual(['nothere']);
    // Python escapes apply in conditions (Ansible wraps them in {% if %}, not {{ }}).
    expect(evalCondition('v is match("10\\\\.0")', { v: '10.0.0.1' })).toBe(true);
    expect(evalCondition('v is match("10\\\\.0")', { v: '1000' })).toBe(false);
  });
});

describe('scoping and caching', () => {
  it('a set in a for or a macro stays inside; a macro sees the template vars', () => {
    expect(renderString('{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}', {})).toBe('1');
    expect(renderString('{% macro m(a, b=2) %}{% set x = 9 %}{{ a }}{{ b }}{{ g }}{% endmacro %}{{ m(1) }}{{ m(b=3, a=4) }}{{ x | default("-") }}', { g: 'G' })).toBe('12G43G-');
    expect(err(() => renderString('{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}', {})).message).toMatch(/undefined variable "a" \(macro m\(\) was called without it\)/);
    expect(err(() => renderString('{% macro m(a) %}{% endmacro %}{{ m(z=1) }}', {})).message).toMatch(/has no argument "z"/);
  });

  it('a template parsed once renders against each call\'s vars', () => {
    const t = '{{ host }}:{% for p in ports %}{{ p }}{% if not loop.last %},{% endif %}{% endfor %}';
    expect(renderString(t, { host: 'a', ports: [1, 2] })).toBe('a:1,2');
    expect(renderString(t, { host: 'b', ports: [3] })).toBe('b:3');
    expect(err(() => renderString(t, { host: 'c' })).undefinedNames).toEqual(['ports']);
  });

  it('loop helpers', () => {
    expect(renderString('{% for x in "abc" %}{{ loop.cycle("o", "e") }}{{ loop.previtem | default("^") }}{{ loop.revindex0 }}{% endfor %}', {})).toBe('o^2ea1ob0');
  });
});

describe('Python details', () => {
  it.each([
    ['{{ "%-5s|%5s|%05d|%.3f|%x|%d%%" % ("ab", "cd", 42, 2.5, 255, 7) }}', 'ab   |   cd|00042|2.500|ff|7%'],
    ['{{ "%(a)s-%(b)s" % {"a": 1, "b": "x"} }}', '1-x'],
    ['{{ "{:>5}|{:<3}|{:^5}|{:03d}|{name}".format("a", "b", "c", 7, name="n") }}', '    a|b  |  c  |007|n'],
    ['{{ [0, 1, 2, 3, 4][1:-1] }}{{ [0, 1, 2, 3, 4][::2] }}{{ "hello"[-3:] }}{{ [0, 1, 2][5:] }}', '[1, 2, 3][0, 2, 4]llo[]'],
    ['{{ "a  b c".split() }}{{ "a,b,c".split(",", 1) }}{{ "xxaxx".strip("x") }}{{ "a" ~ none }}', "['a', 'b', 'c']['a', 'b,c']aaNone"],
    ['{{ 1 == 1.0 }}{{ true == 1 }}{{ [1, [2]] == [1, [2]] }}{{ {"a": 1} == {"a": 1} }}{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}', 'TrueTrueTrueTrueTrueFalse'],
    ['{{ "a" "b" }}{{ \'\\x41\\u00e9\' }}{{ (1,) }}{{ () }}', "abAé(1,)()"],
    ['{{ "a" | regex_replace("a", "$1\\\\\\\\") }}{{ "ab" | regex_replace("(?P<x>a)", "\\\\g<x>\\\\g<x>") }}', '$1\\aab'],
    ['{{ {"a": 1} | ansible.builtin.to_json }}{{ "x" is ansible.builtin.match("x") }}', '{"a": 1}True'],
    ['{{ "é\\n" | to_json }}', '"\\u00e9\\n"'],
  ])('%s', (tpl, out) => {
    expect(renderString(tpl, {}, { file: true })).toBe(out);
  });
});

describe('hostile templates', () => {
  it('deep nesting is a TemplateError with a short message, not a crash', () => {
    for (const tpl of ['{{ ' + '('.repeat(20000) + '1' + ')'.repeat(20000) + ' }}', '{% if 1 %}'.repeat(5000) + 'x' + '{% endif %}'.repeat(5000), `{{ 1${'+1'.repeat(100000)} }}`]) {
      const e = err(() => renderString(tpl, {}));
      expect(e.message).toMatch(/too deeply nested or recursive/);
      expect(e.message.length).toBeLessThan(300);
    }
  });
});
