import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downLab } from '../../src/lab/down.js';
import { labUp, type UpResult } from '../../src/lab/lab.js';
import { labPaths, projectRoot } from '../../src/lab/paths.js';
import { isListening } from '../../src/lab/ports.js';
import { isAlive, runRaw } from '../../src/lab/proc.js';
import { sshRun } from '../../src/lab/ssh.js';

/**
 * End to end on the shared lab topology (6 VMs): boot, run a playbook with the real CLI over SSH (a
 * package through the lab's proxy, a sysctl, a kernel module, a file), read the results back from the
 * VMs, run it again (changed=0), tear down. The lab runs in a directory of its own: the project's .lab
 * and inventories/lab stay untouched. If the lab cannot start, beforeAll throws and every test fails
 * with the reason.
 */
const root = projectRoot();
const env = { ...process.env, LVSIBLE_LAB_DIR: mkdtempSync(join(tmpdir(), 'lvsible-smoke-')), NO_COLOR: '1', FORCE_COLOR: '0' };
const paths = labPaths(env);
const playbook = resolve(root, 'test/e2e/playbooks/smoke.yml');
const cli = resolve(root, 'bin/lvsible.js');
let up: UpResult;
const timings: Record<string, number> = {};

interface Recap { ok: number; changed: number; unreachable: number; failed: number }
function recap(out: string): Record<string, Recap> {
  const rows: Record<string, Recap> = {};
  const text = out.slice(out.lastIndexOf('PLAY RECAP'));
  for (const m of text.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    rows[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) };
  }
  return rows;
}

async function lvsible(...args: string[]) {
  const t = Date.now();
  const r = await runRaw(process.execPath, [cli, ...args], { env, cwd: root, timeoutMs: 900_000 });
  return { ...r, seconds: (Date.now() - t) / 1000, all: `${r.stdout}\n${r.stderr}` };
}

const on = async (name: string, cmd: string) => {
  const vm = up.state.vms.find((v) => v.name === name)!;
  const r = await sshRun(up.state, vm, cmd, 60_000);
  return r.stdout.trim();
};

beforeAll(async () => {
  if (!existsSync(resolve(root, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: the smoke test runs the built CLI (npm test builds it first; or run npm run build)');
  up = await labUp({ topology: 'default', paths, log: (l) => console.log(`[lab] ${l}`) });
  Object.assign(timings, up.timings);
}, 1_500_000);

afterAll(async () => {
  const t = Date.now();
  await downLab(paths).then(() => rmSync(paths.labDir, { recursive: true, force: true }), (e) => console.error(e));
  timings.cleanup = (Date.now() - t) / 1000;
  console.log('[smoke] timings (s):', JSON.stringify(timings));
}, 120_000);

describe('lab smoke', () => {
  it('lab status (through the CLI) shows every VM reachable with strict host keys', async () => {
    const r = await lvsible('lab', 'status');
    expect(r.code, r.all).toBe(0);
    for (const vm of ['client', 'dir1', 'dir2', 'rs-nat', 'rs-dr', 'rs-tun']) expect(r.stdout).toMatch(new RegExp(`^${vm}\\s.*reachable$`, 'm'));
    expect(r.stdout).not.toMatch(/UNREACHABLE/);
  }, 120_000);

  it('apply converges the lab: package through the proxy, sysctl, kernel module, file', async () => {
    const r = await lvsible('apply', '-i', paths.inventoryDir, playbook);
    timings.applyFirst = r.seconds;
    expect(r.code, r.all).toBe(0);
    const rows = recap(r.stdout);
    expect(Object.keys(rows).sort(), r.all).toEqual(['client', 'dir1', 'dir2', 'rs-dr', 'rs-nat', 'rs-tun']);
    for (const [host, s] of Object.entries(rows)) {
      expect(s.failed + s.unreachable, `${host}\n${r.all}`).toBe(0);
      expect(s.changed, `${host} should have changed`).toBeGreaterThan(0);
    }
  }, 900_000);

  it('the VMs really are in the declared state (read back over SSH)', async () => {
    for (const d of ['dir1', 'dir2']) {
      expect(await on(d, "dpkg-query -W -f='${Status}' ipvsadm")).toBe('install ok installed');
      expect(await on(d, 'cat /proc/sys/net/ipv4/ip_forward')).toBe('1');
      expect(await on(d, 'grep -c "^ip_vs " /proc/modules')).toBe('1');
      expect(await on(d, 'sudo ipvsadm -Ln | head -1')).toMatch(/^IP Virtual Server version/);
    }
    for (const h of ['client', 'dir1', 'rs-nat', 'rs-tun']) {
      expect(await on(h, 'cat /etc/lvsible-smoke; stat -c %a /etc/lvsible-smoke')).toBe(`smoke test on ${h}\n644`);
    }
    expect(await on('client', "dpkg-query -W -f='${Status}' ipvsadm 2>/dev/null || echo absent")).toMatch(/absent|not-installed/);
  }, 120_000);

  it('a second apply changes nothing (PLAY RECAP changed=0 on every host)', async () => {
    const r = await lvsible('apply', '-i', paths.inventoryDir, playbook);
    timings.applyNoop = r.seconds;
    expect(r.code, r.all).toBe(0);
    const rows = recap(r.stdout);
    expect(Object.keys(rows)).toHaveLength(6);
    for (const [host, s] of Object.entries(rows)) expect({ host, ...s }).toMatchObject({ host, changed: 0, failed: 0, unreachable: 0 });
  }, 600_000);

  it('a boot unit follows its device: when lvsdummy0 is re-created, systemd puts the address back by itself', async () => {
    expect(await on('client', 'ip -o addr show dev lvsdummy0')).toContain('inet 192.0.2.77/32');
    const unit = 'lvsible-addr-lvsdummy0-192.0.2.77_32.service';
    // apply added the address live and only installed the unit (it runs at boot): nothing has started it yet.
    expect(await on('client', `sudo systemctl is-active ${unit}`)).toBe('inactive');
    // A new device, no address: only the unit being wanted by the device can bring it back.
    expect(await on('client', 'sudo ip link del lvsdummy0 && sudo ip link add lvsdummy0 type dummy && echo re-created')).toBe('re-created');
    let addr = '';
    for (let i = 0; i < 30 && !addr.includes('192.0.2.77'); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      addr = await on('client', 'ip -o addr show dev lvsdummy0');
    }
    expect(addr).toContain('inet 192.0.2.77/32');
    expect(await on('client', `sudo systemctl is-active ${unit}`)).toBe('active');
  }, 180_000);

  it('lab down (through the CLI) stops every VM and the proxy and closes every port', async () => {
    const pids = [...up.state.vms.map((v) => v.pid), up.state.proxy.pid];
    const ports = [...up.state.vms.map((v) => v.sshPort), up.state.proxy.port];
    const t = Date.now();
    const r = await lvsible('lab', 'down');
    timings.down = (Date.now() - t) / 1000;
    expect(r.code, r.all).toBe(0);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    for (const p of ports) expect(await isListening(p), `port ${p}`).toBe(false);
  }, 120_000);
});
