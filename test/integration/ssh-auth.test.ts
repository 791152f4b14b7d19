import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { connect } from '../../src/transport/ssh.js';
import { keygen, startSshd, targetFor, type SshdHandle } from '../helpers/sshd.js';
import { requireTestUser, TEST_USER, TEST_PASSWORD } from '../helpers/test-user.js';

let sshd: SshdHandle;

beforeAll(async () => {
  sshd = await startSshd({ address: '127.0.0.1' });
});
afterAll(async () => {
  await sshd?.stop();
});

const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Error);

describe('authentication and connect errors against a real sshd', () => {
  it('logs in with a passphrase-protected key', async () => {
    const key = await sshd.addClientKey('id_locked', 'correct horse');
    const c = await connect(targetFor(sshd, { privateKeyPath: key, passphrase: 'correct horse' }));
    expect((await c.exec('echo in')).stdout).toBe('in\n');
    await c.close();
  });

  it('logs in through ssh-agent (a real one, on a socket in the test dir)', async () => {
    const key = await sshd.addClientKey('id_agent', 'agent-phrase');
    const sock = join(sshd.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await waitForFile(sock, 5000);
      const env = { ...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS: join(sshd.dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'x' };
      writeFileSync(join(sshd.dir, 'askpass'), '#!/bin/sh\necho agent-phrase\n', { mode: 0o755 });
      execFileSync('ssh-add', [key], { env, stdio: 'ignore' });
      // No key file, no password: only the agent can get us in.
      const c = await connect(targetFor(sshd, { privateKeyPath: undefined, agent: sock }));
      expect((await c.exec('echo via-agent')).stdout).toBe('via-agent\n');
      await c.close();
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('explains a wrong or missing passphrase without printing it', async () => {
    const key = await sshd.addClientKey('id_locked2', 'right-phrase');
    const wrong = await fail(connect(targetFor(sshd, { privateKeyPath: key, passphrase: 'wrong-phrase-xyz' })));
    expect(wrong).toBeInstanceOf(UnreachableError);
    expect(wrong.message).toContain(`private key ${key} is encrypted and the passphrase is wrong`);
    expect(wrong.message).not.toContain('wrong-phrase-xyz');
    const missing = await fail(connect(targetFor(sshd, { privateKeyPath: key })));
    expect(missing.message).toContain('no passphrase was given');
  });

  it('names the methods it tried when authentication fails, never the password', async () => {
    const stranger = `${sshd.dir}/id_stranger`;
    await keygen(stranger, ''); // not in authorized_keys
    const err = await fail(connect(targetFor(sshd, { privateKeyPath: stranger, password: 'sekrit-pw-123' })));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toMatch(new RegExp(`authentication failed for ${sshd.user}@${sshd.host}:${sshd.port}`));
    expect(err.message).toContain(`publickey (${stranger})`);
    expect(err.message).toContain('password');
    expect(err.message).toMatch(/server accepts .*publickey/);
    expect(err.message).not.toContain('sekrit-pw-123');
    expect(JSON.stringify(err)).not.toContain('sekrit-pw-123');
  });

  it('says "connection refused" for a closed port', async () => {
    const port = await closedPort();
    const err = await fail(connect(targetFor(sshd, { port })));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`connection refused by ${sshd.host}:${port}`);
  });

  it('times out on a server that accepts TCP but never speaks SSH', async () => {
    const silent: Socket[] = [];
    const srv = createServer((s) => silent.push(s));
    const port = await listen(srv);
    try {
      const t0 = Date.now();
      const err = await fail(connect(targetFor(sshd, { port, connectTimeoutMs: 700 })));
      expect(err).toBeInstanceOf(UnreachableError);
      expect(err.message).toMatch(/timed out after 0\.7 s connecting to 127\.0\.0\.1:\d+/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      for (const s of silent) s.destroy();
      srv.close();
    }
  });

  it('logs in with a password (test user)', async (t) => {
    if (!requireTestUser(t)) return;
    const c = await connect(targetFor(sshd, { user: TEST_USER, privateKeyPath: undefined, password: TEST_PASSWORD }));
    expect((await c.exec('id -un')).stdout).toBe(`${TEST_USER}\n`);
    await c.close();
    const err = await fail(connect(targetFor(sshd, { user: TEST_USER, privateKeyPath: undefined, password: 'not-the-password' })));
    expect(err.message).toMatch(/authentication failed .*tried .*password/);
    expect(err.message).not.toContain('not-the-password');
  });
});

function listen(srv: Server): Promise<number> {
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)));
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  const port = await listen(srv);
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitForFile(path: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`${path} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
