import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatLocation } from '../../src/errors.js';
import { loadRunInputs } from '../../src/commands/inputs.js';
import { flagIssues } from '../../src/commands/input-checks.js';

/** The one list of problems a run reports before connecting: every file at once, in reading order. */

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function project(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'lvsible-inputs-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function problems(d: string, playbook: string, flags: Parameters<typeof loadRunInputs>[1]): string[] {
  try {
    loadRunInputs(join(d, playbook), { inventory: [join(d, 'inventory')], ...flags });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => `${formatLocation(i).replace(`${d}/`, '')}: ${i.message}`);
  }
  return [];
}

const HOSTS = `all:
  hosts:
    web1: { ansible_host: 127.0.0.1, ansible_port: 9 }
    web2: { ansible_host: 127.0.0.1, ansible_port: 9 }
`;

describe('loadRunInputs', () => {
  it('reports the options, the inventory and the playbook together, command line first, then by file and line', () => {
    const d = project({
      'inventory/hosts.yml': HOSTS.replace('web2: { ansible_host: 127.0.0.1, ansible_port: 9 }', 'web2: { ansible_host: 127.0.0.1, ansible_port: 70000 }'),
      'site.yml': `- hosts: web
  tasks:
    - name: one
      debug: { msg: hi }
      notify: nobody listens
- hosts: "web[1:"
  tasks: []
`,
    });
    const got = problems(d, 'site.yml', { forks: '0', timeout: '-5' });
    expect(got).toHaveLength(5);
    expect(got[0]).toMatch(/^command line \(--forks\): must be a whole number/);
    expect(got[1]).toMatch(/^command line \(--timeout\): /);
    expect(got[2]).toMatch(/^inventory\/hosts\.yml:4:\d+ \(all\.hosts\.web2\.ansible_port\): must be <= 65535/);
    expect(got[3]).toMatch(/^site\.yml:5:\d+ \(\[0\]\.tasks\[0\]\.notify\): notify: no handler named or listening to "nobody listens"/);
    expect(got[4]).toMatch(/^site\.yml:6:\d+ \(\[1\]\.hosts\): unclosed "\["/);
  });

  it('refuses a --limit that matches nothing or cannot be parsed, and accepts one that matches', () => {
    const d = project({ 'inventory/hosts.yml': HOSTS, 'site.yml': '- hosts: all\n  tasks: []\n' });
    expect(problems(d, 'site.yml', { limit: 'nosuch' })).toEqual(['command line (--limit): "nosuch" matches no group or host in the inventory']);
    expect(problems(d, 'site.yml', { limit: 'web1,wbe2' })).toEqual(['command line (--limit): "wbe2" matches no group or host in the inventory (did you mean "web2"?)']);
    expect(problems(d, 'site.yml', { limit: 'all[5]' })).toEqual(['command line (--limit): "all[5]" is past the end of its group']);
    expect(problems(d, 'site.yml', { limit: '~[x' })).toEqual(['command line (--limit): unclosed "[" in host pattern "~[x"']);
    expect(problems(d, 'site.yml', { limit: '@missing.txt' })).toEqual(['command line (--limit): limit file "missing.txt" not found']);
    expect(problems(d, 'site.yml', { limit: 'web2' })).toEqual([]);
  });

  it('checks a .j2 file the way the template module renders it (Python escapes in its strings)', () => {
    const d = project({
      'inventory/hosts.yml': HOSTS,
      'templates/motd.j2': "{{ 'it\\'s ' ~ inventory_hostname }}\n",
      'site.yml': '- hosts: all\n  tasks:\n    - template: { src: motd.j2, dest: /etc/motd }\n',
    });
    expect(problems(d, 'site.yml', {})).toEqual([]);
  });

  it('a handler found by its listen topic is fine', () => {
    const d = project({
      'inventory/hosts.yml': HOSTS,
      'site.yml': `- hosts: all
  tasks:
    - debug: { msg: hi }
      notify: reload things
  handlers:
    - name: reload keepalived
      listen: reload things
      debug: { msg: reloaded }
`,
    });
    expect(problems(d, 'site.yml', {})).toEqual([]);
  });
});

describe('flagIssues', () => {
  it.each([
    [{ forks: '0' }, '--forks'],
    [{ forks: '-1' }, '--forks'],
    [{ forks: 'abc' }, '--forks'],
    [{ forks: '1.5' }, '--forks'],
    [{ forks: '10001' }, '--forks'],
    [{ timeout: '0' }, '--timeout'],
    [{ timeout: '-5' }, '--timeout'],
    [{ timeout: 'abc' }, '--timeout'],
    [{ timeout: 'Infinity' }, '--timeout'],
    [{ timeout: '1e9' }, '--timeout'],
  ])('refuses %j', (flags, field) => {
    const issues = flagIssues(flags);
    expect(issues.map((i) => i.field)).toEqual([field]);
  });

  it.each([{ forks: '1' }, { forks: '50' }, { timeout: '15' }, { timeout: '0.5' }, {}])('accepts %j', (flags) => expect(flagIssues(flags)).toEqual([]));
});

describe('refused input with --json', () => {
  it('is a JSON document on stdout with every issue, besides the prose on stderr', async () => {
    const { main } = await import('../../src/cli.js');
    const d = project({ 'inventory/hosts.yml': HOSTS, 'site.yml': '- hosts: all\n  tasks:\n    - debug: { msg: "{{ nothere }}" }\n' });
    const out: string[] = [];
    const err: string[] = [];
    const o = process.stdout.write.bind(process.stdout);
    const e = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['node', 'lvsible', 'plan', '--json', '--forks', '0', '-i', join(d, 'inventory'), join(d, 'site.yml')]);
    } finally {
      process.stdout.write = o;
      process.stderr.write = e;
    }
    expect(code).toBe(1);
    const doc = JSON.parse(out.join('')) as { error: { kind: string; issues: { file: string; line?: number; field?: string; message: string }[] } };
    expect(doc.error.kind).toBe('input');
    expect(doc.error.issues.map((i) => i.field)).toEqual(['--forks', '[0].tasks[0].debug.msg']);
    expect(doc.error.issues[1]!.line).toBe(3);
    expect(err.join('')).toMatch(/2 problems in the input/);
  });
});

describe('the default lab inventory', () => {
  it('is missing until `lab up` writes hosts.yml into it (its directory holds only a README in the repo)', async () => {
    const { checkInventoryExists, LAB_INVENTORY } = await import('../../src/commands/common.js');
    const { existsSync } = await import('node:fs');
    expect(existsSync(LAB_INVENTORY)).toBe(true);
    if (existsSync(join(LAB_INVENTORY, 'hosts.yml'))) return; // a developer's lab is up: nothing to show here
    expect(() => checkInventoryExists([LAB_INVENTORY])).toThrow(/run `lvsible lab up` first/);
  });
});
