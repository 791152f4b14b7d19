/**
 * Generators for bench/hostile-input.ts: large legal inputs (with an optional mistake at the very end, so a
 * loader has to read everything before it can refuse) and small hostile ones.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MB = 2 ** 20;

/** A YAML inventory of about `bytes`: hosts with connection and free vars; `bad` makes the last port 70000. */
export function yamlInventory(bytes: number, bad: boolean): string {
  const out: string[] = ['all:', '  children:', '    web:', '      hosts:'];
  let size = 40;
  let i = 0;
  while (size < bytes) {
    const host =
      `        web${i}.example.net:\n` +
      `          ansible_host: 127.0.0.1\n          ansible_port: 9\n          ansible_user: deploy\n` +
      `          rack: r${i % 40}\n          weight: ${i % 100}\n          tags: [a, b, "c${i}"]\n`;
    out.push(host);
    size += host.length;
    i++;
  }
  if (bad) out[out.length - 1] = out[out.length - 1]!.replace('ansible_port: 9', 'ansible_port: 70000');
  out.push('      vars:\n        http_port: 80\n');
  return out.join('\n');
}

/** The same inventory in INI form. */
export function iniInventory(bytes: number, bad: boolean): string {
  const out: string[] = ['[web]'];
  let size = 6;
  let i = 0;
  while (size < bytes) {
    const line = `web${i}.example.net ansible_host=127.0.0.1 ansible_port=9 ansible_user=deploy rack=r${i % 40} weight=${i % 100}`;
    out.push(line);
    size += line.length + 1;
    i++;
  }
  if (bad) out[out.length - 1] = out[out.length - 1]!.replace('ansible_port=9', 'ansible_port=70000');
  out.push('', '[web:vars]', 'http_port=80', '');
  return out.join('\n');
}

/** One play of about `bytes` of sysctl/file tasks; `bad` gives the last task an unknown keyword. */
export function playbook(bytes: number, bad: boolean): string {
  const out: string[] = ['- hosts: all', '  gather_facts: false', '  tasks:'];
  let size = 40;
  let i = 0;
  while (size < bytes) {
    const task =
      i % 2
        ? `    - name: sysctl ${i}\n      sysctl:\n        name: net.ipv4.vs.conn_reuse_mode\n        value: "${i % 3}"\n      tags: [sysctl]\n`
        : `    - name: file ${i}\n      file:\n        path: /tmp/lvsible-bench-${i}\n        state: absent\n      when: inventory_hostname == "x${i}"\n`;
    out.push(task);
    size += task.length + 1;
    i++;
  }
  if (bad) out[out.length - 1] += '      tagz: [x]\n';
  return out.join('\n');
}

/** Billion laughs: `levels` of anchors, each referring `fanOut` times to the one before. */
export function aliasBomb(levels: number, fanOut: number): string {
  const lines = ['a0: &a0 "lol"'];
  for (let l = 1; l <= levels; l++) lines.push(`a${l}: &a${l} [${Array.from({ length: fanOut }, () => `*a${l - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

/** `depth` levels of flow sequences (`[[[...]]]`) or of block mappings. */
export function deepNesting(depth: number, style: 'flow' | 'block'): string {
  if (style === 'flow') return `x: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`;
  return Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
}

export function writeCase(dir: string, name: string, text: string | Buffer): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export { MB };
