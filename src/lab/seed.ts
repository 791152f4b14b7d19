import { mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupScript } from './guest.js';
import { ensureKey } from './keys.js';
import { run } from './proc.js';
import type { TopologyVm } from './topology.js';

export interface Seed {
  image: string;
  hostPublicKey: string;
}

/**
 * Build a VM's seed disk: its SSH host key (made once, kept across resets so known_hosts stays true),
 * the lab's login key and its setup script, as a small ext4 image made without mounting anything.
 */
export async function buildSeed(vm: TopologyVm, vmDir: string, loginPublicKey: string): Promise<Seed> {
  const keyFile = join(vmDir, 'ssh_host_ed25519_key');
  const hostPublicKey = await ensureKey(keyFile, `root@${vm.name}`);
  const dir = join(vmDir, 'seed.d');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(keyFile, join(dir, 'ssh_host_ed25519_key'));
  copyFileSync(`${keyFile}.pub`, join(dir, 'ssh_host_ed25519_key.pub'));
  writeFileSync(join(dir, 'authorized_keys'), `${loginPublicKey}\n`);
  writeFileSync(join(dir, 'setup.sh'), setupScript(vm));
  const image = join(vmDir, 'seed.img');
  rmSync(image, { force: true });
  await run('mkfs.ext4', ['-q', '-F', '-L', 'LVSSEED', '-d', dir, image, '4M'], { timeoutMs: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  return { image, hostPublicKey };
}
