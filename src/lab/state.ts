import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Accel } from './accel.js';

/** One running VM as `lab up` left it. */
export interface VmState {
  name: string;
  pid: number;
  sshPort: number;
  groups: string[];
  /** dev -> CIDR of the VM's LAN addresses (the inventory's `lvs_interfaces`). */
  interfaces: Record<string, string>;
  hostPublicKey: string;
  dir: string;
}

/** What `lab up` started, so `status`, `ssh` and `down` know exactly which processes are ours. */
export interface LabState {
  topology: string;
  topologyFile: string;
  accel: Accel;
  imageHash: string;
  proxy: { pid: number; port: number };
  /** Multicast group:port per LAN, chosen at random per lab so two labs never share a segment. */
  lans: Record<string, string>;
  vms: VmState[];
  keyFile: string;
  knownHostsFile: string;
  startedAt: string;
}

export const stateFile = (labDir: string): string => join(labDir, 'state.json');

export function readState(labDir: string): LabState | undefined {
  const file = stateFile(labDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LabState;
}

/** Written atomically: a reader never sees half a state. */
export function writeState(labDir: string, state: LabState): void {
  mkdirSync(labDir, { recursive: true });
  const tmp = `${stateFile(labDir)}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, stateFile(labDir));
}
