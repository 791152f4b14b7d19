import { existsSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { connect } from '../../src/transport/ssh.js';
import { startSshd, targetFor, type SshdHandle } from '../helpers/sshd.js';
import { killableUser } from '../helpers/test-user.js';

const started: SshdHandle[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

async function sshd(): Promise<SshdHandle> {
  const s = await startSshd({ address: '127.0.0.1' });
  started.push(s);
  return s;
}

const settle = (p: Promise<unknown>) => p.then(() => 'resolved' as const, (e: unknown) => e);

describe('a connection that dies mid-run', () => {
  it('rejects the running command, the queued ones and later ones with UnreachableError, within seconds', async () => {
    const s = await sshd();
    const conn = await connect(targetFor(s, { user: killableUser(s.user) }), { maxChannels: 1 });
    const mark = `${s.scratch}/started`;
    const running = settle(conn.exec(`touch ${mark}; exec sleep 30`));
    const queued = settle(conn.exec('echo never'));
    await waitFor(() => existsSync(mark), 10_000);
    const t0 = Date.now();
    s.kill();
    const [a, b] = await Promise.all([running, queued]);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(a).toBeInstanceOf(UnreachableError);
    expect(b).toBeInstanceOf(UnreachableError);
    expect(String((a as Error).message)).toMatch(new RegExp(`connection to ${killableUser(s.user)}@${s.host}:${s.port} lost`));
    await expect(conn.exec('true')).rejects.toBeInstanceOf(UnreachableError);
    await conn.close(); // closing a dead connection is harmless
  });

  it('notices a silent peer through keepalives (no FIN, no RST: the link just stops)', async () => {
    const s = await sshd();
    const proxy = await freezableProxy(s.host, s.port);
    try {
      const conn = await connect(targetFor(s, { user: killableUser(s.user), port: proxy.port, knownHostsPath: await knownHostsFor(s, proxy.port) }), {
        keepaliveIntervalMs: 300,
        keepaliveCountMax: 2,
      });
      expect((await conn.exec('echo before')).stdout).toBe('before\n');
      const running = settle(conn.exec('sleep 30'));
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      proxy.freeze();
      const err = await running;
      expect(err).toBeInstanceOf(UnreachableError);
      expect(String((err as Error).message)).toMatch(/no answer to 2 keepalives/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      proxy.close();
    }
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The proxy listens on another port, so known_hosts needs the key under that port's name. */
async function knownHostsFor(s: SshdHandle, port: number): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const path = `${s.dir}/known_hosts_proxy`;
  writeFileSync(path, `[${s.host}]:${port} ssh-ed25519 ${s.hostKeyBase64}\n`);
  return path;
}

/** A loopback TCP relay that can stop relaying while keeping both sockets open (a dead link, not a closed one). */
async function freezableProxy(host: string, port: number): Promise<{ port: number; freeze(): void; close(): void }> {
  const sockets: Socket[] = [];
  let frozen = false;
  const srv: Server = createServer((client) => {
    const upstream = tcpConnect({ host, port });
    sockets.push(client, upstream);
    client.on('data', (d) => !frozen && upstream.write(d));
    upstream.on('data', (d) => !frozen && client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  return {
    port: (srv.address() as { port: number }).port,
    freeze: () => (frozen = true),
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}
