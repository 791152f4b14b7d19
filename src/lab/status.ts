import { labPaths, type LabPaths } from './paths.js';
import { isAlive } from './proc.js';
import { sshRun } from './ssh.js';
import { readState, type LabState } from './state.js';

export interface VmStatus {
  name: string;
  groups: string[];
  pid: number;
  running: boolean;
  sshPort: number;
  interfaces: Record<string, string>;
  /** A real SSH login with strict host key checking worked, and the VM said its own name. */
  reachable: boolean;
  error?: string;
}

export interface LabStatus {
  running: boolean;
  state?: LabState;
  vms: VmStatus[];
}

export async function labStatus(paths: LabPaths = labPaths(), timeoutMs = 20_000): Promise<LabStatus> {
  const state = readState(paths.labDir);
  if (!state) return { running: false, vms: [] };
  const vms = await Promise.all(
    state.vms.map(async (vm): Promise<VmStatus> => {
      const running = isAlive(vm.pid);
      const base = { name: vm.name, groups: vm.groups, pid: vm.pid, running, sshPort: vm.sshPort, interfaces: vm.interfaces };
      if (!running) return { ...base, reachable: false, error: 'qemu is not running' };
      const r = await sshRun(state, vm, 'hostname', timeoutMs);
      const said = r.stdout.trim();
      if (r.code === 0 && said === vm.name) return { ...base, reachable: true };
      return { ...base, reachable: false, error: r.code === 0 ? `answered as "${said}"` : r.stderr.trim().split('\n').pop() || `ssh exited ${r.code}` };
    }),
  );
  return { running: vms.some((v) => v.running), state, vms };
}

/** The table `lab status` prints. */
export function formatStatus(s: LabStatus): string {
  if (!s.state) return 'no lab is running here (lvsible lab up starts one)\n';
  const rows = [['VM', 'GROUPS', 'PID', 'SSH', 'ADDRESSES', 'STATE']];
  for (const v of s.vms) {
    rows.push([
      v.name,
      v.groups.join(',') || '-',
      v.running ? String(v.pid) : '-',
      `127.0.0.1:${v.sshPort}`,
      Object.entries(v.interfaces).map(([d, a]) => `${d}=${a}`).join(' ') || '-',
      v.reachable ? 'reachable' : `UNREACHABLE (${v.error ?? '?'})`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  const st = s.state;
  return `lab "${st.topology}" (${st.accel}, image ${st.imageHash}, proxy 127.0.0.1:${st.proxy.port}, started ${st.startedAt})\n${lines.join('\n')}\n`;
}
