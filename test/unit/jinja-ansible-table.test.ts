import { describe, expect, it } from 'vitest';
import { evalCondition, OMIT, renderString, renderValue, TemplateError } from '../../src/playbook/template.js';
import { ERROR, OMIT_OUT, rows, type Row } from './jinja-ansible-table.data.js';

/** What lvsible does with a row, in the terms the table records Ansible's answer in. */
export function ours(r: Row): unknown {
  const vars = { ...(r.vars ?? {}) };
  try {
    if (r.kind === 'text') {
      const s = renderString(r.tpl, vars);
      return s === OMIT ? OMIT_OUT : s;
    }
    if (r.kind === 'file') return renderString(r.tpl, vars, { file: true });
    if (r.kind === 'value') return renderValue(r.tpl, vars);
    if (r.kind === 'when') return evalCondition(r.tpl, vars) ? 'ran' : 'skipped';
    const items = renderValue(r.tpl, vars);
    if (!Array.isArray(items)) return ERROR;
    return items.map((item) => renderValue('{{ item }}', { ...vars, item }));
  } catch (e) {
    if (e instanceof TemplateError) return ERROR;
    throw e;
  }
}

describe('templates behave as in Ansible (ansible-core 2.14, recorded)', () => {
  it.each(rows.map((r, i) => [i, r.kind, r.tpl, r] as const))('row %i %s %s', (_i, _k, _t, r) => {
    expect(ours(r)).toEqual(r.out);
  });

  it('an undefined variable is named, exactly, in the error', () => {
    const d = { a: 1 };
    const cases: Array<[() => unknown, string]> = [
      [() => renderString('x {{ nothere ~ "x" }}', {}), 'nothere'],
      [() => renderString('{{ d.nothere }}', { d }), 'd.nothere'],
      [() => renderString('{{ lvs_director.vips[3] }}', { lvs_director: { vips: [] } }), 'lvs_director.vips[3]'],
      [() => renderString('{{ nothere.deeper.still }}', {}), 'nothere'],
      [() => evalCondition('d.a == 1 and other', { d }), 'other'],
      [() => renderValue('{{ [1, gone] }}', {}), 'gone'],
      [() => renderString('{% for x in d.list %}{% endfor %}', { d }), 'd.list'],
    ];
    for (const [f, name] of cases) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).undefinedNames).toEqual([name]);
      expect((err as Error).message).toContain(`undefined variable "${name}"`);
    }
  });

  it('errors in a long template give the line and column, not the whole text', () => {
    const tpl = 'a\nb\n  x {{ port }} {{ nothere }}\n';
    const e = (() => {
      try {
        renderString(tpl, { port: 1 }, { file: true });
      } catch (err) {
        return err as TemplateError;
      }
    })();
    expect(e?.line).toBe(3);
    expect(e?.col).toBe(19);
    expect(e?.message).toMatch(/undefined variable "nothere" in line 3, col 19: " {2}x \{\{ port \}\} \{\{ nothere \}\}"/);
  });
});
