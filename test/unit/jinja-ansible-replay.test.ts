import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ansibleAnswers, rows } from './jinja-ansible-table.data.js';

/**
 * Keeps jinja-ansible-table honest: the same rows through a real ansible-playbook (one run for the whole
 * table). In CI, a missing ansible-playbook is a failure, not a skip: the table would silently stop being checked.
 */
const onPath = (() => {
  try {
    execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('the recorded table is what ansible-playbook does', () => {
  it.runIf(onPath || process.env.CI)('every row, one playbook run', () => {
    if (!onPath) throw new Error('ansible-playbook is not on PATH: install ansible-core (apt-get install ansible-core) so the Ansible table is checked');
    const got = ansibleAnswers(rows);
    const mismatches = rows
      .map((r, i) => ({ row: i, kind: r.kind, tpl: r.tpl, recorded: 'ansible' in r ? r.ansible : r.out, ansible: got[i] }))
      .filter((m) => JSON.stringify(sortKeys(m.recorded)) !== JSON.stringify(sortKeys(m.ansible)));
    expect(mismatches).toEqual([]);
  }, 120_000);
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}
