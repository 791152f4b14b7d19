import { afterAll, describe, expect, it } from 'vitest';
import { evalCondition, renderString, renderValue, TemplateError } from '../../src/playbook/template.js';

/**
 * The known ways out of a JavaScript or Python template engine. Each payload would set globalThis.__pwned
 * (or pollute Object.prototype) if it ran; each must instead fail with a TemplateError.
 */
const RUN = 'globalThis.__pwned = 1; return process';
const payloads: string[] = [
  `{{ range.constructor("${RUN}")() }}`,
  `{{ cycler.constructor("${RUN}")() }}`,
  `{{ joiner.constructor("${RUN}")() }}`,
  `{{ "".constructor.constructor("${RUN}")() }}`,
  `{{ "".split.constructor("${RUN}")() }}`,
  `{{ [].__proto__ }}`,
  `{{ [].constructor }}`,
  `{{ {}.constructor }}`,
  `{{ {}.constructor.constructor("${RUN}")() }}`,
  `{{ lipsum.__globals__ }}`,
  `{{ lipsum.__globals__.os.popen("id").read() }}`,
  `{{ self._TemplateReference__context }}`,
  `{{ self.__init__.__globals__.__builtins__ }}`,
  `{{ ''.__class__.__mro__[1].__subclasses__() }}`,
  `{{ ''.__class__ }}`,
  `{{ x.toString }}`,
  `{{ x.toString() }}`,
  `{{ x.valueOf() }}`,
  `{{ d.hasOwnProperty("a") }}`,
  `{{ d["constructor"]["constructor"]("${RUN}")() }}`,
  `{{ d["__proto__"] }}`,
  `{{ d.prototype }}`,
  `{{ d | attr("constructor") }}`,
  `{{ [d] | map(attribute="constructor") | first }}`,
  `{{ [d] | map(attribute="__proto__.polluted") | first }}`,
  `{% for i in [1] %}{{ loop.constructor("${RUN}")() }}{% endfor %}`,
  `{% for i in [1] %}{{ loop.cycle.constructor("${RUN}")() }}{% endfor %}`,
  `{% set f = range.constructor %}{{ f("${RUN}")() }}`,
  `{% macro m() %}{% endmacro %}{{ m.constructor("${RUN}")() }}`,
  `{{ dict.constructor("${RUN}")() }}`,
  `{{ lookup.call(none, "x") }}`,
  `{{ lookup("pipe", "touch /tmp/pwned") }}`,
  `{{ query("env", "HOME") }}`,
  `{{ process.mainModule.require("child_process") }}`,
  `{{ globalThis }}`,
  `{{ require("fs") }}`,
  `{{ this }}`,
  `{{ fn() }}`,
  `{{ date.getTime() }}`,
  `{{ hostvars.constructor }}`,
  `{{ hostvars.__proto__ }}`,
  `{{ hostvars.web1.__proto__ }}`,
  `{{ hostvars.web1.fn() }}`,
  `{{ "{0.__class__}".format(x) }}`,
  `{{ "{0.constructor.name}".format(x) }}`,
  `{{ "{0[__proto__]}".format(d) }}`,
  `{{ "{.constructor}".format(d) }}`,
  `{{ "%s" % x.constructor }}`,
  `{{ "%(constructor)s" % d }}`,
  `{{ ("a" ~ "").constructor }}`,
  `{{ (1).constructor }}`,
  `{{ 1 .constructor }}`,
  `{{ true.constructor }}`,
  `{{ none.constructor }}`,
  `{{ "abc".at.constructor }}`,
  `{{ "abc".concat("d") }}`,
  `{{ [1].map("x") }}`,
  `{{ x | map("constructor") | list }}`,
  `{{ [1] | select("constructor") | list }}`,
  `{{ 1 is constructor }}`,
  `{{ x.__getattribute__("a") }}`,
];

const seen: string[] = [];
const hostvars = new Proxy(
  {},
  {
    get: (_t, k) => {
      seen.push(`get ${String(k)}`);
      return k === 'web1' ? { name: 'web1', fn: () => ((globalThis as any).__pwned = 1) } : undefined;
    },
    apply: () => ((globalThis as any).__pwned = 1),
    ownKeys: () => (seen.push('ownKeys'), []),
    getOwnPropertyDescriptor: () => (seen.push('getOwnPropertyDescriptor'), undefined),
  },
);
const vars = () => ({
  x: 'str',
  d: { a: 1 },
  fn: () => ((globalThis as any).__pwned = 1),
  date: new Date(0),
  hostvars,
});

afterAll(() => {
  delete (globalThis as any).__pwned;
});

describe('the template sandbox', () => {
  it.each(payloads)('%s fails with a TemplateError and runs nothing', (p) => {
    expect(() => renderString(p, vars())).toThrow(TemplateError);
    expect(() => renderValue(p, vars())).toThrow(TemplateError);
    expect((globalThis as any).__pwned).toBeUndefined();
  });

  it('in when: too', () => {
    expect(() => evalCondition(`range.constructor("${RUN}")()`, vars())).toThrow(TemplateError);
    expect(() => evalCondition(`x.constructor is defined and x.constructor("${RUN}")()`, vars())).not.toThrow();
    expect(evalCondition('x.constructor is defined', vars())).toBe(false);
    expect((globalThis as any).__pwned).toBeUndefined();
  });

  it('a __proto__ key reaches no prototype: templates cannot see it, so combine does not copy it', () => {
    const out = renderValue('{{ {"__proto__": {"polluted": 1}} | combine(\'{"__proto__": {"polluted": 2}}\' | from_json, recursive=true) }}', {}) as object;
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as any).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(out)).toEqual([]);
    expect(renderString('{{ \'{"__proto__": 1, "a": 2}\' | from_json }}', {})).toBe("{'a': 2}");
  });

  it('hostvars (a Proxy) is read by key and nothing else', () => {
    seen.length = 0;
    expect(renderString('{{ hostvars.web1.name }} {{ hostvars["web1"]["name"] }}', vars())).toBe('web1 web1');
    expect(renderString('{{ hostvars.db9 is defined }}', vars())).toBe('False');
    expect(() => renderString('{{ hostvars.db9.name }}', vars())).toThrow(/undefined variable "hostvars.db9"/);
    expect(seen).toEqual(['get web1', 'get web1', 'get db9', 'get db9']);
  });

  it('still gives every template a bounded amount of work', () => {
    expect(() => renderString('{{ range(10 ** 9) | list }}', {})).toThrow(/range\(\) of 1000000000 items/);
    expect(() => renderString('{{ "x" * 100000000 }}', {})).toThrow(/longer than/);
    expect(() => renderString('{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}', {})).toThrow(/more than 5000000 loop iterations/);
    expect(() => renderString('{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}', {})).toThrow(TemplateError);
  });

  it('with the methods playbooks use still there', () => {
    expect(renderString('{{ x.upper() }} {{ d.items() | list }} {{ [3, 1].index(1) }} {{ "a-b".split("-") }}', vars())).toBe("STR [('a', 1)] 1 ['a', 'b']");
  });
});
