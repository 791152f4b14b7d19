import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendants, startSshd, type SshdHandle } from '../helpers/sshd.js';

/**
 * The whole tool, as an operator runs it: `lvsible apply` over real SSH (two real sshd hosts on loopback),
 * first run converges, second run changes nothing, --check touches nothing, bad input contacts no host.
 * Each host's files live under its own temp root (`lvsible_root`), never the machine's /etc.
 */

const BIN = resolve('bin/lvsible.js');

function lvsible(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('node', [BIN, ...args], { env: { ...process.env, CI: '1', NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const PLAYBOOK = `
- name: web tier
  hosts: web
  become: true
  vars:
    greeting: "hello from {{ inventory_hostname }}"
  tasks:
    - name: config directory
      file: { path: /etc/app, state: directory, mode: "0755" }
    - name: app config
      copy:
        dest: /etc/app/app.conf
        content: "{{ greeting }}\\nport={{ app_port }}\\n"
        mode: "0640"
      notify: restart app
    - name: templated file
      template: { src: motd.j2, dest: /etc/motd }
    - name: forwarding
      sysctl: { name: net.ipv4.ip_forward, value: "1", sysctl_file: /etc/sysctl.d/90-test.conf }
    - name: one-time init
      command:
        cmd: touch {{ lvsible_root }}/initialised
        creates: /initialised
    - name: items
      file: { path: "/etc/app/{{ item }}", state: touch }
      loop: [a, b]
      when: app_port | int > 1000
  handlers:
    - name: restart app
      shell: echo ran >> {{ lvsible_root }}/handler.log
`;

describe('lvsible apply over real sshd', () => {
  let a: SshdHandle;
  let b: SshdHandle;
  let dir: string;
  let roots: Record<string, string>;

  beforeAll(async () => {
    [a, b] = await Promise.all([startSshd({ address: '127.0.0.2' }), startSshd({ address: '127.0.0.3' })]);
    dir = mkdtempSync(join(tmpdir(), 'lvsible-apply-'));
    roots = { web1: join(dir, 'root1'), web2: join(dir, 'root2') };
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function freshRoots(): void {
    for (const r of Object.values(roots)) {
      rmSync(r, { recursive: true, force: true });
      mkdirSync(join(r, 'proc/sys/net/ipv4'), { recursive: true });
      writeFileSync(join(r, 'proc/sys/net/ipv4/ip_forward'), '0\n');
      mkdirSync(join(r, 'etc/sysctl.d'), { recursive: true });
    }
  }

  function writeProject(): { inv: string; pb: string } {
    const host = (name: string, h: SshdHandle) => `
        ${name}:
          ansible_host: ${h.host}
          ansible_port: ${h.port}
          ansible_user: ${h.user}
          ansible_ssh_private_key_file: ${h.privateKeyPath}
          lvsible_known_hosts_file: ${h.knownHostsPath}
          lvsible_root: ${roots[name]}`;
    const inv = join(dir, 'hosts.yml');
    writeFileSync(inv, `all:\n  vars:\n    app_port: 8080\n  children:\n    web:\n      hosts:${host('web1', a)}${host('web2', b)}\n`);
    const pb = join(dir, 'site.yml');
    writeFileSync(pb, PLAYBOOK);
    mkdirSync(join(dir, 'templates'), { recursive: true });
    writeFileSync(join(dir, 'templates/motd.j2'), 'Welcome to {{ inventory_hostname }} ({{ ansible_os_family }})\n');
    return { inv, pb };
  }

  it('converges on the first run, changes nothing on the second, and batches reads', async () => {
    freshRoots();
    const { inv, pb } = writeProject();
    const first = await lvsible(['apply', '-i', inv, pb, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.recap.web1.changed).toBeGreaterThanOrEqual(6);
    expect(r1.recap.web1.failed).toBe(0);

    for (const [name, root] of Object.entries(roots)) {
      expect(readFileSync(join(root, 'etc/app/app.conf'), 'utf8')).toBe(`hello from ${name}\nport=8080\n`);
      expect(readFileSync(join(root, 'etc/motd'), 'utf8')).toBe(`Welcome to ${name} (Debian)\n`);
      expect(readFileSync(join(root, 'proc/sys/net/ipv4/ip_forward'), 'utf8').trim()).toBe('1');
      expect(readFileSync(join(root, 'etc/sysctl.d/90-test.conf'), 'utf8')).toMatch(/^net\.ipv4\.ip_forward = 1$/m);
      expect(existsSync(join(root, 'initialised'))).toBe(true);
      expect(readdirSync(join(root, 'etc/app')).sort()).toEqual(['a', 'app.conf', 'b']);
      expect(readFileSync(join(root, 'handler.log'), 'utf8')).toBe('ran\n');
    }

    const second = await lvsible(['apply', '-i', inv, pb, '--json']);
    expect(second.code).toBe(0);
    const r2 = JSON.parse(second.stdout);
    for (const h of ['web1', 'web2']) {
      expect(r2.recap[h]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
      // One round trip for facts, one for every task's reads: not one per task.
      expect(r2.roundTrips[h]).toBe(2);
    }
    // The handler was not notified again.
    expect(readFileSync(join(roots.web1!, 'handler.log'), 'utf8')).toBe('ran\n');
  });

  it('--check and plan show every change and touch nothing', async () => {
    freshRoots();
    const { inv, pb } = writeProject();
    const before = snapshot(roots.web1!);
    const before2 = snapshot(roots.web2!);
    const plan = await lvsible(['plan', '-i', inv, pb, '--diff']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/would change: \[web1\] app config/);
    expect(plan.stdout).toMatch(/\+hello from web1/);
    expect(plan.stdout).toMatch(/would change: \[web2\] one-time init/);
    expect(snapshot(roots.web1!)).toEqual(before);
    expect(readFileSync(join(roots.web1!, 'proc/sys/net/ipv4/ip_forward'), 'utf8')).toBe('0\n');

    const check = await lvsible(['apply', '--check', '-i', inv, pb, '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).recap.web2.changed).toBeGreaterThan(0);
    expect(snapshot(roots.web2!)).toEqual(before2);
    expect(existsSync(join(roots.web2!, 'etc/app'))).toBe(false);
  });

  it('a host whose connection dies mid-run is unreachable; the others finish; exit code 4', async () => {
    freshRoots();
    const { inv } = writeProject();
    const pb = join(dir, 'slow.yml');
    writeFileSync(pb, `- hosts: web\n  tasks:\n    - command: sleep 4\n    - copy: { dest: /after, content: done }\n`);
    const started = Date.now();
    const running = lvsible(['apply', '-i', inv, pb, '--json']);
    // Kill web1's sessions while its `sleep` runs (bounded wait: the machine may be slow to get there).
    for (let i = 0; i < 200 && !sleeping(a.pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(sleeping(a.pid)).toBe(true);
    a.killSessions();
    const r = await running;
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.recap.web1.unreachable).toBe(1);
    expect(doc.recap.web2).toMatchObject({ unreachable: 0, failed: 0, changed: 2 });
    expect(readFileSync(join(roots.web2!, 'after'), 'utf8')).toBe('done');
    expect(existsSync(join(roots.web1!, 'after'))).toBe(false);
  });

  it('refuses invalid input with file:line errors and contacts no host', async () => {
    const { inv } = writeProject();
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, `- hosts: web\n  tasks:\n    - name: ok\n      file: { path: /x, state: directory }\n    - name: typo\n      sysctl: { nmae: net.ipv4.ip_forward, value: 1 }\n    - name: bad module\n      frobnicate: {}\n`);
    const logBefore = a.log().length + b.log().length;
    const r = await lvsible(['apply', '-i', inv, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:6:`);
    expect(r.stderr).toMatch(/unknown field "nmae"/);
    expect(r.stderr).toMatch(/missing required field "name"/);
    expect(r.stderr).toContain(`${bad}:8:`);
    expect(r.stderr).toMatch(/unknown module "frobnicate"/);
    expect(a.log().length + b.log().length).toBe(logBefore);
  });
});

/** Is a `sleep` running under this sshd? */
function sleeping(pid: number): boolean {
  return descendants(pid).some((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep\0');
    } catch {
      return false;
    }
  });
}

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}
