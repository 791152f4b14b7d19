/**
 * A value rendered from a template that reads a secret is itself a secret (issue 8, corpus cases 410, 411):
 * `{{ db_password | upper }}` or `{{ db_password[2:] }}` in a bad parameter must not be printed in its error.
 */
import { describe, expect, it } from 'vitest';
import { SecretStore } from '../../src/config/secrets.js';
import { Redactor } from '../../src/engine/redact.js';
import { missingNames, renderValue } from '../../src/playbook/template.js';

function render(template: string, vars: Record<string, unknown>, store: SecretStore): unknown {
  const out = renderValue(template, vars);
  store.addRendered(missingNames(template, {}), vars, out);
  return out;
}

describe('rendered secrets', () => {
  it.each([
    ['{{ db_password | upper }}', 'HUNTER2SECRET-410'],
    ['{{ db_password[2:] }}', 'nter2Secret-410'],
    ['{{ x | lower }}', 'hunter2secret-410'],
    ['{{ db.password | reverse }}', '014-terceS2retnuH'],
  ])('%s is recorded and redacted', (template, shown) => {
    const store = new SecretStore();
    const vars = { db_password: 'Hunter2Secret-410', x: 'Hunter2Secret-410', db: { password: 'Hunter2Secret-410' } };
    store.add('Hunter2Secret-410');
    expect(render(template, vars, store)).toBe(shown);
    const text = new Redactor(store).text(`bad address "${shown}"`);
    expect(text).not.toContain(shown);
  });
  it('a template that reads no secret is not recorded', () => {
    const store = new SecretStore();
    store.add('Hunter2Secret-410');
    render('{{ vip | upper }}', { vip: '10.0.0.1x', db_password: 'Hunter2Secret-410' }, store);
    expect(store.values.has('10.0.0.1X')).toBe(false);
  });
});
