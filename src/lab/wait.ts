import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, LabError, sleep, tail } from './proc.js';
import { sshRun } from './ssh.js';
import type { LabState, VmState } from './state.js';
import { BOOT_HEADER, consolePath } from './vm.js';

function logTail(file: string, lines: number): string {
  return existsSync(file) ? tail(readFileSync(file, 'utf8'), lines) : '(empty)';
}

/** Why a VM is not up, with the end of its console (and qemu's own messages when qemu died). */
export function bootFailure(vm: VmState, reason: string): string {
  const qemu = logTail(join(vm.dir, 'qemu.log'), 5);
  return [
    `${vm.name}: ${reason}`,
    ...(isAlive(vm.pid) ? [] : [`  qemu said: ${qemu.replace(/\n/g, '\n    ')}`]),
    `  console (${consolePath(vm.dir)}), last lines:`,
    `    ${logTail(consolePath(vm.dir), 20).replace(/\n/g, '\n    ')}`,
  ].join('\n');
}

/**
 * Kernel messages that mean this boot will not finish in useful time. Seen in CI under TCG on a loaded
 * 2-CPU host: a task stuck in finit_module (a module load), a kernel stack trace at 363 s, and the VM never
 * reaching sshd within 420 s while its five siblings booted in about 140 s.
 */
const HANG = [
  /INFO: task \S+ blocked for more than \d+ seconds/,
  /BUG: soft lockup/,
  /Kernel panic - not syncing/,
];

/** The first hang message in console text written since this boot started, or undefined. */
export function hangMessage(console: string): string | undefined {
  for (const line of console.split('\n')) if (HANG.some((re) => re.test(line))) return line.replace(/^\[\s*[\d.]+\]\s*/, '').trim();
  return undefined;
}

/** How a boot is watched: when a VM is declared hung, and how often it may be started again. */
export interface Watchdog {
  /** A VM whose console has been silent this long without an SSH login is hung. */
  silentMs: number;
  /** Starts again per VM before it counts as failed. */
  restarts: number;
  /** Stop the hung qemu and start it again (same disk, same port); returns the new pid. */
  relaunch: (vm: VmState) => Promise<number>;
  /** Called after a restart so the recorded pid is the live one. */
  onRestart?: (vm: VmState) => void;
}

function consoleSize(vm: VmState): number {
  try {
    return statSync(consolePath(vm.dir)).size;
  } catch {
    return 0;
  }
}

/**
 * Where the current boot's output starts in the console (which keeps every boot of the VM): just after
 * its header line. The header of a restart quotes the hang that caused it, so it must not be read again.
 */
function bootStart(vm: VmState): number {
  try {
    const text = readFileSync(consolePath(vm.dir));
    const at = text.lastIndexOf(BOOT_HEADER);
    if (at < 0) return 0;
    const eol = text.indexOf('\n', at);
    return eol < 0 ? text.length : eol + 1;
  } catch {
    return 0;
  }
}

function consoleSince(vm: VmState, offset: number): string {
  try {
    return readFileSync(consolePath(vm.dir)).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/**
 * Poll one VM until a real SSH login with strict host key checking works, or it fails. With a watchdog,
 * a boot that hangs (a kernel hang message, qemu dying, or a console silent for `silentMs`) is stopped and
 * started again, each restart with a fresh `timeoutMs` budget: a hard reset, as an operator would do.
 */
async function waitOne(state: LabState, vm: VmState, timeoutMs: number, log: (s: string) => void, dog?: Watchdog): Promise<string | undefined> {
  let deadline = Date.now() + timeoutMs;
  let last = '';
  let restarts = 0;
  const why: string[] = [];
  let bootOffset = bootStart(vm);
  let seenSize = consoleSize(vm);
  let seenAt = Date.now();
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    let hung: string | undefined;
    if (!isAlive(vm.pid)) hung = 'qemu exited during boot';
    const size = consoleSize(vm);
    if (size !== seenSize) [seenSize, seenAt] = [size, Date.now()];
    if (!hung && dog) {
      const msg = hangMessage(consoleSince(vm, bootOffset));
      if (msg) hung = `the kernel reported: ${msg}`;
      else if (Date.now() - seenAt >= dog.silentMs) hung = `its console was silent for ${Math.round((Date.now() - seenAt) / 1000)} s`;
    }
    if (hung) {
      if (!dog || restarts >= dog.restarts) return bootFailure(vm, restarts ? `${hung} (after ${why.join('; ')})` : hung);
      restarts++;
      why.push(`restart ${restarts}: ${hung}`);
      log(`${vm.name}: restarting it, ${hung}`);
      appendFileSync(consolePath(vm.dir), `\n${BOOT_HEADER} ${new Date().toISOString()}: restarted, ${hung} =====\n`);
      bootOffset = bootStart(vm);
      vm.pid = await dog.relaunch(vm);
      dog.onRestart?.(vm);
      [seenSize, seenAt] = [consoleSize(vm), Date.now()];
      deadline = Date.now() + timeoutMs;
      continue;
    }
    const left = deadline - Date.now();
    const r = await sshRun(state, vm, 'true', Math.max(1000, Math.min(15_000, left)));
    if (r.code === 0) return undefined;
    last = r.stderr.trim().split('\n').pop() ?? '';
    await sleep(2000);
  }
  const after = why.length ? `; after ${why.join('; ')}` : '';
  return bootFailure(vm, `no SSH login before the timeout${last ? ` (last error: ${last})` : ''}${after}`);
}

/** Wait for every VM in parallel; one error listing each VM that did not come up. */
export async function waitForSsh(state: LabState, timeoutMs: number, log: (s: string) => void, dog?: Watchdog): Promise<void> {
  const start = Date.now();
  const failures = await Promise.all(
    state.vms.map(async (vm) => {
      const f = await waitOne(state, vm, timeoutMs, log, dog);
      if (!f) log(`${vm.name} is up (ssh on 127.0.0.1:${vm.sshPort}) after ${((Date.now() - start) / 1000).toFixed(1)} s`);
      return f;
    }),
  );
  const bad = failures.filter((f): f is string => !!f);
  if (bad.length) throw new LabError(`${bad.length} of ${state.vms.length} lab VMs did not come up within ${Math.round(timeoutMs / 1000)} s:`, bad.join('\n\n'));
}
