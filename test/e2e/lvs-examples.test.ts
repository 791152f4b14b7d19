import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, recap, root, VIP } from './harness.js';

/**
 * The examples that lvs-mixed and lvs-dr do not run, each as an operator would: applied as it is on one lab,
 * answering through the VIP, unchanged by a second apply, then removed with `lvs_state=absent` (the roles'
 * teardown, on real kernels) so that the next example starts from hosts with no cluster on them.
 */
const lab = e2eLab('examples');

beforeAll(() => lab.up(), 1_500_000);
afterAll(async () => {
  await lab.down();
  console.log('[lvs-examples] timings (s):', JSON.stringify(lab.timings));
}, 120_000);

interface Example {
  name: string;
  /** Realservers that answer through the VIP. */
  answers: string[];
  /** Hosts the example configures. */
  hosts: string[];
}

const examples: Example[] = [
  { name: 'nat', answers: ['rs-nat'], hosts: ['dir1', 'rs-nat'] },
  { name: 'tun', answers: ['rs-tun'], hosts: ['dir1', 'rs-tun'] },
  // Seed 000: persistence 60 s, so one client sticks to one of the two realservers.
  { name: 'keepalived-ha', answers: ['rs-dr', 'rs-tun'], hosts: ['dir1', 'dir2', 'rs-dr', 'rs-tun'] },
];

/** Wait (bounded) until some request through the VIP is answered: a keepalived pair elects its master first. */
async function firstAnswer(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const c = await lab.requests(1);
    if (!c.FAILED) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe.each(examples)('examples/$name on the lab', ({ name, answers, hosts }) => {
  const example = resolve(root, 'examples', name);
  const site = join(example, 'site.yml');
  const inv = () => lab.inv(join(example, 'inventory'));

  it('applies as it is and verifies; the VIP answers; a second apply changes nothing', async () => {
    const r = await lab.lvsible('apply', ...inv(), site);
    lab.timings[`${name}Apply`] = r.seconds;
    expect(r.code, r.all).toBe(0);
    const rows = recap(r.stdout);
    for (const h of hosts) expect(rows[h], `${h}\n${r.all}`).toMatchObject({ failed: 0, unreachable: 0 });
    expect(r.stdout).toMatch(/verified: the live cluster matches the model/);

    await firstAnswer();
    const counts = await lab.requests(10);
    expect(counts.FAILED, JSON.stringify(counts)).toBeUndefined();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(10);
    for (const who of Object.keys(counts)) expect(answers, JSON.stringify(counts)).toContain(who);

    const again = await lab.lvsible('apply', ...inv(), site, '--json');
    lab.timings[`${name}Noop`] = again.seconds;
    expect(again.code, again.all).toBe(0);
    const doc = JSON.parse(again.stdout) as { recap: Record<string, { changed: number }> };
    for (const h of hosts) expect(doc.recap[h]!.changed, `${h} changed on the second apply`).toBe(0);
  }, 1_500_000);

  it('lvs_state=absent removes it from every host, and a second removal changes nothing', async () => {
    const absent = ['-e', '{"lvs_state": "absent"}'];
    const r = await lab.lvsible('apply', ...inv(), site, ...absent);
    lab.timings[`${name}Absent`] = r.seconds;
    expect(r.code, r.all).toBe(0);
    expect(r.all).toMatch(/verify skipped: lvs_state=absent/);

    // ip_vs unloaded, so no virtual service is left. (Not `ipvsadm -Sn`: ipvsadm would modprobe ip_vs back.)
    const ipvsLoaded = async () => (await lab.on('dir1', 'test -e /proc/net/ip_vs && echo loaded || echo absent')).stdout.trim();
    expect(await ipvsLoaded()).toBe('absent');
    for (const h of hosts) {
      expect((await lab.on(h, 'ip -o addr show')).stdout, h).not.toContain(`${VIP}/`);
      // No boot unit left behind (VIPs, routes, IPVS timeouts), nor any of its enable links in a `.wants/`
      // directory (multi-user.target's or a device's): the next boot brings nothing back. The lab image's own
      // units (identity seed, HTTP responder) share the prefix and stay.
      const units = await lab.on(h, "find /etc/systemd/system -name 'lvsible-*' ! -name lvsible-seed.service ! -name lvsible-http.service");
      expect(units.stdout.trim(), h).toBe('');
    }
    expect(await lab.requests(2)).toEqual({ FAILED: 2 });

    const again = await lab.lvsible('apply', ...inv(), site, ...absent, '--json');
    expect(again.code, again.all).toBe(0);
    const doc = JSON.parse(again.stdout) as { recap: Record<string, { changed: number }>; plays: Array<{ tasks: Array<{ host: string; task: string; status: string; changes: unknown }> }> };
    // On failure, say which tasks changed and how.
    const changed = (h: string) => JSON.stringify(doc.plays.flatMap((p) => p.tasks).filter((t) => t.host === h && t.status === 'changed'));
    for (const h of hosts) expect(doc.recap[h]!.changed, `${h} changed on the second removal: ${changed(h)}`).toBe(0);

    // verify now reports the whole cluster missing, and reading did not load ip_vs back (ipvsadm would have).
    const v = await lab.lvsible('verify', ...inv());
    expect(v.code, v.all).toBe(3);
    expect(v.stdout).toMatch(/director dir1 .*ip_vs is not loaded/);
    expect(await ipvsLoaded()).toBe('absent');
  }, 900_000);
});
