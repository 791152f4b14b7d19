/** Limits of one template run (issue 8): macro recursion ends in a TemplateError at the call (corpus case 416). */
import { describe, expect, it } from 'vitest';
import { MAX_MACRO_DEPTH } from '../../src/playbook/jinja/evaluate.js';
import { renderString, TemplateError } from '../../src/playbook/template.js';

describe('macro call depth', () => {
  it('a macro that calls itself without end is refused at the call, not with a JavaScript stack overflow', () => {
    let err: unknown;
    try {
      renderString('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}', {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    const msg = (err as Error).message;
    expect(msg).toMatch(new RegExp(`macro f\\(\\) is called more than ${MAX_MACRO_DEPTH} deep`));
    expect(msg).not.toMatch(/call stack/i);
  });
  it('mutual recursion too', () => {
    expect(() => renderString('{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}', {})).toThrow(/deep/);
  });
  it('recursion that ends within the bound works, and the depth is given back after each call', () => {
    const t = '{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% else %}done{% endif %}{% endmacro %}';
    expect(renderString(`${t}{{ f(${MAX_MACRO_DEPTH - 1}) }}`, {})).toBe('done');
    expect(renderString(`${t}{% for i in range(5) %}{{ f(90) }}{% endfor %}`, {})).toBe('done'.repeat(5));
  });
});
