/**
 * Wall times of the lab's operations on this machine: base image (cached lookup, or a build when
 * LVSIBLE_BENCH_COLD=1 points the cache at an empty directory), boot to SSH of every VM, `lab status`,
 * `lab reset`, `lab down`. The lab runs in a temp directory: the project's .lab is untouched.
 *
 *   npx tsx bench/lab.ts [topology=default]
 *   LVSIBLE_BENCH_COLD=1 npx tsx bench/lab.ts     (cold: debootstrap from the network into a fresh cache)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downLab } from '../src/lab/down.js';
import { labReset, labUp } from '../src/lab/lab.js';
import { labPaths } from '../src/lab/paths.js';
import { labStatus } from '../src/lab/status.js';

const topology = process.argv[2] ?? 'default';
const env: NodeJS.ProcessEnv = { ...process.env, LVSIBLE_LAB_DIR: mkdtempSync(join(tmpdir(), 'lvsible-bench-lab-')) };
if (process.env.LVSIBLE_BENCH_COLD === '1') env.LVSIBLE_CACHE_DIR = mkdtempSync(join(tmpdir(), 'lvsible-bench-cache-'));
const paths = labPaths(env);
const log = (l: string) => console.log(`  [lab] ${l}`);
const rows: [string, number][] = [];
const time = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const t = Date.now();
  const r = await fn();
  rows.push([what, (Date.now() - t) / 1000]);
  return r;
};

try {
  const up = await time(`lab up (${topology})`, () => labUp({ topology, paths, log }));
  for (const [k, v] of Object.entries(up.timings)) rows.push([`  up: ${k}`, v]);
  const st = await time('lab status (SSH login to every VM)', () => labStatus(paths));
  if (st.vms.some((v) => !v.reachable)) throw new Error(`unreachable: ${st.vms.filter((v) => !v.reachable).map((v) => v.name)}`);
  const reset = await time('lab reset (down, fresh overlays, boot)', () => labReset({ paths, log }));
  rows.push(['  reset: bootToSsh', reset.timings.bootToSsh ?? NaN]);
} finally {
  await time('lab down', () => downLab(paths));
  rmSync(paths.labDir, { recursive: true, force: true });
  if (env.LVSIBLE_CACHE_DIR) rmSync(env.LVSIBLE_CACHE_DIR, { recursive: true, force: true });
  console.log(`\nlab bench (${topology}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  for (const [k, v] of rows) console.log(`${k.padEnd(40)} ${v.toFixed(1)} s`);
}
