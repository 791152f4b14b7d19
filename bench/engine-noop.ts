/**
 * The cost of a run that changes nothing: wall time and SSH round trips per host, for a cluster-sized
 * inventory (6 hosts, real sshd on loopback) and a 40-task playbook. Compared in the same run with what a
 * per-task read would cost (one exec per task, as Ansible does without pipelining tricks).
 *
 *   npx tsx bench/engine-noop.ts [hosts=6] [tasks=40] [runs=5]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type SshdHandle } from '../test/helpers/sshd.js';
import { openInventory } from '../src/commands/inventory-view.js';
import { connector } from '../src/engine/connect.js';
import { runPlaybook } from '../src/engine/run.js';
import { runProbes } from '../src/engine/probe.js';
import { loadPlaybook } from '../src/playbook/load.js';
import { modules } from '../src/modules/index.js';
import { testContext } from '../test/helpers/converge.js';

const [H = 6, T = 40, R = 5] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'lvsible-bench-'));
const servers: SshdHandle[] = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  for (let i = 0; i < H; i++) servers.push(await startSshd({ address: `127.0.1.${i + 1}` }));
  const hosts = servers
    .map((s, i) => {
      const root = join(dir, `h${i}`);
      mkdirSync(join(root, 'proc/sys/net/ipv4/conf/all'), { recursive: true });
      for (const k of ['arp_ignore', 'arp_announce']) writeFileSync(join(root, `proc/sys/net/ipv4/conf/all/${k}`), '0\n');
      return `    h${i}:\n      ansible_host: ${s.host}\n      ansible_port: ${s.port}\n      ansible_user: ${s.user}\n      ansible_ssh_private_key_file: ${s.privateKeyPath}\n      lvsible_known_hosts_file: ${s.knownHostsPath}\n      lvsible_root: ${root}\n`;
    })
    .join('');
  writeFileSync(join(dir, 'hosts.yml'), `all:\n  hosts:\n${hosts}`);
  const tasks: string[] = [];
  for (let t = 0; t < T; t++) {
    if (t % 4 === 0) tasks.push(`    - file: { path: /etc/d${t}, state: directory, mode: "0755" }`);
    else if (t % 4 === 1) tasks.push(`    - copy: { dest: /etc/f${t}.conf, content: "line ${t}\\n" }`);
    else if (t % 4 === 2) tasks.push(`    - sysctl: { name: net.ipv4.conf.all.arp_${t % 8 === 2 ? 'ignore' : 'announce'}, value: "${t % 8 === 2 ? 1 : 2}", sysctl_file: /etc/sysctl.d/90-b${t}.conf }`);
    else tasks.push(`    - kernel_module: { name: mod${t}, persistent: true }\n      when: false`);
  }
  writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  tasks:\n${tasks.join('\n')}\n`);
  const opened = openInventory([join(dir, 'hosts.yml')]);
  const run = () =>
    runPlaybook({ inventory: opened.view, playbook: loadPlaybook(join(dir, 'site.yml')), check: false, connect: connector(), emit: () => undefined });

  const first = await run();
  if (!first.changed || first.failed.length) throw new Error('first run did not converge');
  const times: number[] = [];
  let trips: Record<string, number> = {};
  for (let r = 0; r < R; r++) {
    const t0 = performance.now();
    const res = await run();
    times.push(performance.now() - t0);
    trips = res.roundTrips;
    if (res.changed) throw new Error('second run changed something');
  }

  // The same reads, one exec per task, over one connection per host (no connect cost counted).
  const conns = await Promise.all(servers.map((_, i) => connector()(`h${i}`, opened.view.hostVars(`h${i}`))));
  const pb = loadPlaybook(join(dir, 'site.yml'));
  const perTask: number[] = [];
  for (let r = 0; r < R; r++) {
    const t0 = performance.now();
    await Promise.all(
      conns.map(async (conn, i) => {
        const ctx = testContext(join(dir, `h${i}`));
        for (const task of pb.plays[0]!.tasks.filter((t) => t.when === undefined)) {
          const mod = modules[task.module]!;
          const p = mod.normalize ? mod.normalize(task.args, ctx) : task.args;
          await runProbes(conn, [mod.read(p, ctx)]);
        }
      }),
    );
    perTask.push(performance.now() - t0);
  }
  await Promise.all(conns.map((c) => c.close()));

  console.log(`no-change run, ${H} hosts x ${T} tasks (${R} runs, median):`);
  console.log(`  wall time (connect + facts + reads + plan): ${median(times).toFixed(0)} ms`);
  console.log(`  SSH exec round trips per host: ${[...new Set(Object.values(trips))].join(', ')}`);
  console.log(`  reads one exec per task (connection already open): ${median(perTask).toFixed(0)} ms, ${pb.plays[0]!.tasks.filter((t) => t.when === undefined).length} round trips per host`);
  console.log(`  ratio per-task / batched: ${(median(perTask) / median(times)).toFixed(1)}x`);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
