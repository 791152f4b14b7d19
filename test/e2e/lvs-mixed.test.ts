import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, recap, root, VIP } from './harness.js';

/**
 * Issue #4's end-to-end sequence on real kernels: seed 001's mixed NAT+DR+TUN virtual service behind seed
 * 000's keepalived pair. plan shows everything and exits 2; apply converges and verifies; the client's
 * requests to the VIP are answered by all three realservers; a second apply changes nothing; drift is
 * caught; stopping keepalived on the MASTER moves the VIP (and the NAT gateway) to the BACKUP and requests
 * keep being answered.
 */
const lab = e2eLab('mixed');
const example = resolve(root, 'examples/mixed');
const site = join(example, 'site.yml');
const inv = () => lab.inv(join(example, 'inventory'));
const answeredByAll = { 'rs-nat': expect.any(Number), 'rs-dr': expect.any(Number), 'rs-tun': expect.any(Number) };

beforeAll(() => lab.up(), 1_500_000);
afterAll(async () => {
  await lab.down();
  console.log('[lvs-mixed] timings (s):', JSON.stringify(lab.timings));
}, 120_000);

describe('mixed NAT+DR+TUN cluster with a keepalived pair, on the lab', () => {
  it('plan on a fresh lab shows the changes for directors and realservers together, exit 2', async () => {
    const r = await lab.lvsible('plan', ...inv(), site);
    lab.timings.planFresh = r.seconds;
    expect(r.code, r.all).toBe(2);
    for (const h of ['rs-nat', 'rs-dr', 'rs-tun', 'dir1', 'dir2']) expect(r.stdout, r.all).toMatch(new RegExp(`would change: \\[${h}\\]`));
    expect(r.stdout).toMatch(/would change: \[rs-dr\] VIP 198\.51\.100\.10\/32 on lo/);
    expect(r.stdout).toMatch(/would change: \[rs-nat\] replies go back through the director \(192\.0\.2\.1\)/);
    expect(r.stdout).toMatch(/would change: \[dir1\] keepalived\.conf/);
    expect(r.all).not.toContain('lvs0pass');
    // Nothing was touched: no VIP on the DR realserver yet.
    expect((await lab.on('rs-dr', 'ip -o addr show dev lo')).stdout).not.toContain(VIP);
  }, 900_000);

  it('apply converges every host and verifies the cluster', async () => {
    const r = await lab.lvsible('apply', ...inv(), site);
    lab.timings.applyFirst = r.seconds;
    expect(r.code, r.all).toBe(0);
    const rows = recap(r.stdout);
    for (const h of ['rs-nat', 'rs-dr', 'rs-tun', 'dir1', 'dir2']) expect(rows[h], r.all).toMatchObject({ failed: 0, unreachable: 0 });
    expect(r.stdout).toMatch(/verified: the live cluster matches the model/);
    expect(r.all).not.toContain('lvs0pass');
  }, 1_200_000);

  it('the kernel holds what was declared', async () => {
    const list = (await lab.on('dir1', 'sudo ipvsadm -Ln')).stdout;
    expect(list).toMatch(/TCP\s+198\.51\.100\.10:80 rr/);
    expect(list).toMatch(/->\s+192\.0\.2\.11:80\s+Masq/);
    expect(list).toMatch(/->\s+198\.51\.100\.21:80\s+Route/);
    expect(list).toMatch(/->\s+198\.51\.100\.31:80\s+Tunnel/);
    expect((await lab.on('rs-dr', 'ip -o addr show dev lo')).stdout).toContain(`${VIP}/32`);
    const arp = (await lab.on('rs-dr', 'cat /proc/sys/net/ipv4/conf/all/arp_ignore /proc/sys/net/ipv4/conf/all/arp_announce')).stdout;
    expect(arp.split('\n').map((s) => s.trim()).filter(Boolean)).toEqual(['1', '2']);
    expect((await lab.on('rs-tun', 'ip -o addr show dev tunl0')).stdout).toContain(`${VIP}/32`);
    expect((await lab.on('rs-nat', 'ip route show default')).stdout).toMatch(/via 192\.0\.2\.1/);
    expect((await lab.on('dir1', 'ip -o addr show')).stdout).toContain(`${VIP}/`);
    expect((await lab.on('dir2', 'ip -o addr show')).stdout).not.toContain(`${VIP}/`);
    const v = await lab.lvsible('verify', ...inv());
    expect(v.code, v.all).toBe(0);
    // The pair's two VRRP addresses, each on exactly one director; and the NAT way back on both.
    expect(v.stdout).toMatch(/✓ VIP 198\.51\.100\.10 \(VI_1\): held by dir1/);
    expect(v.stdout).toMatch(/✓ VIP 192\.0\.2\.1 \(VI_1\): held by dir1/);
    expect(v.stdout.match(/✓ net\.ipv4\.ip_forward: 1/g)).toHaveLength(2);
  }, 300_000);

  it('requests to the VIP are answered by the NAT, DR and TUN realservers', async () => {
    const counts = await lab.requests(30);
    expect(counts, JSON.stringify(counts)).toMatchObject(answeredByAll);
    expect(counts.FAILED ?? 0, JSON.stringify(counts)).toBe(0);
  }, 300_000);

  it('a second apply changes nothing, and plan exits 0', async () => {
    const r = await lab.lvsible('apply', ...inv(), site, '--json');
    lab.timings.applyNoop = r.seconds;
    expect(r.code, r.all).toBe(0);
    const doc = JSON.parse(r.stdout) as { recap: Record<string, { changed: number }>; roundTrips: Record<string, number>; verify: { drift: boolean } };
    for (const [h, s] of Object.entries(doc.recap)) expect({ h, changed: s.changed }).toEqual({ h, changed: 0 });
    // One round trip for facts, one for all of a host's reads in each play.
    for (const h of ['rs-nat', 'rs-dr', 'rs-tun', 'dir1', 'dir2']) expect(doc.roundTrips[h]).toBe(2);
    expect(doc.verify.drift).toBe(false);
    const p = await lab.lvsible('plan', ...inv(), site);
    lab.timings.planConverged = p.seconds;
    expect(p.code, p.all).toBe(0);
  }, 900_000);

  it('drift is detected: verify exits 3 when a realserver loses its VIP, apply repairs it', async () => {
    await lab.on('rs-dr', `sudo ip addr del ${VIP}/32 dev lo`);
    const v = await lab.lvsible('verify', ...inv());
    expect(v.code, v.all).toBe(3);
    expect(v.stdout).toMatch(/VIP 198\.51\.100\.10\/32: want on lo, got absent/);
    const r = await lab.lvsible('apply', ...inv(), site, '--limit', 'rs-dr');
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout)['rs-dr']!.changed).toBeGreaterThan(0);
  }, 600_000);

  const weightOf = async (dir: string, rip: string) => {
    const line = (await lab.on(dir, 'sudo ipvsadm -Ln')).stdout.split('\n').find((l) => l.includes(`-> ${rip}:80`));
    return line ? Number(line.trim().split(/\s+/)[3]) : undefined;
  };
  /** keepalived's health checks may have the realserver out of IPVS for a moment after its service restarted. */
  const settledWeight = async (dir: string, rip: string, want: number) => {
    let got: number | undefined;
    for (let i = 0; i < 30 && (got = await weightOf(dir, rip)) !== want; i++) await new Promise((r) => setTimeout(r, 1000));
    return got;
  };

  it('drain takes rs-dr out on both directors and waits; plan and verify show it drained; restore brings it back', async () => {
    const d = await lab.lvsible('drain', ...inv(), 'rs-dr', '--reason', 'e2e maintenance', '--timeout', '60');
    lab.timings.drain = d.seconds;
    expect(d.code, d.all).toBe(0);
    expect(d.stdout).toMatch(/drain: done in \d+ s: no connection left to rs-dr/);
    for (const dir of ['dir1', 'dir2']) expect(await weightOf(dir, '198.51.100.21')).toBe(0);
    const during = await lab.requests(9);
    expect(during['rs-dr'], JSON.stringify(during)).toBeUndefined();
    // The record is on the directors: a later plan by anyone changes nothing and says why.
    const p = await lab.lvsible('plan', ...inv(), site);
    expect(p.code, p.all).toBe(0);
    expect(p.stdout).toMatch(/dir1: rs-dr \(198\.51\.100\.21\) drained since \S+ by \S+: e2e maintenance: kept at weight 0/);
    const v = await lab.lvsible('verify', ...inv());
    expect(v.code, v.all).toBe(0);
    expect(v.stdout).toMatch(/-> 198\.51\.100\.21:80\s+dr\s+weight 0 \(drained\)/);
    const r = await lab.lvsible('restore', ...inv(), 'rs-dr');
    lab.timings.restore = r.seconds;
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('restore: rs-dr answers on 198.51.100.21:80');
    for (const dir of ['dir1', 'dir2']) expect(await settledWeight(dir, '198.51.100.21', 1)).toBe(1);
    expect((await lab.on('dir1', 'ls -A /var/lib/lvsible/drained')).stdout.trim()).toBe('');
    const after = await lab.requests(9);
    expect(after, JSON.stringify(after)).toMatchObject(answeredByAll);
  }, 900_000);

  it('restore refuses a realserver that does not answer on its RIP, and it stays drained', async () => {
    expect((await lab.lvsible('drain', ...inv(), 'rs-tun', '--no-wait')).code).toBe(0);
    await lab.on('rs-tun', 'sudo systemctl stop lvsible-http');
    const r = await lab.lvsible('restore', ...inv(), 'rs-tun');
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toMatch(/rs-tun does not answer on 198\.51\.100\.31:80 from dir1: it stays drained/);
    for (const dir of ['dir1', 'dir2']) expect((await lab.on(dir, 'ls -A /var/lib/lvsible/drained')).stdout.trim()).toBe('198.51.100.31');
    await lab.on('rs-tun', 'sudo systemctl start lvsible-http');
    const again = await lab.lvsible('restore', ...inv(), 'rs-tun');
    expect(again.code, again.all).toBe(0);
    for (const dir of ['dir1', 'dir2']) expect(await settledWeight(dir, '198.51.100.31', 1)).toBe(1);
  }, 600_000);

  it('a rolling deploy (examples/mixed/rolling-deploy.yml) restarts each realserver drained, one batch at a time', async () => {
    const r = await lab.lvsible('apply', ...inv(), join(example, 'rolling-deploy.yml'), '--no-verify');
    lab.timings.rolling = r.seconds;
    expect(r.code, r.all).toBe(0);
    const order = [...r.stdout.matchAll(/^rolling: (rs-\S+) (drained in \d+ s|back in service)$/gm)].map((m) => `${m[1]} ${m[2]!.startsWith('back') ? 'back' : 'out'}`);
    expect(order).toEqual(['rs-nat out', 'rs-nat back', 'rs-dr out', 'rs-dr back', 'rs-tun out', 'rs-tun back']);
    expect(r.stdout.match(/changed: \[rs-\S+\] restart the HTTP service/g)).toHaveLength(3);
    for (const dir of ['dir1', 'dir2']) for (const rip of ['192.0.2.11', '198.51.100.21', '198.51.100.31']) expect(await settledWeight(dir, rip, 1)).toBe(1);
    const after = await lab.requests(9);
    expect(after, JSON.stringify(after)).toMatchObject(answeredByAll);
  }, 900_000);

  it('stopping keepalived on the MASTER moves the VIP to the BACKUP; requests keep being answered', async () => {
    await lab.on('dir1', 'sudo systemctl stop keepalived');
    let moved = false;
    for (let i = 0; i < 30 && !moved; i++) {
      moved = (await lab.on('dir2', 'ip -o addr show')).stdout.includes(`${VIP}/`);
      if (!moved) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(moved).toBe(true);
    expect((await lab.on('dir2', 'ip -o addr show')).stdout).toContain('192.0.2.1/');
    const counts = await lab.requests(30);
    expect(counts, JSON.stringify(counts)).toMatchObject(answeredByAll);
    // verify follows the VIP to its new holder (and reports dir1, whose keepalived is stopped, as drift).
    const v = await lab.lvsible('verify', ...inv());
    expect(v.code, v.all).toBe(3);
    expect(v.stdout).toMatch(/✓ VIP 198\.51\.100\.10 \(VI_1\): held by dir2/);
  }, 300_000);
});
