import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Accel } from './accel.js';
import type { BaseImage } from './image.js';
import { GUEST_PROXY } from './proxy.js';
import { isAlive, sleep } from './proc.js';
import type { TopologyVm } from './topology.js';

export interface VmLaunch {
  vm: TopologyVm;
  /** Position of the VM in the topology: part of its MAC addresses. */
  index: number;
  labByte: number;
  dir: string;
  image: BaseImage;
  accel: Accel;
  /**
   * qemu -cpu model; default `host` under KVM and `qemu64` under TCG (LVSIBLE_LAB_CPU overrides). Not `max`
   * under TCG: its AES/AVX flags make udev load the accelerated crypto modules, whose self-tests cost tens
   * of seconds of emulated CPU per boot, and the one boot that hung in CI was stuck in a module load.
   */
  cpu?: string;
  sshPort: number;
  proxyPort: number;
  /** LAN name -> multicast "group:port". */
  lans: Record<string, string>;
}

export const overlayPath = (dir: string): string => join(dir, 'disk.qcow2');
export const consolePath = (dir: string): string => join(dir, 'console.log');
/** Starts the line written to the console before each boot: the console keeps every boot, this splits them. */
export const BOOT_HEADER = '===== lvsible lab up';

const hex = (n: number): string => n.toString(16).padStart(2, '0');

/** Locally administered, unique per lab, VM and NIC: 52:54:00:<lab>:<vm>:<nic>. */
export function macAddress(labByte: number, vmIndex: number, nic: number): string {
  return `52:54:00:${hex(labByte)}:${hex(vmIndex)}:${hex(nic)}`;
}

/**
 * The qemu command line of one VM. PCI slots are fixed so the guest always names the management NIC
 * eth0 and the LAN NICs eth1.. in topology order.
 */
export function qemuArgs(l: VmLaunch): string[] {
  const { vm } = l;
  const mgmt = [
    'user,id=mgmt,restrict=on,net=10.0.2.0/24,host=10.0.2.2,ipv6=off',
    `hostfwd=tcp:127.0.0.1:${l.sshPort}-:22`,
    // The one way out of a VM: its on-link proxy address, piped by qemu to the host's package proxy.
    `guestfwd=tcp:${GUEST_PROXY.host}:${GUEST_PROXY.port}-cmd:nc 127.0.0.1 ${l.proxyPort}`,
  ].join(',');
  const args = [
    '-name', vm.name,
    '-accel', l.accel,
    '-cpu', l.cpu || (l.accel === 'kvm' ? 'host' : 'qemu64'),
    '-smp', '1',
    '-m', String(vm.memoryMb),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', l.image.kernel,
    '-initrd', l.image.initrd,
    '-append', l.image.cmdline,
    '-drive', `file=${overlayPath(l.dir)},if=none,id=root,format=qcow2,cache=unsafe,discard=unmap`,
    '-device', 'virtio-blk-pci,drive=root,addr=0x10',
    '-drive', `file=${join(l.dir, 'seed.img')},if=none,id=seed,format=raw,readonly=on`,
    '-device', 'virtio-blk-pci,drive=seed,addr=0x11',
    '-netdev', mgmt,
    '-device', `virtio-net-pci,netdev=mgmt,mac=${macAddress(l.labByte, l.index, 0)},addr=0x03`,
  ];
  vm.nics.forEach((nic, i) => {
    const mcast = l.lans[nic.lan];
    if (!mcast) throw new Error(`no multicast address for LAN ${nic.lan}`);
    args.push(
      '-netdev', `socket,id=lan${i + 1},mcast=${mcast},localaddr=127.0.0.1`,
      '-device', `virtio-net-pci,netdev=lan${i + 1},mac=${macAddress(l.labByte, l.index, i + 1)},addr=${`0x${hex(4 + i)}`}`,
    );
  });
  args.push('-chardev', `file,id=con,path=${consolePath(l.dir)},append=on`, '-serial', 'chardev:con');
  return args;
}

/** Start qemu detached (it outlives `lab up`); its own messages go to qemu.log beside the console log. */
export async function launchVm(l: VmLaunch): Promise<number> {
  const fd = openSync(join(l.dir, 'qemu.log'), 'a');
  const child = spawn('qemu-system-x86_64', qemuArgs(l), { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start qemu-system-x86_64: ${(e as NodeJS.ErrnoException).code ?? e}`)));
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();
  return pid;
}

/**
 * Stop one of our qemu processes: SIGTERM (qemu exits at once, the overlay is throwaway), then SIGKILL
 * after `graceMs`. Returns when the process is gone or the bound is hit.
 */
export async function stopPid(pid: number, graceMs = 5000): Promise<boolean> {
  if (!isAlive(pid)) return true;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return !isAlive(pid);
  }
  for (let i = 0; i < graceMs / 100; i++) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  for (let i = 0; i < 50; i++) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return false;
}
