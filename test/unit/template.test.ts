import { describe, expect, it } from 'vitest';
import { evalCondition, missingNames, OMIT, renderString, renderValue, TemplateError } from '../../src/playbook/template.js';
import { resolveScope } from '../../src/playbook/vars.js';

describe('templating (Jinja2, Ansible semantics)', () => {
  const vars = { vip: '198.51.100.10', port: 80, rs: [{ name: 'a', w: 1 }, { name: 'b', w: 3 }], on: 'yes', empty: '' };

  it('keeps the native type of a value that is exactly one expression', () => {
    expect(renderValue('{{ port }}', vars)).toBe(80);
    expect(renderValue('{{ rs }}', vars)).toEqual(vars.rs);
    expect(renderValue('  {{ rs | map(attribute="w") | list }} ', vars)).toEqual([1, 3]);
    expect(renderValue('{{ vip }}:{{ port }}', vars)).toBe('198.51.100.10:80');
  });

  it('renders deeply and drops parameters set to omit', () => {
    expect(renderValue({ a: ['{{ port + 1 }}'], b: '{{ nothing | default(omit) }}', c: 'x' }, { ...vars, omit: OMIT })).toEqual({ a: [81], c: 'x' });
  });

  it('evaluates when: conditions as Ansible does', () => {
    expect(evalCondition('on | bool', vars)).toBe(true);
    expect(evalCondition(['port == 80', 'vip is match("198\\\\.")'], vars)).toBe(true);
    expect(evalCondition('port > 80', vars)).toBe(false);
    expect(evalCondition('missing is defined', vars)).toBe(false);
    expect(evalCondition('{{ port == 80 }}', vars)).toBe(true);
    expect(evalCondition(false, vars)).toBe(false);
  });

  it('reports undefined variables by name', () => {
    expect(() => renderValue('{{ vpi }}', vars)).toThrow(TemplateError);
    try {
      renderValue('x {{ vpi }} y', vars);
    } catch (e) {
      expect((e as TemplateError).undefinedNames).toEqual(['vpi']);
      expect((e as Error).message).toMatch(/undefined variable "vpi"/);
    }
    expect(missingNames('{{ a | default(b) }} {{ "lit" }} {{ vip }}', vars)).toEqual(['a', 'b']);
  });

  it('has the Ansible filters operators reach for', () => {
    expect(renderString('{{ "a,b" | regex_replace(",", ";") }}', {})).toBe('a;b');
    expect(renderValue('{{ [3,1,3] | unique }}', {})).toEqual([3, 1]);
    expect(renderValue('{{ {"a": 1} | combine({"b": 2}) }}', {})).toEqual({ a: 1, b: 2 });
    expect(renderValue('{{ rs | selectattr("w", "gt", 1) | map(attribute="name") | list }}', vars)).toEqual(['b']);
    expect(renderString('{{ "it\'s" | quote }}', {})).toBe(`'it'\\''s'`);
    expect(renderValue('{{ "10.0.0.1/24" | ipaddr("address") }}', {})).toBe('10.0.0.1');
    expect(renderValue('{{ "true" | bool }}', {})).toBe(true);
    expect(renderValue('{{ "42" | int + 1 }}', {})).toBe(43);
  });
});

describe('variable scopes', () => {
  it('later layers win and variables may refer to each other in any order', () => {
    const { vars, broken } = resolveScope([{ a: 1, net: '10.0.0' }, { vip: '{{ net }}.{{ last }}', last: '{{ a + 9 }}' }, { a: 2 }]);
    expect(vars.vip).toBe('10.0.0.11');
    expect(vars.last).toBe(11);
    expect(broken.size).toBe(0);
  });

  it('keeps the reason a variable could not be resolved', () => {
    const { vars, broken } = resolveScope([{ x: '{{ nope }}', y: 1 }]);
    expect(vars.x).toBeUndefined();
    expect(vars.y).toBe(1);
    expect(broken.get('x')?.message).toMatch(/variable "x": undefined variable "nope"/);
  });

  it('magic variables cannot be overridden by inventory', () => {
    const { vars } = resolveScope([{ inventory_hostname: 'evil' }], { inventory_hostname: 'web1' });
    expect(vars.inventory_hostname).toBe('web1');
  });
});

describe('when: truth is Jinja2 truth', () => {
  it('a non-empty string, list or mapping is true; empty ones and none are false', () => {
    const v = { gw: '192.0.2.1', none: null, list: [], map: {}, full: [1], s: '' };
    expect(evalCondition('gw', v)).toBe(true);
    expect(evalCondition('s', v)).toBe(false);
    expect(evalCondition('none', v)).toBe(false);
    expect(evalCondition('list', v)).toBe(false);
    expect(evalCondition('map', v)).toBe(false);
    expect(evalCondition('full', v)).toBe(true);
    expect(evalCondition('"no" | bool', v)).toBe(false);
  });
});
