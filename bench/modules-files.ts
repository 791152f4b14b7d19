/**
 * Cost of the file-shaped and network modules on a converged host: one batched probe for many tasks (what
 * the engine does), the pure plan, and an atomic write; addresses and routes inside a network namespace this
 * script creates and deletes. Local shell, temp root. Run (as root, for the netns part):
 *   npx tsx bench/modules-files.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runProbes } from '../src/engine/probe.js';
import { applyChange } from '../src/engine/steps.js';
import { copyModule } from '../src/modules/copy.js';
import { fileModule } from '../src/modules/file.js';
import { ipAddressModule } from '../src/modules/ip_address.js';
import { routeModule } from '../src/modules/route.js';
import { LocalConnection } from '../src/transport/local.js';
import { sh } from '../src/transport/quote.js';
import type { Connection, Module } from '../src/types.js';
import { testContext } from '../test/helpers/converge.js';

const ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeRounds(fn: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return median(t);
}

type Task = { mod: Module; params: Record<string, unknown> };

async function converged(label: string, tasks: Task[], conn: Connection, root: string) {
  const ctx = testContext(root);
  const norm = tasks.map((t) => (t.mod.normalize ? t.mod.normalize(t.params, ctx) : t.params));
  const probes = tasks.map((t, i) => t.mod.read(norm[i], ctx));
  // First pass converges the host; the measured passes are the no-change re-run.
  const first = await runProbes(conn, probes);
  for (const [i, t] of tasks.entries()) for (const c of t.mod.plan(norm[i], first[i], ctx)) await applyChange(conn, c);
  let states: unknown[] = [];
  const probeMs = await timeRounds(async () => (states = await runProbes(conn, probes)));
  let pending = 0;
  const planMs = await timeRounds(async () => {
    pending = tasks.reduce((n, t, i) => n + t.mod.plan(norm[i], states[i], ctx).length, 0);
  });
  console.log(`${label}: ${tasks.length} tasks, batched probe ${probeMs.toFixed(1)} ms, plan ${planMs.toFixed(2)} ms, pending ${pending}`);
}

const root = mkdtempSync(join(tmpdir(), 'lvsible-bench-files-'));
const local = new LocalConnection();
try {
  const tasks: Task[] = [];
  for (let i = 0; i < 50; i++) tasks.push({ mod: copyModule, params: { dest: `/etc/app/f${i}.conf`, content: `key${i} = ${'x'.repeat(2000)}\n`, mode: '0640' } });
  for (let i = 0; i < 10; i++) tasks.push({ mod: fileModule, params: { path: `/srv/d${i}`, state: 'directory', mode: '0755' } });
  await converged('files', tasks, local, root);

  const big = Buffer.alloc(10 * 1024 * 1024, 'a');
  writeFileSync(join(root, 'big.src'), big);
  await converged('copy 10 MiB (digest only, no content shipped)', [{ mod: copyModule, params: { dest: '/big', src: join(root, 'big.src') } }], local, root);

  const ctx = testContext(root);
  const oneMiB = Buffer.alloc(1024 * 1024, 'b');
  const writeMs = await timeRounds(async () => {
    const p = copyModule.normalize!({ dest: '/w', content: oneMiB.toString() + String(Math.random()), backup: true }, ctx);
    const [st] = await runProbes(local, [copyModule.read(p, ctx)]);
    for (const c of copyModule.plan(p, st, ctx)) await applyChange(local, c);
  });
  console.log(`atomic write of 1 MiB with backup (probe + plan + apply): ${writeMs.toFixed(1)} ms`);

  const ns = `lvsible-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'sh', '-ec', 'ip link add v0 type veth peer name v0p; ip link set v0 up; ip link set v0p up; ip addr add 10.9.0.1/24 dev v0']);
    const conn: Connection = {
      host: ns,
      exec: (cmd, opts) => local.exec(sh`ip netns exec ${ns} sh -c ${cmd}`, opts),
      close: async () => undefined,
    };
    const net: Task[] = [];
    for (let i = 0; i < 20; i++) net.push({ mod: ipAddressModule, params: { address: `10.9.1.${i + 1}/32`, dev: 'v0' } });
    for (let i = 0; i < 20; i++) net.push({ mod: routeModule, params: { dest: `10.${100 + i}.0.0/16`, via: '10.9.0.254' } });
    await converged('ip_address + route (persistent units under temp root)', net, conn, root);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
