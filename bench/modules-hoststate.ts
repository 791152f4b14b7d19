/**
 * Cost of reading and planning host-state tasks on a converged host: one batched probe script for many tasks
 * (what the engine does) versus one exec per task, on a local shell against a temp root. Run:
 *   npx tsx bench/modules-hoststate.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runProbes } from '../src/engine/probe.js';
import { command } from '../src/modules/command.js';
import { kernel_module } from '../src/modules/kernel_module.js';
import { sysctl } from '../src/modules/sysctl.js';
import { LocalConnection } from '../src/transport/local.js';
import type { Module } from '../src/types.js';
import { testContext } from '../test/helpers/converge.js';

const SYSCTLS = 30;
const KMODS = 10;
const COMMANDS = 10;
const ROUNDS = 5;

const root = mkdtempSync(join(tmpdir(), 'lvsible-bench-'));
const put = (p: string, t: string) => {
  mkdirSync(dirname(join(root, p)), { recursive: true });
  writeFileSync(join(root, p), t);
};

type Task = { mod: Module; params: Record<string, unknown> };
const tasks: Task[] = [];
let conf = '';
for (let i = 0; i < SYSCTLS; i++) {
  put(`/proc/sys/net/ipv4/conf/eth${i}/rp_filter`, '0\n');
  conf += `net.ipv4.conf.eth${i}.rp_filter = 0\n`;
  tasks.push({ mod: sysctl, params: { name: `net.ipv4.conf.eth${i}.rp_filter`, value: 0 } });
}
put('/etc/sysctl.d/90-lvsible.conf', conf);
for (let i = 0; i < KMODS; i++) {
  mkdirSync(join(root, `sys/module/mod${i}`), { recursive: true });
  put(`/etc/modules-load.d/mod${i}.conf`, `mod${i}\n`);
  tasks.push({ mod: kernel_module, params: { name: `mod${i}` } });
}
for (let i = 0; i < COMMANDS; i++) {
  put(`/done${i}`, '');
  tasks.push({ mod: command, params: { argv: ['false'], creates: `/done${i}` } });
}

const ctx = testContext(root);
const conn = new LocalConnection();
const probes = tasks.map((t) => t.mod.read(t.mod.normalize ? t.mod.normalize(t.params, ctx) : t.params, ctx));

async function batched(): Promise<number> {
  const states = await runProbes(conn, probes);
  return tasks.reduce((n, t, i) => n + t.mod.plan(t.params, states[i], ctx).length, 0);
}
async function perTask(): Promise<number> {
  let n = 0;
  for (let i = 0; i < tasks.length; i++) {
    const [s] = await runProbes(conn, [probes[i]!]);
    n += tasks[i]!.mod.plan(tasks[i]!.params, s, ctx).length;
  }
  return n;
}

async function time(label: string, fn: () => Promise<number>) {
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const changes = await fn();
    ms.push(performance.now() - t0);
    if (changes !== 0) throw new Error(`${label}: a converged host planned ${changes} changes`);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: median ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, min ${ms[0]!.toFixed(1)} ms (${tasks.length} tasks, ${ROUNDS} rounds)`);
}

// Pure planning alone, for scale.
const states = await runProbes(conn, probes);
const t0 = performance.now();
for (let r = 0; r < 200; r++) tasks.forEach((t, i) => t.mod.plan(t.params, states[i], ctx));
console.log(`plan only: ${((performance.now() - t0) / (200 * tasks.length) * 1000).toFixed(2)} us/task`);

await time('one batched probe', batched);
await time('one exec per task', perTask);
rmSync(root, { recursive: true, force: true });
