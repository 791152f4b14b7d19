import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { downLab } from './down.js';
import { labReset, labUp, type UpResult } from './lab.js';
import { labPaths } from './paths.js';
import { LabError } from './proc.js';
import { sshArgs } from './ssh.js';
import { readState } from './state.js';
import { formatStatus, labStatus } from './status.js';

const say = (line: string): void => void process.stderr.write(`lab: ${line}\n`);

function printUp(r: UpResult): void {
  const t = Object.entries(r.timings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ');
  process.stdout.write(`lab "${r.state.topology}" is up: ${r.state.vms.length} VMs reachable over SSH (${t})\n`);
  process.stdout.write(`inventory: ${labPaths().inventoryDir}\n`);
}

/** `lvsible lab up|down|status|ssh|reset`. Errors are thrown for cli.ts to report and map to exit codes. */
export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('a local lab of real Debian VMs under qemu (directors, realservers, a client)');

  lab
    .command('up')
    .description('build the base image (once, then cached), boot every VM, write inventories/lab')
    .option('--topology <file|name>', 'topology file, or a built-in one: default, pair', 'default')
    .option('--timeout <seconds>', 'how long to wait for every VM to answer SSH')
    .action(async (flags: { topology: string; timeout?: string }) => {
      printUp(await labUp({ topology: flags.topology, log: say, ...(flags.timeout ? { bootTimeoutMs: Number(flags.timeout) * 1000 } : {}) }));
    });

  lab
    .command('down')
    .description('stop the lab\'s VMs and package proxy (only the processes it started)')
    .action(async () => {
      const r = await downLab();
      process.stdout.write(r.stopped.length ? `stopped: ${r.stopped.join(' ')}; ports closed: ${r.closedPorts.join(' ')}\n` : 'no lab was running\n');
    });

  lab
    .command('status')
    .description('each VM: pid, SSH port, addresses, and whether a strict-host-key SSH login works')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const s = await labStatus();
      process.stdout.write(flags.json ? JSON.stringify({ running: s.running, vms: s.vms }, null, 2) + '\n' : formatStatus(s));
      if (s.state && s.vms.some((v) => !v.reachable)) throw new LabError('some lab VMs are not reachable');
    });

  lab
    .command('ssh <host> [command...]')
    .description('log into a lab VM (or run a command there) with the lab\'s key and known_hosts')
    .action((host: string, command: string[]) => {
      const state = readState(labPaths().labDir);
      if (!state) throw new LabError('no lab is running here: run `lvsible lab up` first');
      const vm = state.vms.find((v) => v.name === host);
      if (!vm) throw new LabError(`no VM "${host}" in the lab (VMs: ${state.vms.map((v) => v.name).join(', ')})`);
      const tty = !!process.stdin.isTTY;
      const args = fixBatch(sshArgs(state, vm), tty);
      const r = spawnSync('ssh', [...(tty && command.length === 0 ? ['-t'] : []), ...args, ...(command.length ? ['--', ...command] : [])], { stdio: 'inherit' });
      // ssh's own exit status is the answer (the remote command's, or 255): hand it back unchanged.
      process.exit(r.status ?? 255);
    });

  lab
    .command('reset')
    .description('stop the lab, recreate every VM disk from the cached image (pristine), boot again')
    .option('--topology <file|name>', 'topology (default: the one the lab ran with)')
    .action(async (flags: { topology?: string }) => {
      printUp(await labReset({ log: say, ...(flags.topology ? { topology: flags.topology } : {}) }));
    });
}

/** `-o BatchMode=yes` refuses prompts; keep it for scripts, drop it for a person at a terminal. */
function fixBatch(args: string[], tty: boolean): string[] {
  if (!tty) return args;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-o' && args[i + 1] === 'BatchMode=yes') {
      i++;
      continue;
    }
    out.push(args[i]!);
  }
  return out;
}
