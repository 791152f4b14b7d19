import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/lab/proc.js';
import type { LabState, VmState } from '../../src/lab/state.js';
import { consolePath, stopPid } from '../../src/lab/vm.js';
import { hangMessage, waitForSsh, type Watchdog } from '../../src/lab/wait.js';

/**
 * The boot watchdog against real processes standing in for qemu (`sleep`) and a console file the test
 * writes. SSH goes to port 1 on loopback, which refuses at once, so no VM ever comes up here: these
 * tests pin when a boot is declared hung, that a restart gets its own budget, and that restarts are
 * bounded. The lab lifecycle e2e shows a real frozen qemu restarted into a working VM.
 */
const root = mkdtempSync(join(tmpdir(), 'lvsible-watchdog-'));
const pids: number[] = [];
afterAll(async () => {
  for (const pid of pids) await stopPid(pid, 500);
  rmSync(root, { recursive: true, force: true });
});

function fakeQemu(): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  pids.push(child.pid!);
  return child.pid!;
}

function fakeLab(name: string): { state: LabState; vm: VmState } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(consolePath(dir), '===== lvsible lab up =====\n');
  const vm: VmState = { name, pid: fakeQemu(), sshPort: 1, groups: [], interfaces: {}, hostPublicKey: '', dir };
  const state = {
    vms: [vm],
    keyFile: join(dir, 'no-key'),
    knownHostsFile: join(dir, 'no-known-hosts'),
  } as unknown as LabState;
  return { state, vm };
}

function dog(over: Partial<Watchdog> & { calls: string[] }): Watchdog {
  return {
    silentMs: 60_000,
    restarts: 1,
    relaunch: async (vm) => {
      over.calls.push(`relaunch ${vm.name} (old pid alive: ${isAlive(vm.pid)})`);
      await stopPid(vm.pid, 500);
      return fakeQemu();
    },
    ...over,
  };
}

describe('hang messages', () => {
  it('finds the kernel messages that mean a boot is stuck, and nothing in a normal boot', () => {
    expect(hangMessage('[  363.1] INFO: task systemd-udevd:163 blocked for more than 120 seconds.\n')).toBe('INFO: task systemd-udevd:163 blocked for more than 120 seconds.');
    expect(hangMessage('[ 88.0] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [modprobe:201]')).toMatch(/soft lockup/);
    expect(hangMessage('[ 9.9] Kernel panic - not syncing: VFS: Unable to mount root fs')).toMatch(/^Kernel panic/);
    const normal = [
      '[  103.56] AVX2 version of gcm_enc/dec engaged.',
      '[   79.27] clocksource: Long readout interval, skipping watchdog check: cs_nsec: 1238423615',
      '[   40.21] systemd[1]: Reached target swap.target - Swaps.',
    ].join('\n');
    expect(hangMessage(normal)).toBeUndefined();
  });
});

describe('boot watchdog', () => {
  it('restarts a VM once when its kernel reports a hang, then gives up naming both reasons', async () => {
    const { state, vm } = fakeLab('hung');
    const first = vm.pid;
    const calls: string[] = [];
    const logs: string[] = [];
    appendFileSync(consolePath(vm.dir), '[  363.4] INFO: task modprobe:201 blocked for more than 120 seconds.\n');
    // The second boot hangs too: written once the first restart has happened.
    const d = dog({
      calls,
      onRestart: (v) => appendFileSync(consolePath(v.dir), '[  120.0] watchdog: BUG: soft lockup - CPU#0 stuck for 23s!\n'),
    });
    const err = await waitForSsh(state, 30_000, (l) => logs.push(l), d).then(() => undefined, (e: Error) => e);
    expect(calls).toEqual(['relaunch hung (old pid alive: true)']);
    expect(isAlive(first)).toBe(false);
    expect(vm.pid).not.toBe(first);
    expect(logs).toEqual(['hung: restarting it, the kernel reported: INFO: task modprobe:201 blocked for more than 120 seconds.']);
    expect(err?.message).toMatch(/hung: the kernel reported: watchdog: BUG: soft lockup.*\(after restart 1: the kernel reported: INFO: task modprobe/);
  }, 60_000);

  it('a message from an earlier boot in the same console does not count again', async () => {
    const { state, vm } = fakeLab('old');
    // The console keeps every boot: the previous one hung, this one (after its header) is fine so far.
    appendFileSync(consolePath(vm.dir), '[  363.4] INFO: task modprobe:201 blocked for more than 120 seconds.\n\n===== lvsible lab up 2026-11-22 (tcg) =====\n[ 0.1] Linux version 6.1\n');
    const calls: string[] = [];
    const err = await waitForSsh(state, 5000, () => undefined, dog({ calls, restarts: 3 })).then(() => undefined, (e: Error) => e);
    expect(calls).toEqual([]);
    expect(err?.message).toMatch(/old: no SSH login before the timeout/);
  }, 60_000);

  it('the restart is written into the console, and a hang in the new boot is judged on its own', async () => {
    const { state, vm } = fakeLab('again');
    appendFileSync(consolePath(vm.dir), '[  363.4] INFO: task modprobe:201 blocked for more than 120 seconds.\n');
    const calls: string[] = [];
    const err = await waitForSsh(state, 5000, () => undefined, dog({ calls, restarts: 3 })).then(() => undefined, (e: Error) => e);
    // One restart only: the old message sits before the restart header.
    expect(calls).toHaveLength(1);
    expect(readFileSync(consolePath(vm.dir), 'utf8')).toMatch(/===== lvsible lab up \S+: restarted, the kernel reported: INFO: task modprobe:201 blocked/);
    expect(err?.message).toMatch(/again: no SSH login before the timeout.*; after restart 1: the kernel reported: INFO: task/);
  }, 60_000);

  it('restarts a VM whose console stays silent, and one whose qemu died', async () => {
    const silent = fakeLab('silent');
    const died = fakeLab('died');
    const state = { ...silent.state, vms: [silent.vm, died.vm] } as LabState;
    await stopPid(died.vm.pid, 500);
    const calls: string[] = [];
    const logs: string[] = [];
    const err = await waitForSsh(state, 12_000, (l) => logs.push(l), dog({ calls, silentMs: 3000 })).then(() => undefined, (e: Error) => e);
    expect(calls.sort()).toEqual(['relaunch died (old pid alive: false)', 'relaunch silent (old pid alive: true)']);
    expect(logs.find((l) => l.startsWith('silent:'))).toMatch(/^silent: restarting it, its console was silent for \d+ s$/);
    expect(logs.find((l) => l.startsWith('died:'))).toBe('died: restarting it, qemu exited during boot');
    expect(err?.message).toMatch(/^2 of 2 lab VMs did not come up/);
  }, 60_000);

  it('a console that keeps printing is not silent: no restart while the kernel is busy', async () => {
    const { state, vm } = fakeLab('busy');
    const calls: string[] = [];
    const timer = setInterval(() => appendFileSync(consolePath(vm.dir), '[ 1.0] systemd[1]: Starting something...\n'), 500);
    const err = await waitForSsh(state, 8000, () => undefined, dog({ calls, silentMs: 3000 })).then(() => undefined, (e: Error) => e);
    clearInterval(timer);
    expect(calls).toEqual([]);
    expect(err?.message).toMatch(/busy: no SSH login before the timeout/);
    expect(err?.message).not.toMatch(/after restart/);
  }, 60_000);

  it('without a watchdog (checking a running lab) nothing is restarted', async () => {
    const { state, vm } = fakeLab('plain');
    appendFileSync(consolePath(vm.dir), '[ 9.9] Kernel panic - not syncing: boom\n');
    const err = await waitForSsh(state, 3000, () => undefined).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/plain: no SSH login before the timeout/);
    expect(isAlive(vm.pid)).toBe(true);
  }, 30_000);
});
