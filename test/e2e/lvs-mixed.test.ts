import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downLab } from '../../src/lab/down.js';
import { labUp, type UpResult } from '../../src/lab/lab.js';
import { labPaths, projectRoot } from '../../src/lab/paths.js';
import { runRaw } from '../../src/lab/proc.js';
import { sshRun } from '../../src/lab/ssh.js';

/**
 * Issue #4's end-to-end sequence on real kernels: seed 001's mixed NAT+DR+TUN virtual service behind seed
 * 000's keepalived pair. plan shows everything and exits 2; apply converges and verifies; the client's
 * requests to the VIP are answered by all three realservers; a second apply changes nothing; stopping
 * keepalived on the MASTER moves the VIP (and the NAT gateway) to the BACKUP and requests keep being answered.
 */
const root = projectRoot();
const env = { ...process.env, LVSIBLE_LAB_DIR: mkdtempSync(join(tmpdir(), 'lvsible-lvs-')), NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
const paths = labPaths(env);
const cli = resolve(root, 'bin/lvsible.js');
const example = resolve(root, 'examples/mixed');
const VIP = '198.51.100.10';
let up: UpResult;
const timings: Record<string, number> = {};

async function lvsible(...args: string[]) {
  const t = Date.now();
  const r = await runRaw(process.execPath, [cli, ...args], { env, cwd: root, timeoutMs: 1_200_000 });
  return { ...r, seconds: (Date.now() - t) / 1000, all: `${r.stdout}\n${r.stderr}` };
}
const inv = () => ['-i', paths.inventoryDir, '-i', join(example, 'inventory')];

async function on(name: string, cmd: string, timeoutMs = 60_000) {
  const vm = up.state.vms.find((v) => v.name === name)!;
  return sshRun(up.state, vm, cmd, timeoutMs);
}

/**
 * A bounded stream of requests from the client to the VIP (bash's /dev/tcp: busybox wget segfaults under
 * TCG's `-cpu max`); returns how often each realserver answered.
 */
async function requests(n: number): Promise<Record<string, number>> {
  const one = `exec 3<>/dev/tcp/${VIP}/80; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`;
  const r = await on('client', `for i in $(seq ${n}); do out=$(timeout 5 bash -c "${one}" 2>/dev/null | tail -n 1); echo "\${out:-FAILED}"; done`, 240_000);
  const counts: Record<string, number> = {};
  for (const line of r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) counts[line] = (counts[line] ?? 0) + 1;
  return counts;
}

function recap(out: string): Record<string, { changed: number; failed: number; unreachable: number }> {
  const rows: Record<string, { changed: number; failed: number; unreachable: number }> = {};
  const text = out.slice(out.lastIndexOf('PLAY RECAP'));
  for (const m of text.matchAll(/^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    rows[m[1]!] = { changed: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4]) };
  }
  return rows;
}

beforeAll(async () => {
  if (!existsSync(resolve(root, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run npm run build (npm test does)');
  up = await labUp({ topology: 'default', paths, log: (l) => console.log(`[lab] ${l}`) });
  Object.assign(timings, up.timings);
}, 1_500_000);

afterAll(async () => {
  const t = Date.now();
  await downLab(paths).catch((e) => console.error(e));
  timings.down = (Date.now() - t) / 1000;
  console.log('[lvs-mixed] timings (s):', JSON.stringify(timings));
}, 120_000);

describe('mixed NAT+DR+TUN cluster with a keepalived pair, on the lab', () => {
  it('plan on a fresh lab shows the changes for directors and realservers together, exit 2', async () => {
    const r = await lvsible('plan', ...inv(), join(example, 'site.yml'));
    timings.planFresh = r.seconds;
    expect(r.code, r.all).toBe(2);
    for (const h of ['rs-nat', 'rs-dr', 'rs-tun', 'dir1', 'dir2']) expect(r.stdout, r.all).toMatch(new RegExp(`would change: \\[${h}\\]`));
    expect(r.stdout).toMatch(/would change: \[rs-dr\] .*198\.51\.100\.10/);
    expect(r.stdout).toMatch(/would change: \[dir1\] keepalived\.conf/);
    expect(r.all).not.toContain('lvs0pass');
    // Nothing was touched: no VIP on the DR realserver yet.
    expect((await on('rs-dr', 'ip -o addr show dev lo')).stdout).not.toContain(VIP);
  }, 900_000);

  it('apply converges every host and verifies the cluster', async () => {
    const r = await lvsible('apply', ...inv(), join(example, 'site.yml'));
    timings.applyFirst = r.seconds;
    expect(r.code, r.all).toBe(0);
    const rows = recap(r.stdout);
    for (const h of ['rs-nat', 'rs-dr', 'rs-tun', 'dir1', 'dir2']) expect(rows[h], r.all).toMatchObject({ failed: 0, unreachable: 0 });
    expect(r.stdout).toMatch(/verified: the live cluster matches the model/);
    expect(r.all).not.toContain('lvs0pass');
  }, 1_200_000);

  it('the kernel holds what was declared', async () => {
    const list = (await on('dir1', 'sudo ipvsadm -Ln')).stdout;
    expect(list).toMatch(new RegExp(`TCP\\s+${VIP.replace(/\./g, '\\.')}:80 rr`));
    expect(list).toMatch(/->\s+192\.0\.2\.11:80\s+Masq/);
    expect(list).toMatch(/->\s+198\.51\.100\.21:80\s+Route/);
    expect(list).toMatch(/->\s+198\.51\.100\.31:80\s+Tunnel/);
    expect((await on('rs-dr', 'ip -o addr show dev lo')).stdout).toContain(`${VIP}/32`);
    expect((await on('rs-dr', 'cat /proc/sys/net/ipv4/conf/all/arp_ignore /proc/sys/net/ipv4/conf/all/arp_announce')).stdout.split('\n').map((s) => s.trim()).filter(Boolean)).toEqual(['1', '2']);
    expect((await on('rs-tun', 'ip -o addr show dev tunl0')).stdout).toContain(`${VIP}/32`);
    expect((await on('rs-nat', 'ip route show default')).stdout).toMatch(/via 192\.0\.2\.1/);
    expect((await on('dir1', 'ip -o addr show')).stdout).toContain(`${VIP}/`);
    expect((await on('dir2', 'ip -o addr show')).stdout).not.toContain(`${VIP}/`);
    const v = await lvsible('verify', ...inv());
    expect(v.code, v.all).toBe(0);
  }, 300_000);

  it('requests to the VIP are answered by the NAT, DR and TUN realservers', async () => {
    const counts = await requests(30);
    expect(counts, JSON.stringify(counts)).toMatchObject({ 'rs-nat': expect.any(Number), 'rs-dr': expect.any(Number), 'rs-tun': expect.any(Number) });
    expect(counts.FAILED ?? 0, JSON.stringify(counts)).toBe(0);
  }, 300_000);

  it('a second apply changes nothing, and plan exits 0', async () => {
    const r = await lvsible('apply', ...inv(), join(example, 'site.yml'));
    timings.applyNoop = r.seconds;
    expect(r.code, r.all).toBe(0);
    for (const [h, s] of Object.entries(recap(r.stdout))) expect({ h, ...s }).toMatchObject({ h, changed: 0, failed: 0 });
    const p = await lvsible('plan', ...inv(), join(example, 'site.yml'));
    timings.planConverged = p.seconds;
    expect(p.code, p.all).toBe(0);
  }, 900_000);

  it('drift is detected: verify exits 3 when a realserver loses its VIP', async () => {
    await on('rs-dr', `sudo ip addr del ${VIP}/32 dev lo`);
    const v = await lvsible('verify', ...inv());
    expect(v.code, v.all).toBe(3);
    expect(v.stdout).toMatch(/rs-dr[\s\S]*VIP 198\.51\.100\.10\/32: want on lo, got absent/);
    const r = await lvsible('apply', ...inv(), join(example, 'site.yml'), '--limit', 'rs-dr');
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout)['rs-dr']!.changed).toBeGreaterThan(0);
  }, 600_000);

  it('stopping keepalived on the MASTER moves the VIP to the BACKUP; requests keep being answered', async () => {
    await on('dir1', 'sudo systemctl stop keepalived');
    let moved = false;
    for (let i = 0; i < 30 && !moved; i++) {
      moved = (await on('dir2', 'ip -o addr show')).stdout.includes(`${VIP}/`);
      if (!moved) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(moved).toBe(true);
    expect((await on('dir2', 'ip -o addr show')).stdout).toContain('192.0.2.1/');
    const counts = await requests(30);
    expect(counts, JSON.stringify(counts)).toMatchObject({ 'rs-nat': expect.any(Number), 'rs-dr': expect.any(Number), 'rs-tun': expect.any(Number) });
  }, 300_000);
});
