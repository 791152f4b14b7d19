import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseAccel } from './accel.js';
import { ensureHost } from './host.js';
import { cachedImage, ensureImage, type BaseImage } from './image.js';
import { writeInventory } from './inventory.js';
import { ensureKey } from './keys.js';
import { builtinTopology, labPaths, type LabPaths } from './paths.js';
import { freePort } from './ports.js';
import { isAlive, LabError, run, sleep, tail } from './proc.js';
import { startProxy } from './proxy.js';
import { buildSeed } from './seed.js';
import { readState, writeState, type LabState, type VmState } from './state.js';
import { loadTopology, type Topology } from './topology.js';
import { BOOT_HEADER, consolePath, launchVm, overlayPath, stopPid, type VmLaunch } from './vm.js';
import { waitForSsh } from './wait.js';
import { downLab, isOurProcess } from './down.js';

export interface UpOptions {
  /** A topology file, or the name of a built-in one (default, pair). */
  topology?: string;
  log?: (line: string) => void;
  /** Bound on the wait for every VM's SSH (default 420 s under TCG, 120 s under KVM). */
  bootTimeoutMs?: number;
  /** A booting VM whose console is silent this long (and has no SSH yet) is restarted once. */
  silentMs?: number;
  paths?: LabPaths;
}

export interface UpResult {
  state: LabState;
  imageBuilt: boolean;
  timings: Record<string, number>;
}

export function resolveTopology(arg: string | undefined): string {
  if (!arg) return builtinTopology('default');
  return /^[a-z0-9-]+$/.test(arg) && !existsSync(arg) ? builtinTopology(arg) : arg;
}

/** The VM dir's overlay, made again from the base image when missing or built on another image. */
async function ensureOverlay(dir: string, image: BaseImage, fresh: boolean): Promise<void> {
  const marker = join(dir, 'base');
  const current = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';
  if (!fresh && current === image.hash && existsSync(overlayPath(dir))) return;
  rmSync(overlayPath(dir), { force: true });
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.rootfs, '-F', 'raw', overlayPath(dir)], { timeoutMs: 60_000 });
  writeFileSync(marker, `${image.hash}\n`);
}

/**
 * Bring the lab up: host checks, package proxy, base image (cached), one overlay and seed disk per VM,
 * every VM booted in parallel, inventory written, then a bounded wait for SSH with strict host keys.
 */
export async function labUp(opts: UpOptions = {}, fresh = false): Promise<UpResult> {
  const log = opts.log ?? (() => undefined);
  const paths = opts.paths ?? labPaths();
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const mark = (k: string, since: number) => (timings[k] = (Date.now() - since) / 1000);

  const topology: Topology = loadTopology(resolveTopology(opts.topology));
  const existing = readState(paths.labDir);
  if (existing && !fresh && existing.topologyFile === topology.file && isRunning(existing)) {
    // `up` on a running lab is a no-op that checks it: nothing is rebooted, the inventory is rewritten.
    log('the lab is already running: checking SSH');
    writeInventory(paths.inventoryDir, existing);
    await waitForSsh(existing, 60_000, log);
    mark('total', t0);
    return { state: existing, imageBuilt: false, timings };
  }
  if (existing) {
    log('a lab is recorded here (another topology, or partly stopped): stopping it first');
    await downLab(paths);
  }
  await ensureHost(!cachedImage(paths.cacheDir), log);
  mkdirSync(paths.labDir, { recursive: true });

  const proxy = await startProxy(paths.cacheDir, join(paths.labDir, 'proxy.log'));
  let state: LabState | undefined;
  try {
    let t = Date.now();
    const { image, built } = await ensureImage({ cacheDir: paths.cacheDir, proxyUrl: `http://127.0.0.1:${proxy.port}`, log });
    mark(built ? 'imageBuild' : 'imageCached', t);
    t = Date.now();
    const accel = await chooseAccel(image.kernel);
    mark('accelProbe', t);
    log(`accelerator: ${accel.accel} (${accel.why})`);

    const keyFile = join(paths.labDir, 'keys', 'id_ed25519');
    const loginKey = await ensureKey(keyFile, 'lvsible-lab');
    const labByte = randomInt(256);
    const lans: Record<string, string> = {};
    topology.lans.forEach((lan, i) => {
      lans[lan.name] = `230.${randomInt(1, 255)}.${labByte}.${i + 1}:${randomInt(20000, 32000)}`;
    });

    t = Date.now();
    state = {
      topology: topology.name,
      topologyFile: topology.file,
      accel: accel.accel,
      imageHash: image.hash,
      proxy,
      lans,
      vms: [],
      keyFile,
      // .txt: Ansible and lvsible both skip it when they read the directory as an inventory.
      knownHostsFile: join(paths.inventoryDir, 'known_hosts.txt'),
      startedAt: new Date().toISOString(),
    };
    const vms = state.vms;
    const used = new Set<number>([proxy.port]);
    const launches = new Map<string, VmLaunch>();
    for (const [index, vm] of topology.vms.entries()) {
      const dir = join(paths.labDir, 'vms', vm.name);
      mkdirSync(dir, { recursive: true });
      const [seed] = await Promise.all([buildSeed(vm, dir, loginKey), ensureOverlay(dir, image, fresh)]);
      const sshPort = await freePort(20000, 32000, used);
      used.add(sshPort);
      writeFileSync(consolePath(dir), `\n${BOOT_HEADER} ${new Date().toISOString()} (${accel.accel}) =====\n`, { flag: 'a' });
      const launch: VmLaunch = { vm, index: index + 1, labByte, dir, image, accel: accel.accel, cpu: process.env.LVSIBLE_LAB_CPU, sshPort, proxyPort: proxy.port, lans };
      launches.set(vm.name, launch);
      const pid = await launchVm(launch);
      vms.push({
        name: vm.name,
        pid,
        sshPort,
        groups: vm.groups,
        interfaces: Object.fromEntries(vm.nics.map((n) => [n.dev, `${n.address}/${n.prefix}`])),
        hostPublicKey: seed.hostPublicKey,
        dir,
      });
      // Recorded as each VM starts, so `lab down` (or the cleanup below) finds every process whatever fails next.
      writeState(paths.labDir, state);
    }
    await retryLostPorts(state, launches, used, log);
    mark('launch', t);
    writeState(paths.labDir, state);
    writeInventory(paths.inventoryDir, state);
    log(`booting ${vms.length} VMs (${vms.map((v) => `${v.name}:${v.sshPort}`).join(' ')})`);

    t = Date.now();
    const bound = opts.bootTimeoutMs || Number(process.env.LVSIBLE_LAB_BOOT_TIMEOUT_MS) || (accel.accel === 'kvm' ? 120_000 : 420_000);
    const booting = state;
    await waitForSsh(booting, bound, log, {
      // A healthy TCG boot on a loaded host goes quiet for at most ~40 s (module self-tests); 150 s is a hang.
      silentMs: opts.silentMs ?? (accel.accel === 'kvm' ? 60_000 : 150_000),
      restarts: 1,
      relaunch: (vm) => relaunchVm(vm, launches.get(vm.name)!, used, log),
      // The pid (and maybe the SSH port) changed: `down` and the inventory must follow.
      onRestart: () => (writeState(paths.labDir, booting), writeInventory(paths.inventoryDir, booting)),
    });
    mark('bootToSsh', t);
    mark('total', t0);
    return { state, imageBuilt: built, timings };
  } catch (e) {
    // Leave nothing running behind a failed start; the logs stay in the lab directory.
    if (state) await downLab(paths).catch(() => undefined);
    else await stopPid(proxy.pid);
    throw e;
  }
}

/** Stop the lab, recreate every VM's overlay from the cached base image, and boot it again. */
export async function labReset(opts: UpOptions = {}): Promise<UpResult> {
  const paths = opts.paths ?? labPaths();
  const prev = readState(paths.labDir);
  if (prev) await downLab(paths);
  return labUp({ ...opts, paths, topology: opts.topology ?? prev?.topologyFile }, true);
}

/**
 * A free port can be taken by someone else between our check and qemu's bind; qemu then exits at once
 * ("Could not set up host forwarding rule"). Such VMs are started again on another port (bounded).
 */
async function retryLostPorts(state: LabState, launches: Map<string, VmLaunch>, used: Set<number>, log: (s: string) => void): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await sleep(1000);
    const lost = state.vms.filter((vm) => !isAlive(vm.pid) && /host ?forward/i.test(readLog(join(vm.dir, 'qemu.log'))));
    if (!lost.length) return;
    for (const vm of lost) {
      const launch = launches.get(vm.name)!;
      launch.sshPort = await freePort(20000, 32000, used);
      used.add(launch.sshPort);
      writeFileSync(join(vm.dir, 'qemu.log'), '');
      log(`${vm.name}: SSH port taken meanwhile, starting again on ${launch.sshPort}`);
      vm.sshPort = launch.sshPort;
      vm.pid = await launchVm(launch);
    }
  }
}

/** Stop a hung VM (SIGTERM, then SIGKILL: a stopped qemu only dies by SIGKILL) and boot it again on its disk. */
async function relaunchVm(vm: VmState, launch: VmLaunch, used: Set<number>, log: (s: string) => void): Promise<number> {
  if (!(await stopPid(vm.pid, 2000))) throw new LabError(`${vm.name}: qemu (pid ${vm.pid}) did not stop`);
  writeFileSync(join(vm.dir, 'qemu.log'), '');
  for (let round = 0; ; round++) {
    vm.pid = await launchVm(launch);
    await sleep(1000);
    if (isAlive(vm.pid) || round >= 2 || !/host ?forward/i.test(readLog(join(vm.dir, 'qemu.log')))) return vm.pid;
    launch.sshPort = await freePort(20000, 32000, used);
    used.add(launch.sshPort);
    vm.sshPort = launch.sshPort;
    log(`${vm.name}: SSH port taken meanwhile, starting again on ${launch.sshPort}`);
  }
}

const readLog = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

function isRunning(state: LabState): boolean {
  return isOurProcess(state.proxy.pid, 'apt-cacher-ng') && state.vms.every((vm) => isOurProcess(vm.pid, 'qemu-system', `-name ${vm.name} `));
}

export function consoleTail(vm: VmState, lines = 25): string {
  const file = consolePath(vm.dir);
  return existsSync(file) ? tail(readFileSync(file, 'utf8'), lines) : '(no console log)';
}

export { LabError };
