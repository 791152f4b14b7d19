import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, recap, root, VIP } from './harness.js';

/**
 * The ipvsadm-managed path on real kernels (examples/dr: one director, no keepalived): the ipvs module
 * programs and persists the table; everything survives a reboot of every VM; a realserver that leaves is
 * drained and removed without a flush.
 */
const lab = e2eLab('dr');
const example = resolve(root, 'examples/dr');
const site = join(example, 'site.yml');

beforeAll(() => lab.up(), 1_500_000);
afterAll(async () => {
  await lab.down();
  console.log('[lvs-dr] timings (s):', JSON.stringify(lab.timings));
}, 120_000);

describe('DR through one director, IPVS programmed by lvsible', () => {
  it('apply programs IPVS with one ipvsadm -R batch, persists it, and verifies', async () => {
    const r = await lab.lvsible('apply', ...lab.inv(join(example, 'inventory')), site, '-v');
    lab.timings.applyFirst = r.seconds;
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toMatch(/\$ ipvsadm -R/);
    expect(r.stdout).not.toMatch(/ipvsadm (-C|--clear)/);
    expect(r.stdout).toMatch(/verified: the live cluster matches the model/);
    expect((await lab.on('dir1', 'sudo cat /etc/ipvsadm.rules')).stdout).toMatch(/^-a -t 198\.51\.100\.10:80 -r 198\.51\.100\.21:80 -g -w 1/m);
    expect((await lab.on('dir1', 'cat /etc/default/ipvsadm')).stdout).toMatch(/^AUTO="true"$/m);
    expect((await lab.on('dir1', 'sudo ipvsadm -Ln --timeout')).stdout).toMatch(/^Timeout \(tcp tcpfin udp\): 3600 60 120$/m);
    // sudo: the minimal image has no D-Bus, and an unprivileged systemctl can only ask systemd through it.
    expect((await lab.on('dir1', 'sudo systemctl is-enabled lvsible-ipvs-timeouts.service')).stdout.trim()).toBe('enabled');
  }, 1_200_000);

  it('the client reaches the realserver through the VIP, and a second apply changes nothing', async () => {
    const counts = await lab.requests(10);
    expect(counts, JSON.stringify(counts)).toEqual({ 'rs-dr': 10 });
    const r = await lab.lvsible('apply', ...lab.inv(join(example, 'inventory')), site, '--json');
    lab.timings.applyNoop = r.seconds;
    expect(r.code, r.all).toBe(0);
    const doc = JSON.parse(r.stdout) as { recap: Record<string, { changed: number }>; roundTrips: Record<string, number> };
    expect(doc.recap.dir1!.changed).toBe(0);
    expect(doc.recap['rs-dr']!.changed).toBe(0);
    expect(doc.roundTrips.dir1).toBe(2);
  }, 900_000);

  it('everything survives a reboot of every VM: verify passes and requests are answered', async () => {
    await lab.down();
    await lab.up();
    expect((await lab.on('dir1', 'sudo ipvsadm -Ln')).stdout).toMatch(/->\s+198\.51\.100\.21:80\s+Route/);
    // Not in the rules file: the boot unit set them again (the kernel would say 900 120 300).
    expect((await lab.on('dir1', 'sudo ipvsadm -Ln --timeout')).stdout).toMatch(/^Timeout \(tcp tcpfin udp\): 3600 60 120$/m);
    // Every boot unit of lvsible started (the VIP's unit on dir1 once timed out waiting for eth1 on a slow boot).
    for (const vm of ['dir1', 'rs-dr']) {
      expect((await lab.on(vm, "sudo systemctl list-units --failed --plain --no-legend 'lvsible-*'")).stdout.trim(), vm).toBe('');
    }
    const v = await lab.lvsible('verify', ...lab.inv(join(example, 'inventory')));
    expect(v.code, v.all).toBe(0);
    expect(v.stdout).toMatch(/✓ VIP 198\.51\.100\.10\/32: on eth1/);
    expect(await lab.requests(5)).toEqual({ 'rs-dr': 5 });
    const p = await lab.lvsible('plan', ...lab.inv(join(example, 'inventory')), site);
    expect(p.code, p.all).toBe(0);
  }, 1_500_000);

  it('a director that lost its VIP is drift (its table alone looks perfect); apply puts the VIP back', async () => {
    await lab.on('dir1', `sudo ip addr del ${VIP}/32 dev eth1`);
    const v = await lab.lvsible('verify', ...lab.inv(join(example, 'inventory')));
    expect(v.code, v.all).toBe(3);
    expect(v.stdout).toMatch(/✗ VIP 198\.51\.100\.10\/32: want on eth1, got absent/);
    expect(v.stdout).toMatch(/✓ TCP 198\.51\.100\.10:80 rr/);
    const r = await lab.lvsible('apply', ...lab.inv(join(example, 'inventory')), site);
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout).dir1!.changed).toBe(1);
    expect(await lab.requests(3)).toEqual({ 'rs-dr': 3 });
  }, 600_000);

  it('plan --out then apply FILE applies that plan; after the realserver drifted in between, apply FILE is refused and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsible-dr-plan-'));
    const planFile = join(dir, 'arp.plan');
    // A realserver that answers ARP for the VIP (the seeds' classic mistake): the plan puts it right.
    await lab.on('rs-dr', 'sudo sysctl -qw net.ipv4.conf.all.arp_ignore=0');
    const plan = await lab.lvsible('plan', ...lab.inv(join(example, 'inventory')), site, '--out', planFile);
    expect(plan.code, plan.all).toBe(2);
    expect(plan.stdout).toMatch(/would change: \[rs-dr\]/);
    const applied = await lab.lvsible('apply', planFile);
    expect(applied.code, applied.all).toBe(0);
    expect(recap(applied.stdout)['rs-dr']!.changed).toBeGreaterThan(0);
    expect(applied.stdout).toMatch(/verified: the live cluster matches the model/);
    expect((await lab.on('rs-dr', 'cat /proc/sys/net/ipv4/conf/all/arp_ignore')).stdout.trim()).toBe('1');

    // Planned with arp_announce wrong; then, before the apply, someone takes the VIP off lo as well.
    await lab.on('rs-dr', 'sudo sysctl -qw net.ipv4.conf.all.arp_announce=0');
    const again = await lab.lvsible('plan', ...lab.inv(join(example, 'inventory')), site, '--out', planFile);
    expect(again.code, again.all).toBe(2);
    await lab.on('rs-dr', `sudo ip addr del ${VIP}/32 dev lo`);
    const refused = await lab.lvsible('apply', planFile);
    expect(refused.code, refused.all).toBe(1);
    expect(refused.stdout).toMatch(/rs-dr: ip_address [^:]*: changed since the plan was made/);
    expect(refused.stdout).toMatch(/nothing was applied/);
    expect((await lab.on('rs-dr', 'cat /proc/sys/net/ipv4/conf/all/arp_announce')).stdout.trim()).toBe('0');
    expect((await lab.on('rs-dr', 'ip -o addr show dev lo')).stdout).not.toContain(VIP);

    // A plain apply puts it right again.
    const fixed = await lab.lvsible('apply', ...lab.inv(join(example, 'inventory')), site);
    expect(fixed.code, fixed.all).toBe(0);
    expect(await lab.requests(3)).toEqual({ 'rs-dr': 3 });
  }, 900_000);

  it('a realserver added then removed is programmed, then drained and deleted (no flush)', async () => {
    // The same cluster with the TUN realserver joining the service.
    const grown = mkdtempSync(join(tmpdir(), 'lvsible-dr-grown-'));
    cpSync(join(example, 'inventory'), grown, { recursive: true });
    const cluster = readFileSync(join(grown, 'cluster.yml'), 'utf8');
    writeFileSync(join(grown, 'cluster.yml'), cluster.replace('- { host: rs-dr, method: dr }', '- { host: rs-dr, method: dr }\n        - { host: rs-tun, method: tun }'));
    const add = await lab.lvsible('apply', ...lab.inv(grown), site);
    expect(add.code, add.all).toBe(0);
    expect(recap(add.stdout)['rs-tun']!.changed).toBeGreaterThan(0);
    const both = await lab.requests(10);
    expect(both, JSON.stringify(both)).toMatchObject({ 'rs-dr': expect.any(Number), 'rs-tun': expect.any(Number) });

    const shrink = await lab.lvsible('apply', ...lab.inv(join(example, 'inventory')), site, '-e', '{"lvs_ipvs_drain_timeout": 5}');
    expect(shrink.code, shrink.all).toBe(0);
    expect(shrink.stdout).toMatch(/drain/i);
    const list = (await lab.on('dir1', 'sudo ipvsadm -Ln')).stdout;
    expect(list).not.toContain('198.51.100.31');
    expect(list).toMatch(/->\s+198\.51\.100\.21:80\s+Route/);
    expect(await lab.requests(5)).toEqual({ 'rs-dr': 5 });
  }, 1_200_000);
});
