import { existsSync, readFileSync } from 'node:fs';
import { LabError, run, runRaw } from './proc.js';

/** A program the lab needs on this machine and the Debian package that provides it. */
const NEEDS: [program: string, pkg: string][] = [
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['qemu-img', 'qemu-utils'],
  ['debootstrap', 'debootstrap'],
  ['apt-cacher-ng', 'apt-cacher-ng'],
  ['nc', 'netcat-openbsd'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['chroot', 'coreutils'],
];

/** Debian packages to install on a fresh machine for the lab (what CI installs). */
export const HOST_PACKAGES = [...new Set(NEEDS.map(([, p]) => p))];

async function hasProgram(name: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const r = await runRaw('/bin/sh', ['-c', 'command -v "$1"', 'sh', name], { timeoutMs: 5000, env });
  return r.code === 0;
}

export async function missingPackages(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const missing = new Set<string>();
  for (const [prog, pkg] of NEEDS) if (!(await hasProgram(prog, env))) missing.add(pkg);
  return [...missing];
}

export interface HostCheckOptions {
  env?: NodeJS.ProcessEnv;
  /** Defaults to the real uid; tests pass false to see what a non-root operator is told. */
  isRoot?: boolean;
}

const isDebian = (): boolean =>
  existsSync('/etc/debian_version') || (existsSync('/etc/os-release') && /ID(_LIKE)?=.*debian/.test(readFileSync('/etc/os-release', 'utf8')));

/**
 * Make sure this machine can run the lab. As root on Debian, install what is missing; otherwise say
 * exactly what is missing and how to get it. Building the image needs root (debootstrap, chroot).
 */
export async function ensureHost(needImageBuild: boolean, log: (s: string) => void, opts: HostCheckOptions = {}): Promise<void> {
  const env = opts.env ?? process.env;
  const isRoot = opts.isRoot ?? process.getuid?.() === 0;
  let missing = await missingPackages(env);
  if (missing.length && isRoot && isDebian()) {
    log(`installing host packages: ${missing.join(' ')}`);
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update'], { env: aptEnv, timeoutMs: 10 * 60_000 });
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env: aptEnv, timeoutMs: 20 * 60_000 });
    missing = await missingPackages(env);
  }
  const problems: string[] = [];
  if (missing.length) problems.push(`missing packages: ${missing.join(' ')} (apt-get install ${missing.join(' ')})`);
  if (needImageBuild && !isRoot) problems.push('building the base image needs root (debootstrap and chroot): run `sudo lvsible lab up` once; later runs use the cached image');
  if (problems.length) throw new LabError('the lab cannot start on this machine:', problems.map((p) => `  - ${p}`).join('\n'));
}
