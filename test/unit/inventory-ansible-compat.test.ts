/**
 * Cross-check against the real thing: when ansible-core is installed (Debian: `apt-get install ansible-core`),
 * our hostvars, group membership and pattern results must equal ansible-inventory's / ansible's for the
 * fixture inventories. Skipped where Ansible is absent. Runs Ansible with a temp home, nothing is contacted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REDACTED, inventoryList, isSecretVar, loadInventory, resolvePattern } from '../../src/inventory/index.js';

const FIX = resolve('test/fixtures/inventories');
const hasAnsible = (() => {
  try {
    execFileSync('ansible-inventory', ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
})();

const home = mkdtempSync(join(tmpdir(), 'lvsible-ansible-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, ANSIBLE_HOME: home, ANSIBLE_LOCAL_TEMP: join(home, 'tmp'), ANSIBLE_NOCOLOR: '1' };
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 }).toString();

type ListJson = Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };

describe.skipIf(!hasAnsible)('same answers as Ansible', () => {
  it.each(['yaml/hosts.yml', 'ini/hosts.ini', 'precedence/hosts.yml', 'lint/hosts.yml'])('ansible-inventory --list %s', (src) => {
    const file = join(FIX, src);
    const theirs = JSON.parse(run('ansible-inventory', ['-i', file, '--list'])) as ListJson;
    const ours = inventoryList(loadInventory([file])) as ListJson;
    expect(Object.keys(ours._meta.hostvars).sort()).toEqual(Object.keys(theirs._meta.hostvars).sort());
    for (const [host, vars] of Object.entries(theirs._meta.hostvars)) {
      const expected = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, isSecretVar(k) ? REDACTED : v]));
      expect(ours._meta.hostvars[host], host).toEqual(expected);
    }
    for (const [group, entry] of Object.entries(theirs)) {
      if (group === '_meta') continue;
      const mine = ours[group] ?? {};
      expect([...(mine.hosts ?? [])].sort(), `${group}.hosts`).toEqual([...(entry.hosts ?? [])].sort());
      expect([...(mine.children ?? [])].sort(), `${group}.children`).toEqual([...(entry.children ?? [])].sort());
    }
  });

  it.each([
    'realservers:!web',
    'realservers:&~.*example.*:!nsa.example.com',
    'web0*:directors',
    '!directors',
    'realservers[1:3]',
    'lb?.example.com,ungrouped',
  ])('ansible %s --list-hosts', (pattern) => {
    const file = join(FIX, 'yaml/hosts.yml');
    const out = run('ansible', [pattern, '-i', file, '--list-hosts']);
    const theirs = out
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean);
    // Ansible orders by term; we answer in inventory order. Same set either way.
    expect(resolvePattern(loadInventory([file]), pattern).sort()).toEqual(theirs.sort());
  });
});
