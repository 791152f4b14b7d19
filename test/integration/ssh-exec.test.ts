import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTimeoutError } from '../../src/transport/connect-errors.js';
import { connect, type SshConnection } from '../../src/transport/ssh.js';
import { sh } from '../../src/transport/quote.js';
import { startSshd, targetFor, type SshdHandle } from '../helpers/sshd.js';
import { killableUser } from '../helpers/test-user.js';

let sshd: SshdHandle;
let conn: SshConnection;
/** Commands killed by a timeout here run as a user whose shell rc is harmless to interrupt. */
let killable: SshConnection;

beforeAll(async () => {
  sshd = await startSshd({ address: '127.0.0.1' });
  conn = await connect(targetFor(sshd));
  killable = await connect(targetFor(sshd, { user: killableUser(sshd.user) }));
});
afterAll(async () => {
  await conn?.close();
  await killable?.close();
  await sshd?.stop();
});

describe('exec over a real sshd', () => {
  it('returns stdout, stderr and the exit code', async () => {
    const r = await conn.exec('echo out; echo err >&2; exit 3');
    expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    const ok = await conn.exec('id -un');
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe(sshd.user);
  });

  it('runs the command under sh whatever the quoting inside it', async () => {
    const tricky = `it's "quoted" $HOME \`x\` ; | & * \\ end`;
    const r = await conn.exec(sh`printf '%s' ${tricky}`);
    expect(r.stdout).toBe(tricky);
    // sh, not the login shell: bash-only syntax must fail the way dash fails it.
    const bashism = await conn.exec('[[ 1 == 1 ]] && echo bash');
    expect(bashism.code).not.toBe(0);
  });

  it('keeps multi-byte UTF-8 intact on stdout and stderr, whatever the chunking', async () => {
    const text = 'é€😀'.repeat(20_000); // ~180 KB: many SSH packets, chunk borders fall mid-character
    const r = await conn.exec('tee /dev/stderr', { stdin: text });
    expect(r.code).toBe(0);
    expect(r.stdout === text).toBe(true);
    expect(r.stderr === text).toBe(true);
  });

  it('reports a death by signal', async () => {
    const r = await conn.exec('kill -TERM $$');
    expect(r.signal).toBe('SIGTERM');
    expect(r.code).toBe(128 + 15);
  });

  it('round-trips a 1 MiB stdin payload byte-exact', async () => {
    const payload = randomBytes(512 * 1024).toString('hex'); // 1 MiB of text
    const r = await conn.exec('cat', { stdin: payload });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(payload.length);
    expect(r.stdout === payload).toBe(true);
    const bin = randomBytes(1024 * 1024);
    const sum = await conn.exec('sha256sum', { stdin: bin });
    expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(bin).digest('hex'));
  });

  it('a command that ignores a large stdin still returns normally', async () => {
    const r = await conn.exec('echo ignored', { stdin: Buffer.alloc(4 * 1024 * 1024, 97) });
    expect(r).toEqual({ code: 0, stdout: 'ignored\n', stderr: '' });
  });

  it('runs 20 concurrent commands over one connection without exceeding MaxSessions', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => conn.exec(`sleep 0.3; echo ${i}`)),
    );
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(results.every((r) => r.code === 0)).toBe(true);
    // All 20 were really in flight: the cap, not the caller, serialised them.
    expect(conn.peakChannels).toBe(8);
  });

  it('without the cap, sshd refuses channels beyond MaxSessions (the cap is what makes the above pass)', async () => {
    const uncapped = await connect(targetFor(sshd, { user: killableUser(sshd.user) }), { maxChannels: 20 });
    try {
      const settled = await Promise.allSettled(Array.from({ length: 20 }, () => uncapped.exec('sleep 4')));
      const refused = settled.filter((s) => s.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/cannot open an SSH channel/);
    } finally {
      await uncapped.close();
    }
  });

  it('kills a command that outlives its timeout and says so', async () => {
    const t0 = Date.now();
    const err = await killable.exec('echo started; sleep 30', { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(String(err)).toMatch(/timed out after 1500 ms/);
    expect(String(err)).toMatch(/started/);
    expect(Date.now() - t0).toBeLessThan(6000);
    // The connection is still fine afterwards.
    expect((await killable.exec('echo alive')).stdout).toBe('alive\n');
  });

  it('uses the target commandTimeoutMs when exec gives none', async () => {
    const c = await connect(targetFor(sshd, { user: killableUser(sshd.user), commandTimeoutMs: 300 }));
    try {
      await expect(c.exec('sleep 10')).rejects.toBeInstanceOf(CommandTimeoutError);
    } finally {
      await c.close();
    }
  });

  it('rejects exec after close', async () => {
    const c = await connect(targetFor(sshd));
    await c.close();
    await expect(c.exec('true')).rejects.toThrow(/closed/);
  });
});
