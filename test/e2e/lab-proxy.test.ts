import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isListening } from '../../src/lab/ports.js';
import { isAlive } from '../../src/lab/proc.js';
import { startProxy, type ProxyHandle } from '../../src/lab/proxy.js';
import { stopPid } from '../../src/lab/vm.js';

/** The lab's package proxy on its own (real apt-cacher-ng, own config and cache in a temp dir). */
const cacheDir = mkdtempSync(join(tmpdir(), 'lvsible-proxy-test-'));
let proxy: ProxyHandle;

/** A request through the proxy, as apt sends it (absolute URL). Only loopback is contacted. */
function viaProxy(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path: url, headers: { Host: new URL(url).host }, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  proxy = await startProxy(cacheDir, join(cacheDir, 'proxy.log'));
});
afterAll(async () => {
  if (proxy) await stopPid(proxy.pid);
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('lab package proxy', () => {
  it('listens on 127.0.0.1 below port 32768, with its config under the cache dir', async () => {
    expect(await isListening(proxy.port)).toBe(true);
    expect(proxy.port).toBeLessThan(32768);
    const conf = readFileSync(join(cacheDir, 'proxy', 'conf', 'acng.conf'), 'utf8');
    expect(conf).toContain(`CacheDir: ${join(cacheDir, 'proxy', 'cache')}`);
    expect(readFileSync(`/proc/${proxy.pid}/cmdline`, 'utf8').split('\0')).toContain('BindAddress=127.0.0.1');
  });

  it('refuses every host but Debian\'s archive (a VM cannot use it to get out)', async () => {
    for (const url of ['http://example.com/', 'http://203.0.113.7/debian/dists/bookworm/Release', 'http://evil.test/debian/pool/x.deb']) {
      expect(await viaProxy(url), url).toBe(403);
    }
  });

  it('stops on SIGTERM and its port closes', async () => {
    expect(await stopPid(proxy.pid)).toBe(true);
    expect(isAlive(proxy.pid)).toBe(false);
    expect(await isListening(proxy.port)).toBe(false);
  });
});
