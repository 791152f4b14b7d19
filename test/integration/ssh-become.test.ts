import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteCommandError } from '../../src/errors.js';
import { connect } from '../../src/transport/ssh.js';
import { startSshd, targetFor, type SshdHandle } from '../helpers/sshd.js';
import { requireTestUser, TEST_PASSWORD, TEST_USER } from '../helpers/test-user.js';

let sshd: SshdHandle;

beforeAll(async () => {
  sshd = await startSshd({ address: '127.0.0.1' });
});
afterAll(async () => {
  await sshd?.stop();
});

describe('become (sudo) over a real sshd', () => {
  it('root becoming root runs directly, without sudo', async () => {
    const conn = await connect(targetFor(sshd, { become: { method: 'sudo' } }));
    const r = await conn.exec('id -u', { become: true });
    expect(r).toMatchObject({ code: 0, stdout: '0\n' });
    await conn.close();
  });

  it('a user with a sudo password becomes root; stdin reaches the command intact', async (t) => {
    if (!requireTestUser(t)) return;
    const conn = await connect(
      targetFor(sshd, { user: TEST_USER, privateKeyPath: undefined, password: TEST_PASSWORD, become: { method: 'sudo', password: TEST_PASSWORD } }),
    );
    try {
      expect((await conn.exec('id -un')).stdout).toBe(`${TEST_USER}\n`);
      const r = await conn.exec('id -un; echo "home=$HOME"; echo to-stderr >&2', { become: true });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('root\nhome=/root\n');
      // The prompt and the marker are the transport's business, not the caller's.
      expect(r.stderr).toBe('to-stderr\n');
      const payload = randomBytes(64 * 1024).toString('base64');
      const cat = await conn.exec('cat', { become: true, stdin: payload });
      expect(cat.stdout === payload).toBe(true);
      expect(cat.stdout).not.toContain(TEST_PASSWORD);
      // Several at once: each sudo asks (timestamp_timeout=0) and each gets its answer.
      const many = await Promise.all(Array.from({ length: 6 }, (_, i) => conn.exec(`echo ${i}; id -u`, { become: true })));
      expect(many.map((m) => m.stdout)).toEqual(Array.from({ length: 6 }, (_, i) => `${i}\n0\n`));
    } finally {
      await conn.close();
    }
  });

  it('a wrong sudo password fails the command clearly and never hangs', async (t) => {
    if (!requireTestUser(t)) return;
    const conn = await connect(
      targetFor(sshd, { user: TEST_USER, privateKeyPath: undefined, password: TEST_PASSWORD, become: { method: 'sudo', password: 'wrong-become-pw' } }),
    );
    try {
      const err = (await conn.exec('id -u', { become: true }).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(RemoteCommandError);
      expect(err.message).toContain('incorrect become password');
      expect(err.message).not.toContain('wrong-become-pw');
      expect((await conn.exec('echo still-usable')).stdout).toBe('still-usable\n');
    } finally {
      await conn.close();
    }
  });

  it('without a password, sudo -n fails fast instead of waiting for one', async (t) => {
    if (!requireTestUser(t)) return;
    const conn = await connect(targetFor(sshd, { user: TEST_USER, privateKeyPath: undefined, password: TEST_PASSWORD, become: { method: 'sudo' } }));
    try {
      const r = await conn.exec('id -u', { become: true, timeoutMs: 10_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/password is required/);
    } finally {
      await conn.close();
    }
  });

  it('when sudo does not ask (root to another user), the password is not fed to the command', async (t) => {
    if (!requireTestUser(t)) return;
    const conn = await connect(targetFor(sshd, { become: { method: 'sudo', user: TEST_USER, password: 'unused-pw' } }));
    try {
      const r = await conn.exec('id -un; cat', { become: true, stdin: 'payload-only' });
      expect(r).toMatchObject({ code: 0, stdout: `${TEST_USER}\npayload-only`, stderr: '' });
      const other = await conn.exec('id -un', { become: true, becomeUser: 'root' });
      expect(other.stdout).toBe('root\n');
    } finally {
      await conn.close();
    }
  });
});
