import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, isListening } from './ports.js';
import { LabError, tail, waitFor } from './proc.js';

/** Where the VMs see the proxy: on-link on the management LAN, forwarded by qemu to the host's proxy. */
export const GUEST_PROXY = { host: '10.0.2.100', port: 3142 };

export interface ProxyHandle {
  pid: number;
  port: number;
}

/**
 * apt-cacher-ng's own configuration, kept apart from /etc so the lab needs no system service. Only
 * Debian's archive is served (ForceManaged): a VM asking for any other host gets 403, so the proxy is not
 * a way out of the lab. The stock remapping lists mirrors that do not resolve here (503 "Host not
 * found"), so the backend is named explicitly.
 */
export function proxyConfig(cacheDir: string): string {
  return [
    `CacheDir: ${join(cacheDir, 'proxy', 'cache')}`,
    `LogDir: ${join(cacheDir, 'proxy', 'log')}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    'ForeGround: 1',
    'ForceManaged: 1',
    'Remap-debrep: deb.debian.org/debian /debian ; http://deb.debian.org/debian',
    'Remap-secdeb: deb.debian.org/debian-security security.debian.org/debian-security /debian-security ; http://deb.debian.org/debian-security',
    'ExThreshold: 4',
    '',
  ].join('\n');
}

/**
 * Start apt-cacher-ng as our own child, detached so it outlives `lab up`, listening on 127.0.0.1 only.
 * Its port stays below 32768: this build of apt-cacher-ng fails to bind higher ones ("Error resolving
 * address for binding").
 */
export async function startProxy(cacheDir: string, logFile: string): Promise<ProxyHandle> {
  const base = join(cacheDir, 'proxy');
  for (const d of ['conf', 'cache', 'log']) mkdirSync(join(base, d), { recursive: true });
  writeFileSync(join(base, 'conf', 'acng.conf'), proxyConfig(cacheDir));
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(20000, 32000);
    const fd = openSync(logFile, 'a');
    const child = spawn('apt-cacher-ng', ['-c', join(base, 'conf'), 'BindAddress=127.0.0.1', `Port=${port}`], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const spawned = await new Promise<number | undefined>((resolve) => {
      child.once('error', () => resolve(undefined));
      child.once('spawn', () => resolve(child.pid));
    });
    if (!spawned) throw new LabError('cannot start apt-cacher-ng', 'install it: apt-get install apt-cacher-ng');
    child.unref();
    let exited = false;
    child.once('exit', () => (exited = true));
    const up = await waitFor(async () => ((await isListening(port, 500)) ? true : exited ? false : undefined), 10_000, 100);
    if (up) return { pid: spawned, port };
    if (!exited) process.kill(spawned, 'SIGKILL');
    lastErr = existsSync(logFile) ? tail(readFileSync(logFile, 'utf8'), 5) : '';
  }
  throw new LabError(`apt-cacher-ng did not start listening on 127.0.0.1${lastErr ? `:\n${lastErr}` : ''}`);
}
