/**
 * Big and hostile input files: `npx tsx bench/hostile-input.ts [MB=10]`. Generates each input in a temp dir,
 * loads it in a child process of its own (so peak RSS is that case's alone) with the real loaders
 * (loadInventory, loadPlaybook, loadYaml), and prints: case, size, result, seconds, peak MB. Seconds are the
 * load alone (not node and tsx starting); "peak MB" is the child's maxRSS, node and tsx included (the
 * `baseline` row: a child that loads nothing). Figures go to bench/README.md; no test asserts them.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aliasBomb, iniInventory, MB, playbook, writeCase, yamlInventory } from './hostile-input-gen.js';

type Loader = 'inventory' | 'playbook' | 'yaml' | 'none';
interface Case {
  name: string;
  loader: Loader;
  make: (dir: string) => string;
}

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') await child(process.argv[3] as Loader, process.argv[4]!);
else main(Number(process.argv[2] ?? 10));

async function child(loader: Loader, file: string): Promise<void> {
  const { ConfigError } = await import('../src/errors.js');
  const load = {
    inventory: async () => (await import('../src/inventory/index.js')).loadInventory([file]).hosts.size + ' hosts',
    playbook: async () => (await import('../src/playbook/load.js')).loadPlaybook(file).plays.reduce((n, p) => n + p.tasks.length, 0) + ' tasks',
    yaml: async () => typeof (await import('../src/config/source.js')).loadYaml(file).data,
    none: async () => 'nothing loaded',
  }[loader];
  // The modules are imported before the clock starts: what is timed is reading and checking the file.
  if (loader !== 'none') await import('../src/inventory/index.js'), await import('../src/playbook/load.js');
  const t = performance.now();
  let result: string;
  try {
    result = `accepted (${await load()})`;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const first = e.message.split('\n')[0]!.replace(file, '<file>');
    result = `refused, ${e.issues.length} issue(s): ${first.length > 110 ? first.slice(0, 107) + '...' : first}`;
  }
  const seconds = (performance.now() - t) / 1000;
  process.stdout.write(JSON.stringify({ result, seconds, peakMB: process.resourceUsage().maxRSS / 1024 }));
}

function main(mb: number): void {
  const bytes = mb * MB;
  const dir = mkdtempSync(join(tmpdir(), 'lvsible-hostile-bench-'));
  const cases: Case[] = [
    { name: 'baseline (node + tsx, nothing loaded)', loader: 'none', make: () => '' },
    { name: 'YAML inventory', loader: 'inventory', make: (d) => writeCase(d, 'hosts.yml', yamlInventory(bytes, false)) },
    { name: 'YAML inventory, bad port in last host', loader: 'inventory', make: (d) => writeCase(d, 'hosts.yml', yamlInventory(bytes, true)) },
    { name: 'YAML inventory, bad port on every host', loader: 'inventory', make: (d) => writeCase(d, 'hosts.yml', yamlInventory(bytes, false).replaceAll('ansible_port: 9', 'ansible_port: 0')) },
    { name: 'INI inventory', loader: 'inventory', make: (d) => writeCase(d, 'hosts.ini', iniInventory(bytes, false)) },
    { name: 'INI inventory, bad port in last host', loader: 'inventory', make: (d) => writeCase(d, 'hosts.ini', iniInventory(bytes, true)) },
    {
      name: 'INI inventory + 10 MB-class group_vars',
      loader: 'inventory',
      make: (d) => {
        mkdirSync(join(d, 'group_vars'), { recursive: true });
        const vars = Array.from({ length: Math.floor(bytes / 2 / 40) }, (_, i) => `var_${i}: "value number ${i}"`).join('\n');
        writeFileSync(join(d, 'group_vars', 'web.yml'), vars + '\n');
        return writeCase(d, 'hosts.ini', iniInventory(bytes / 2, false));
      },
    },
    { name: 'playbook', loader: 'playbook', make: (d) => writeCase(d, 'site.yml', playbook(bytes, false)) },
    { name: 'playbook, unknown keyword in last task', loader: 'playbook', make: (d) => writeCase(d, 'site.yml', playbook(bytes, true)) },
    {
      name: 'playbook of one-line tasks (was a stack overflow)',
      loader: 'playbook',
      make: (d) => writeCase(d, 'site.yml', '- hosts: all\n  tasks:\n' + '    - debug: {msg: x}\n'.repeat(Math.floor(bytes / 22))),
    },
    { name: 'alias bomb, fan-out 2 x 60 levels', loader: 'yaml', make: (d) => writeCase(d, 'bomb.yml', aliasBomb(60, 2)) },
    { name: 'alias bomb, fan-out 1000 x 4 levels', loader: 'yaml', make: (d) => writeCase(d, 'bomb.yml', aliasBomb(4, 1000)) },
    { name: 'nesting: [[[...]]] to the end of the file', loader: 'yaml', make: (d) => writeCase(d, 'deep.yml', `x: ${'['.repeat(bytes / 2)}${']'.repeat(bytes / 2)}\n`) },
    { name: 'NUL byte in the last line', loader: 'inventory', make: (d) => writeCase(d, 'hosts.yml', yamlInventory(bytes, false) + '# \0\n') },
    { name: 'invalid UTF-8 in the last line', loader: 'inventory', make: (d) => writeCase(d, 'hosts.yml', Buffer.concat([Buffer.from(yamlInventory(bytes, false)), Buffer.from([0x23, 0xff, 0x0a])])) },
    { name: 'UTF-16 LE (no byte order mark)', loader: 'inventory', make: (d) => writeCase(d, 'hosts.yml', Buffer.from(yamlInventory(bytes / 2, false), 'utf16le')) },
    { name: 'random binary', loader: 'inventory', make: (d) => writeCase(d, 'hosts', Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 2654435761) >>> 24))) },
    {
      name: '65 MB file (sparse)',
      loader: 'inventory',
      make: (d) => {
        const f = join(d, 'hosts.yml');
        const fd = openSync(f, 'w');
        ftruncateSync(fd, 65 * MB);
        closeSync(fd);
        return f;
      },
    },
  ];
  const rows: string[][] = [['case', 'size', 'result', 'seconds', 'peak MB']];
  for (const c of cases) {
    const sub = join(dir, String(rows.length));
    mkdirSync(sub);
    const file = c.make(sub);
    const size = file ? `${(statSync(file).size / MB).toFixed(1)} MB` : '-';
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', c.loader, file], { encoding: 'utf8', maxBuffer: 2 ** 24 });
    const r = JSON.parse(out) as { result: string; seconds: number; peakMB: number };
    rows.push([c.name, size, r.result, r.seconds.toFixed(2), r.peakMB.toFixed(0)]);
    console.error(`${c.name}: ${r.seconds.toFixed(2)} s, ${r.peakMB.toFixed(0)} MB`);
    rmSync(sub, { recursive: true, force: true });
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n').replace(/\n/, '\n|' + ' --- |'.repeat(5) + '\n'));
}
