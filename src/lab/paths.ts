import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest directory above this file holding package.json (works from src/ and dist/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export interface LabPaths {
  /** Per-lab state: pids, ports, overlays, seeds, keys, console logs. */
  labDir: string;
  /** Shared across labs: base images keyed by recipe hash, the package proxy's cache. */
  cacheDir: string;
  /** Where `lab up` writes the Ansible-compatible inventory. */
  inventoryDir: string;
}

export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const root = projectRoot();
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const labDir = resolve(env.LVSIBLE_LAB_DIR || join(root, '.lab'));
  // A lab in its own directory (tests, a second lab) keeps its inventory there too, so it never
  // overwrites the project's inventories/lab that belongs to the default lab.
  const inventoryDir = env.LVSIBLE_LAB_INVENTORY || (env.LVSIBLE_LAB_DIR ? join(labDir, 'inventory') : join(root, 'inventories', 'lab'));
  return { labDir, cacheDir: resolve(env.LVSIBLE_CACHE_DIR || join(cacheHome, 'lvsible')), inventoryDir: resolve(inventoryDir) };
}

/** Topology files shipped with lvsible (src/lab/topologies, copied beside dist/lab by nothing: read from src). */
export function builtinTopology(name: string): string {
  return join(projectRoot(), 'src', 'lab', 'topologies', `${name}.yml`);
}
