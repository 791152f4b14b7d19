import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

/**
 * One run, one plan, one read path, over real sshd hosts: a no-change `apply` with verify costs each host one
 * connection and two exec round trips (host facts; every play's reads and verify's, batched); `plan --out`
 * then `apply FILE` applies that plan, and is refused, changing nothing, once a host drifted in between.
 * Verify reads this machine's own addresses and sysctls through sshd (read only): the model's VIP is not
 * here, so verify reports drift, which proves it ran inside the run and judged what it read.
 */

const BIN = resolve('bin/lvsible.js');

function lvsible(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile('node', [BIN, ...args], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const CLUSTER = `lvs:
  directors: [dir1]
  virtual_services:
    - name: web
      vip: 198.51.100.10
      port: 80
      scheduler: rr
      realservers:
        - { host: rs1, method: dr }
`;

// Three plays, each host in one of them, as examples/mixed is: the reads of all three are made at the start.
const PLAYBOOK = `
- name: realservers
  hosts: realservers
  tasks:
    - file: { path: /etc/app, state: directory, mode: "0755" }
    - copy: { dest: /etc/app/rs.conf, content: "role=rs\\n" }
- name: directors
  hosts: directors
  tasks:
    - copy: { dest: /etc/app.conf, content: "role=director\\n", mode: "0640" }
    - sysctl: { name: net.ipv4.ip_forward, value: "1", sysctl_file: /etc/sysctl.d/90-test.conf }
- name: everyone
  hosts: all
  tasks:
    - copy: { dest: /etc/motd, content: "managed\\n" }
    - copy: { dest: /etc/app.secret, content: "key={{ app_key }}\\n", mode: "0600" }
`;

const SECRET = 'Qz7-hunter-2-Xk';

describe('a run as stages over real sshd hosts', () => {
  let servers: SshdHandle[];
  let dir: string;
  const roots: Record<string, string> = {};

  beforeAll(async () => {
    servers = await Promise.all([startSshd({ address: '127.0.0.6' }), startSshd({ address: '127.0.0.7' })]);
    dir = mkdtempSync(join(tmpdir(), 'lvsible-stages-'));
    const names = ['dir1', 'rs1'];
    const host = (name: string, h: SshdHandle, iface: string) => {
      roots[name] = join(dir, name);
      mkdirSync(join(roots[name]!, 'proc/sys/net/ipv4'), { recursive: true });
      writeFileSync(join(roots[name]!, 'proc/sys/net/ipv4/ip_forward'), '0\n');
      return `        ${name}:\n          ansible_host: ${h.host}\n          ansible_port: ${h.port}\n          ansible_user: ${h.user}\n          ansible_ssh_private_key_file: ${h.privateKeyPath}\n          lvsible_known_hosts_file: ${h.knownHostsPath}\n          lvsible_root: ${roots[name]}\n          lvs_interfaces: { eth1: ${iface} }\n`;
    };
    mkdirSync(join(dir, 'inv'));
    writeFileSync(
      join(dir, 'inv/hosts.yml'),
      `all:\n  vars:\n    app_key: !secret ${SECRET}\n  children:\n    directors:\n      hosts:\n${host(names[0]!, servers[0]!, '198.51.100.2/24')}    realservers:\n      hosts:\n${host(names[1]!, servers[1]!, '198.51.100.21/24')}`,
    );
    writeFileSync(join(dir, 'inv/cluster.yml'), CLUSTER);
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  });
  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const inv = () => join(dir, 'inv');
  const pb = () => join(dir, 'site.yml');

  it('a no-change apply with verify: one connection and two round trips per host, verify inside the run', async () => {
    const first = await lvsible(['apply', '-i', inv(), pb(), '--json']);
    const r1 = JSON.parse(first.stdout);
    expect(r1.recap.dir1.changed).toBeGreaterThan(0);
    // A host that changed reads verify again after its changes: one more round trip, still one connection.
    expect(r1.connections).toEqual({ dir1: 1, rs1: 1 });

    const second = await lvsible(['apply', '-i', inv(), pb(), '--json']);
    const r2 = JSON.parse(second.stdout);
    for (const h of ['dir1', 'rs1']) expect(r2.recap[h]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    expect(r2.connections).toEqual({ dir1: 1, rs1: 1 });
    expect(r2.roundTrips).toEqual({ dir1: 2, rs1: 2 });
    // Verify ran on what the run read: the VIP is not on this machine's lo, so it is drift (exit 3), named.
    expect(second.code).toBe(3);
    const rs = r2.verify.realservers.find((r: { host: string }) => r.host === 'rs1');
    expect(rs.findings).toContainEqual(expect.objectContaining({ subject: 'VIP 198.51.100.10/32', ok: false }));
    expect(r2.timings).toEqual(expect.objectContaining({ connect: expect.any(Number), read: expect.any(Number), verify: expect.any(Number) }));

    // The text reporters print the VERIFY section themselves, before the recap.
    const text = await lvsible(['apply', '-i', inv(), pb()]);
    expect(text.stdout).toMatch(/VERIFY \*+[\s\S]*realserver rs1[\s\S]*✗ VIP 198\.51\.100\.10\/32[\s\S]*PLAY RECAP/);
  });

  it('plan --out, then apply FILE applies exactly that plan; after a host drifted it is refused and nothing changes', async () => {
    writeFileSync(join(roots.rs1!, 'etc/motd'), 'edited by hand\n');
    writeFileSync(join(roots.dir1!, 'etc/motd'), 'edited by hand\n');
    // The secret file drifted too: the plan's diff of it and its fingerprint must both stand without the secret.
    writeFileSync(join(roots.rs1!, 'etc/app.secret'), `key=${SECRET}-old\n`);
    const planFile = join(dir, 'motd.plan');
    const plan = await lvsible(['plan', '-i', inv(), pb(), '--out', planFile]);
    expect(plan.code).toBe(2);
    const savedText = readFileSync(planFile, 'utf8');
    // A saved plan is output like any other: the secret is in it in no form (as is, base64, hex of a hash input).
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64').slice(0, 12), `key=${SECRET}`]) expect(savedText).not.toContain(form);
    const saved = JSON.parse(savedText);
    expect(saved.format).toBe('lvsible-plan/1');
    expect(saved.plan.hosts.rs1.tasks.filter((t: { status: string }) => t.status === 'changed').map((t: { module: string }) => t.module)).toEqual(['copy', 'copy']);

    // From another directory, with nothing but the file: the plan holds its own inputs.
    const applied = await lvsible(['apply', planFile, '--json'], tmpdir());
    expect(applied.stderr).toBe('');
    // Verify runs after a planned apply too (and finds this machine without the VIP, as above).
    expect(applied.code).toBe(3);
    const r = JSON.parse(applied.stdout);
    expect(r.recap.rs1.changed).toBe(2);
    expect(readFileSync(join(roots.rs1!, 'etc/app.secret'), 'utf8')).toBe(`key=${SECRET}\n`);
    expect(r.recap.dir1.changed).toBe(1);
    expect(readFileSync(join(roots.rs1!, 'etc/motd'), 'utf8')).toBe('managed\n');
    expect(r.connections).toEqual({ dir1: 1, rs1: 1 });

    // A new plan; then rs1's motd and dir1's forwarding drift before it is applied.
    writeFileSync(join(roots.rs1!, 'etc/motd'), 'edited again\n');
    await lvsible(['plan', '-i', inv(), pb(), '--out', planFile]);
    writeFileSync(join(roots.rs1!, 'etc/motd'), 'and again, after the plan\n');
    writeFileSync(join(roots.dir1!, 'proc/sys/net/ipv4/ip_forward'), '0\n');
    const refused = await lvsible(['apply', planFile, '--no-verify']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/rs1: copy \/etc\/motd: changed since the plan was made/);
    expect(refused.stdout).toMatch(/dir1: sysctl net\.ipv4\.ip_forward: changed since the plan was made/);
    expect(refused.stdout).toMatch(/nothing was applied/);
    expect(refused.stdout).not.toMatch(/^changed:/m);
    expect(readFileSync(join(roots.rs1!, 'etc/motd'), 'utf8')).toBe('and again, after the plan\n');
    expect(readFileSync(join(roots.dir1!, 'proc/sys/net/ipv4/ip_forward'), 'utf8')).toBe('0\n');

    // Options that would change what the plan runs are refused with it.
    const reshaped = await lvsible(['apply', planFile, '--limit', 'rs1']);
    expect(reshaped.code).toBe(1);
    expect(reshaped.stderr).toMatch(/saved plan: it runs with the options it was made with/);
  });
});
