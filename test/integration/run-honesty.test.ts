import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

/**
 * What a run says once hosts were contacted, over two real sshd hosts: a task that fails at run time is that
 * host's failed task (with the task's file and line), the other host goes on, the recap is printed, and the
 * run never claims that no host was contacted. Also the keywords that used to be accepted and then ignored:
 * `become_user` runs the task as that user, `gather_facts: false` gives the play no facts.
 */

const BIN = resolve('bin/lvsible.js');

function lvsible(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('node', [BIN, ...args], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('a run after connecting tells the truth', () => {
  let a: SshdHandle;
  let b: SshdHandle;
  let dir: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startSshd({ address: '127.0.0.4' }), startSshd({ address: '127.0.0.5' })]);
    dir = mkdtempSync(join(tmpdir(), 'lvsible-honest-'));
    const host = (name: string, h: SshdHandle) => `
        ${name}:
          ansible_host: ${h.host}
          ansible_port: ${h.port}
          ansible_user: ${h.user}
          ansible_ssh_private_key_file: ${h.privateKeyPath}
          lvsible_known_hosts_file: ${h.knownHostsPath}
          lvsible_root: ${join(dir, name)}`;
    writeFileSync(join(dir, 'hosts.yml'), `all:\n  children:\n    web:\n      hosts:${host('web1', a)}${host('web2', b)}\n`);
    for (const h of ['web1', 'web2']) mkdirSync(join(dir, h, 'etc'), { recursive: true });
    mkdirSync(join(dir, 'templates'));
    // Only web2 has a template: which one a host renders is known only from a registered result.
    writeFileSync(join(dir, 'templates', 'web2.j2'), 'for {{ inventory_hostname }}\n');
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a run-time failure fails that task on that host, where it is written; the other host finishes', async () => {
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: web
  tasks:
    - name: which template
      command: echo {{ inventory_hostname }}
      register: which
      changed_when: false
    - name: per-host file
      template: { src: "{{ which.stdout }}.j2", dest: /etc/per-host }
    - name: after it
      copy: { content: "done\\n", dest: /etc/after }
`,
    );
    const r = await lvsible(['apply', '-i', 'hosts.yml', 'site.yml'], dir);
    expect(r.code).toBe(1);
    // web1 failed at the template task, pointed at its module line; web2 went on to the end.
    expect(r.stdout + r.stderr).toMatch(/site\.yml:8:\d+ \(\[0\]\.tasks\[1\]\.template\): template: source "web1\.j2" not found/);
    expect(readFileSync(join(dir, 'web2', 'etc/per-host'), 'utf8')).toBe('for web2\n');
    expect(readFileSync(join(dir, 'web2', 'etc/after'), 'utf8')).toBe('done\n');
    expect(() => readFileSync(join(dir, 'web1', 'etc/after'))).toThrow();
    expect(r.stdout).toMatch(/PLAY RECAP/);
    expect(r.stdout).toMatch(/web1\s*:.*failed=1/);
    expect(r.stdout).toMatch(/web2\s*:.*failed=0/);
    expect(r.stdout + r.stderr).not.toMatch(/no host was contacted/);
  });

  it('become_user runs the task as that user', async () => {
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: web1
  become: true
  tasks:
    - name: who
      command: id -un
      become_user: nobody
      register: who
    - name: record
      copy: { content: "{{ who.stdout }}\\n", dest: /etc/who }
`,
    );
    const r = await lvsible(['apply', '-i', 'hosts.yml', 'site.yml'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'web1', 'etc/who'), 'utf8')).toBe('nobody\n');
  });

  it('-e connection variables override the inventory for every connection, as in Ansible', async () => {
    // The inventory says port 9 (nothing listens there): only -e's port reaches the host.
    writeFileSync(
      join(dir, 'wrong-port.yml'),
      `all:\n  hosts:\n    web1:\n      ansible_host: ${a.host}\n      ansible_port: 9\n      ansible_user: ${a.user}\n      ansible_ssh_private_key_file: ${a.privateKeyPath}\n      lvsible_known_hosts_file: ${a.knownHostsPath}\n      lvsible_root: ${join(dir, 'web1')}\n`,
    );
    writeFileSync(join(dir, 'site.yml'), `- hosts: web1\n  tasks:\n    - copy: { content: "via -e\\n", dest: /etc/via }\n`);
    const refused = await lvsible(['apply', '-i', 'wrong-port.yml', 'site.yml', '-e', 'ansible_port=70000'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--extra-vars \(ansible_port\): must be <= 65535/);
    const r = await lvsible(['apply', '-i', 'wrong-port.yml', 'site.yml', '-e', `ansible_port=${a.port}`], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'web1', 'etc/via'), 'utf8')).toBe('via -e\n');
  });

  it('gather_facts: false gives the play no facts: a fact is then undefined, before any connection', async () => {
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "{{ ansible_os_family }}\\n", dest: /etc/family }
`,
    );
    const r = await lvsible(['plan', '-i', 'hosts.yml', 'site.yml'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/site\.yml:4:\d+ \(\[0\]\.tasks\[0\]\.copy\.content\): undefined variable "ansible_os_family"/);
    expect(r.stderr).toMatch(/no host was contacted/);
  });
});
