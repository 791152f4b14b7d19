/**
 * Cost of the inventory for a large site: a generated inventory of HOSTS hosts in 40 leaf groups under 4
 * parent groups (YAML and the same in INI), with group_vars/ and host_vars/ files. Measures load (parse +
 * schema check + build), hostVars for every host, a few patterns, and --list. Median of ROUNDS runs.
 * Temp directory only. Run: npx tsx bench/inventory.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { hostVars, inventoryList, loadInventory, resolvePattern } from '../src/inventory/index.js';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LEAVES = 40;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function generate(root: string): { yaml: string; ini: string } {
  for (const f of ['yaml', 'ini']) {
    mkdirSync(join(root, f, 'group_vars'), { recursive: true });
    mkdirSync(join(root, f, 'host_vars'), { recursive: true });
  }
  const leaf = (i: number) => `leaf${String(i).padStart(2, '0')}`;
  const parent = (i: number) => `site${i % 4}`;
  const perLeaf = Math.ceil(HOSTS / LEAVES);
  let yaml = 'all:\n  vars:\n    ansible_user: deploy\n  children:\n';
  let ini = '[all:vars]\nansible_user=deploy\n';
  for (let p = 0; p < 4; p++) {
    yaml += `    site${p}:\n      vars:\n        site: ${p}\n      children:\n`;
    for (let l = p; l < LEAVES; l += 4) {
      yaml += `        ${leaf(l)}:\n          hosts:\n            h${l}-[0001:${String(perLeaf).padStart(4, '0')}].example.com:\n              weight: ${l}\n`;
    }
  }
  for (let l = 0; l < LEAVES; l++) {
    ini += `\n[${leaf(l)}]\n`;
    for (let h = 1; h <= perLeaf; h++) ini += `h${l}-${String(h).padStart(4, '0')}.example.com weight=${l} ansible_port=22\n`;
    ini += `\n[${parent(l)}:children]\n${leaf(l)}\n`;
  }
  for (const f of ['yaml', 'ini']) {
    writeFileSync(join(root, f, 'group_vars', 'all.yml'), 'ntp: 10.0.0.1\nlvs_vip: 10.0.0.100\n');
    for (let l = 0; l < LEAVES; l++) writeFileSync(join(root, f, 'group_vars', `${leaf(l)}.yml`), `leaf_id: ${l}\n`);
    for (let h = 1; h <= 50; h++) writeFileSync(join(root, f, 'host_vars', `h0-${String(h).padStart(4, '0')}.example.com.yml`), 'pinned: true\n');
  }
  writeFileSync(join(root, 'yaml', 'hosts.yml'), yaml);
  writeFileSync(join(root, 'ini', 'hosts.ini'), ini);
  return { yaml: join(root, 'yaml', 'hosts.yml'), ini: join(root, 'ini', 'hosts.ini') };
}

function time(fn: () => unknown): number {
  const t: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  return median(t);
}

const root = mkdtempSync(join(tmpdir(), 'lvsible-bench-inv-'));
try {
  const files = generate(root);
  const inv = loadInventory([files.yaml]);
  const hosts = [...inv.hosts.keys()];
  console.log(`inventory: ${hosts.length} hosts, ${inv.groups.size} groups, median of ${ROUNDS}`);
  console.log(`load YAML           ${time(() => loadInventory([files.yaml])).toFixed(1)} ms`);
  console.log(`load INI            ${time(() => loadInventory([files.ini])).toFixed(1)} ms`);
  console.log(`hostVars, all hosts ${time(() => hosts.forEach((h) => hostVars(inv, h))).toFixed(1)} ms`);
  console.log(`pattern site1:&~h.*-00[0-4].*:!leaf05  ${time(() => resolvePattern(inv, 'site1:&~h.*-00[0-4].*:!leaf05')).toFixed(2)} ms`);
  console.log(`pattern all         ${time(() => resolvePattern(inv, 'all')).toFixed(2)} ms`);
  console.log(`inventory --list    ${time(() => inventoryList(inv)).toFixed(1)} ms`);
  console.log(`heap used           ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
