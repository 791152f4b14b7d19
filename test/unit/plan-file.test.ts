import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPlanFile } from '../../src/commands/plan-file.js';
import { ConfigError } from '../../src/errors.js';

/** `apply FILE` tells a saved plan from a playbook, and refuses a plan file of the wrong shape before any connection. */
const dir = mkdtempSync(join(tmpdir(), 'lvsible-planfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const plan = (flags: unknown) => JSON.stringify({ format: 'lvsible-plan/1', created: '', playbook: '/x/site.yml', flags, plan: { hosts: {} } });

describe('readPlanFile', () => {
  it('is undefined for a playbook, YAML or JSON, and for JSON of another format', () => {
    expect(readPlanFile(file('site.yml', '- hosts: all\n  tasks: []\n'))).toBeUndefined();
    expect(readPlanFile(file('site.json', '[{"hosts": "all", "tasks": []}]'))).toBeUndefined();
    expect(readPlanFile(file('other.json', '{"format": "terraform"}'))).toBeUndefined();
  });

  it('reads a whole plan, and -e given again replaces the saved ones', () => {
    const p = file('ok.plan', plan({ inventory: ['/x/inv'], limit: 'web', extraVars: ['a=1'] }));
    expect(readPlanFile(p)?.flags).toEqual({ inventory: ['/x/inv'], limit: 'web', extraVars: ['a=1'] });
    expect(readPlanFile(p, ['a=2'])?.flags.extraVars).toEqual(['a=2']);
  });

  it('refuses every badly shaped option at once, naming the file and field', () => {
    const p = file('bad.plan', plan({ inventory: '/x/inv', forks: 5, evil: 'x' }));
    let err: unknown;
    try {
      readPlanFile(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => [i.file, i.field])).toEqual([
      [p, 'flags.inventory'],
      [p, 'flags.forks'],
      [p, 'flags.evil'],
    ]);
  });

  it('refuses a plan whose -e held a secret unless it is given again', () => {
    const p = file('secret.plan', plan({ extraVars: ['db_password=********'] }));
    expect(() => readPlanFile(p)).toThrow(/give the same -e again/);
    expect(readPlanFile(p, ['db_password=x'])?.flags.extraVars).toEqual(['db_password=x']);
  });
});
