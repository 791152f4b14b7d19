import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { connect } from '../../src/transport/ssh.js';
import { startSshd, targetFor, type SshdHandle } from '../helpers/sshd.js';
import { killableUser } from '../helpers/test-user.js';

let jump: SshdHandle;
let jump2: SshdHandle;
let target: SshdHandle;
let knownHosts: string;

beforeAll(async () => {
  // DEBUG1 on the jump hosts: their logs show each direct-tcpip channel they open, our proof of the route.
  jump = await startSshd({ address: '127.0.0.2', extraConfig: 'LogLevel DEBUG1' });
  jump2 = await startSshd({ address: '127.0.0.4', extraConfig: 'LogLevel DEBUG1' });
  target = await startSshd({ address: '127.0.0.3' });
  knownHosts = join(target.dir, 'all_known_hosts');
  writeFileSync(knownHosts, [jump.hostKeyLine, jump2.hostKeyLine, target.hostKeyLine, ''].join('\n'));
});
afterAll(async () => {
  for (const s of [target, jump, jump2]) await s?.stop();
});

const forwarded = (s: SshdHandle, to: SshdHandle) =>
  s.log().includes(`target ${to.host} port ${to.port}`);

describe('ProxyJump through real sshds', () => {
  it('reaches the target through one jump host', async () => {
    expect(forwarded(jump, target)).toBe(false);
    const conn = await connect(
      targetFor(target, { knownHostsPath: knownHosts, proxyJump: [targetFor(jump, { knownHostsPath: knownHosts })] }),
    );
    const r = await conn.exec('echo via-jump; echo $SSH_CONNECTION');
    expect(r.stdout.split('\n')[0]).toBe('via-jump');
    // The target saw a connection arriving at its own address and port...
    expect(r.stdout).toContain(`${target.host} ${target.port}`);
    // ...and the jump host is the one that opened it.
    expect(forwarded(jump, target)).toBe(true);
    await conn.close();
  });

  it('chains two jump hosts in order', async () => {
    const conn = await connect(
      targetFor(target, {
        knownHostsPath: knownHosts,
        proxyJump: [targetFor(jump, { knownHostsPath: knownHosts }), targetFor(jump2, { knownHostsPath: knownHosts })],
      }),
    );
    expect((await conn.exec('echo two-hops')).stdout).toBe('two-hops\n');
    expect(forwarded(jump, jump2)).toBe(true);
    expect(forwarded(jump2, target)).toBe(true);
    await conn.close();
  });

  it('targets behind one jump host share one login to it, closed after the last target', async () => {
    const logins = () => jump.log().split('Accepted publickey').length - 1;
    const before = logins();
    const via = () => targetFor(target, { knownHostsPath: knownHosts, proxyJump: [targetFor(jump, { knownHostsPath: knownHosts })] });
    const conns = await Promise.all(Array.from({ length: 5 }, () => connect(via())));
    const outs = await Promise.all(conns.map((c, i) => c.exec(`echo ${i}`)));
    expect(outs.map((o) => o.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n']);
    expect(logins() - before).toBe(1);
    // Closing some targets keeps the hop for the others.
    await Promise.all(conns.slice(0, 4).map((c) => c.close()));
    expect((await conns[4]!.exec('echo last')).stdout).toBe('last\n');
    await conns[4]!.close();
    // The hop was released with its last user: the next target logs in to it afresh.
    const again = await connect(via());
    await again.close();
    expect(logins() - before).toBe(2);
  });

  it('never shows its secrets when logged or serialised', async () => {
    const conn = await connect(
      targetFor(target, { knownHostsPath: knownHosts, become: { method: 'sudo', password: 'become-secret-1' }, password: 'login-secret-2' }),
    );
    const { inspect } = await import('node:util');
    expect(JSON.stringify({ conn })).not.toMatch(/secret/);
    expect(inspect(conn, { depth: 10 })).not.toMatch(/secret/);
    await conn.close();
  });

  it('checks the target host key too (strict, unknown target key is refused)', async () => {
    const onlyJump = join(target.dir, 'jump_only_known_hosts');
    writeFileSync(onlyJump, `${jump.hostKeyLine}\n`);
    const err = (await connect(
      targetFor(target, { knownHostsPath: onlyJump, proxyJump: [targetFor(jump, { knownHostsPath: onlyJump })] }),
    ).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toMatch(/via .*host key of \[127\.0\.0\.3\]:\d+ is not known/);
  });

  it('explains when the jump host cannot reach the target', async () => {
    const err = (await connect(
      targetFor(target, { port: 1, knownHostsPath: knownHosts, proxyJump: [targetFor(jump, { knownHostsPath: knownHosts })] }),
    ).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toMatch(new RegExp(`jump host sshd-127.0.0.2-\\d+ could not open a tunnel to 127.0.0.3:1`));
  });

  it('a dropped jump host makes the target unreachable, without hanging', async () => {
    const j = await startSshd({ address: '127.0.0.5' });
    const kh = join(j.dir, 'kh');
    writeFileSync(kh, `${j.hostKeyLine}\n${target.hostKeyLine}\n`);
    try {
      const user = killableUser(target.user);
      const conn = await connect(targetFor(target, { user, knownHostsPath: kh, proxyJump: [targetFor(j, { knownHostsPath: kh })] }));
      const mark = `${target.scratch}/started-${j.port}`;
      const running = conn.exec(`touch ${mark}; exec sleep 30`).catch((e: unknown) => e);
      for (let i = 0; i < 200 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      j.kill();
      expect(await running).toBeInstanceOf(UnreachableError);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await j.stop();
    }
  });
});
