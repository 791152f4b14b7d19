import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { downLab } from '../../src/lab/down.js';
import { labUp, type UpResult } from '../../src/lab/lab.js';
import { labPaths, projectRoot } from '../../src/lab/paths.js';
import { runRaw } from '../../src/lab/proc.js';
import { sshRun } from '../../src/lab/ssh.js';
import { writeState, type LabState } from '../../src/lab/state.js';
import { stopPid } from '../../src/lab/vm.js';
import { waitForSsh } from '../../src/lab/wait.js';

/**
 * What the LVS end-to-end suites share: a lab of their own (its own directory, so suites and a developer's
 * lab never meet), the real CLI, commands on the VMs, and a bounded stream of requests to a VIP.
 */
export const root = projectRoot();
export const VIP = '198.51.100.10';

export function e2eLab(name: string) {
  const env = { ...process.env, LVSIBLE_LAB_DIR: mkdtempSync(join(tmpdir(), `lvsible-${name}-`)), NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
  const paths = labPaths(env);
  const timings: Record<string, number> = {};
  let up: UpResult | undefined;

  const lab = {
    paths,
    timings,
    async up(): Promise<void> {
      if (!existsSync(resolve(root, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run npm run build (npm test does)');
      const t = Date.now();
      up = await labUp({ topology: 'default', paths, log: (l) => console.log(`[${name}] ${l}`) });
      timings[timings.boot === undefined ? 'boot' : 'reboot'] = (Date.now() - t) / 1000;
    },
    async down(): Promise<void> {
      const t = Date.now();
      await downLab(paths).catch((e) => console.error(e));
      timings.down = (Date.now() - t) / 1000;
    },
    /** The real CLI, as an operator runs it; `seconds` is its wall time. */
    async lvsible(...args: string[]) {
      const t = Date.now();
      const r = await runRaw(process.execPath, [resolve(root, 'bin/lvsible.js'), ...args], { env, cwd: root, timeoutMs: 1_200_000 });
      return { ...r, seconds: (Date.now() - t) / 1000, all: `${r.stdout}\n${r.stderr}` };
    },
    /** `-i` for the lab's generated inventory plus an example's topology and cluster model. */
    inv: (inventoryDir: string) => ['-i', paths.inventoryDir, '-i', inventoryDir],
    async on(vm: string, cmd: string, timeoutMs = 60_000) {
      if (!up) throw new Error('the lab is not up');
      const v = up.state.vms.find((x) => x.name === vm);
      if (!v) throw new Error(`no VM ${vm}`);
      return sshRun(up.state, v, cmd, timeoutMs);
    },
    /** The running lab (pids, ports, key): for helpers that need more than `on`, e.g. an SSH session of their own. */
    state(): LabState {
      if (!up) throw new Error('the lab is not up');
      return up.state;
    },
    /**
     * Pull the plug on one VM: its qemu is stopped (SIGTERM: qemu closes its disk cleanly, the guest gets no
     * shutdown at all). Returns what `powerOn` needs to boot it again, on the same disk and ports.
     */
    async powerOff(vm: string): Promise<string[]> {
      const v = lab.state().vms.find((x) => x.name === vm);
      if (!v) throw new Error(`no VM ${vm}`);
      const argv = readFileSync(`/proc/${v.pid}/cmdline`, 'utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
      if (!argv[0]?.includes('qemu-system') || !argv.includes(vm)) throw new Error(`pid ${v.pid} is not ${vm}'s qemu`);
      if (!(await stopPid(v.pid, 5000))) throw new Error(`${vm}: qemu (pid ${v.pid}) did not stop`);
      return argv;
    },
    /** Boot a VM stopped by `powerOff` again (same command line); resolves once SSH answers. */
    async powerOn(vm: string, argv: string[], timeoutMs = 420_000): Promise<void> {
      const state = lab.state();
      const v = state.vms.find((x) => x.name === vm)!;
      const fd = openSync(join(v.dir, 'qemu.log'), 'a');
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      v.pid = await new Promise<number>((res, rej) => (child.once('error', rej), child.once('spawn', () => res(child.pid!))));
      child.unref();
      // Recorded at once, so `lab down` stops the new process whatever happens next.
      writeState(paths.labDir, state);
      await waitForSsh({ ...state, vms: [v] }, timeoutMs, (l) => console.log(`[${name}] ${l}`));
    },
    /**
     * `n` requests from the client to VIP:80, one after the other, each bounded to 5 s (bash's /dev/tcp:
     * busybox wget segfaulted under TCG's `-cpu max`, the lab's CPU model until 2026-11-22). Returns how
     * often each realserver answered.
     */
    async requests(n: number): Promise<Record<string, number>> {
      const one = `exec 3<>/dev/tcp/${VIP}/80; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`;
      const r = await lab.on('client', `for i in $(seq ${n}); do out=$(timeout 5 bash -c "${one}" 2>/dev/null | tail -n 1); echo "\${out:-FAILED}"; done`, 240_000);
      const counts: Record<string, number> = {};
      for (const line of r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) counts[line] = (counts[line] ?? 0) + 1;
      return counts;
    },
  };
  return lab;
}

export interface RecapRow {
  changed: number;
  failed: number;
  unreachable: number;
}

/** The PLAY RECAP rows of a plain-text run. */
export function recap(out: string): Record<string, RecapRow> {
  const rows: Record<string, RecapRow> = {};
  const text = out.slice(out.lastIndexOf('PLAY RECAP'));
  for (const m of text.matchAll(/^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    rows[m[1]!] = { changed: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4]) };
  }
  return rows;
}
