import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureHost, HOST_PACKAGES, missingPackages } from '../../src/lab/host.js';

/** A PATH holding only some of the real programs: what a half-provisioned machine looks like. */
function pathWith(...programs: string[]): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'lvsible-path-'));
  for (const p of programs) symlinkSync(p === 'chroot' ? '/usr/sbin/chroot' : `/usr/bin/${p}`, join(dir, p));
  return { ...process.env, PATH: dir };
}

describe('lab host check', () => {
  it('names the Debian packages of the programs that are missing', async () => {
    const missing = await missingPackages(pathWith('ssh', 'ssh-keygen', 'qemu-img', 'chroot'));
    expect(missing.sort()).toEqual(['apt-cacher-ng', 'debootstrap', 'e2fsprogs', 'netcat-openbsd', 'qemu-system-x86']);
  });

  it('tells a non-root operator exactly what is missing and how to get it, installing nothing', async () => {
    const err = await ensureHost(true, () => undefined, { env: pathWith('ssh', 'ssh-keygen', 'chroot'), isRoot: false }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(err).toMatch(/missing packages: qemu-system-x86 qemu-utils debootstrap apt-cacher-ng netcat-openbsd e2fsprogs \(apt-get install /);
    expect(err).toMatch(/building the base image needs root/);
  });

  it('the CI package list covers every program the lab runs', () => {
    expect(HOST_PACKAGES).toEqual(['qemu-system-x86', 'qemu-utils', 'debootstrap', 'apt-cacher-ng', 'netcat-openbsd', 'e2fsprogs', 'openssh-client', 'coreutils']);
  });
});
