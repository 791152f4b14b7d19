/**
 * What the SSH transport costs against a real local sshd (loopback, this machine's 2 shared cores):
 * connect + auth, one exec round trip, many small execs through the channel cap, a 1 MiB stdin payload,
 * and connecting through a jump host. Run (as root, sshd installed):
 *   npx tsx bench/ssh-transport.ts
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '../src/transport/ssh.js';
import { startSshd, targetFor } from '../test/helpers/sshd.js';
import { TEST_USER, testUserExists } from '../test/helpers/test-user.js';

const ROUNDS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeRounds(fn: () => Promise<unknown>, rounds = ROUNDS): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return median(t);
}

const row = (what: string, ms: number, extra = '') => console.log(`${what.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms ${extra}`);

// The target accepts many simultaneous handshakes, so the hop-sharing rows measure the jump host alone.
const target = await startSshd({ address: '127.0.0.3', extraConfig: 'MaxStartups 100' });
const jump = await startSshd({ address: '127.0.0.2' });
try {
  // Each exec starts the remote user's login shell. The test sshd keeps bash from reading ~/.bashrc
  // (root's on this machine runs `pyenv init`); one row shows what a heavy rc file costs per command.
  const user = testUserExists() ? TEST_USER : target.user;
  console.log(`remote user: ${user}`);
  const t = targetFor(target, { user });
  const withRc = await startSshd({ address: '127.0.0.4', sourceRc: true });
  const asRoot = await connect(targetFor(withRc));
  row(`exec round trip as ${withRc.user}, ~/.bashrc read by the login shell`, await timeRounds(() => asRoot.exec('true'), 7));
  await asRoot.close();
  await withRc.stop();
  row('connect + auth (ed25519 key, strict host key)', await timeRounds(async () => (await connect(t)).close()));

  const conn = await connect(t);
  row('exec round trip (`true`)', await timeRounds(() => conn.exec('true'), 21));

  for (const cap of [1, 4, 8]) {
    const c = await connect(t, { maxChannels: cap });
    const ms = await timeRounds(() => Promise.all(Array.from({ length: 100 }, (_, i) => c.exec(`echo ${i}`))), 3);
    const retries = c.retries;
    row(`100 execs, ${cap} channel(s) at once`, ms, `(${(100_000 / ms).toFixed(0)} exec/s, ${retries} refused opens retried)`);
    await c.close();
  }

  const mib = randomBytes(512 * 1024).toString('hex');
  row('1 MiB stdin to `cat >/dev/null`', await timeRounds(() => conn.exec('cat >/dev/null', { stdin: mib })));
  row('1 MiB stdin round trip through `cat`', await timeRounds(() => conn.exec('cat', { stdin: mib })));
  await conn.close();

  const kh = join(target.dir, 'both_known_hosts');
  writeFileSync(kh, `${jump.hostKeyLine}\n${target.hostKeyLine}\n`);
  const viaJump = targetFor(target, { user, knownHostsPath: kh, proxyJump: [targetFor(jump, { knownHostsPath: kh })] });
  row('connect through one ProxyJump hop', await timeRounds(async () => (await connect(viaJump)).close()));
  const jc = await connect(viaJump);
  row('exec round trip through the hop', await timeRounds(() => jc.exec('true'), 21));
  await jc.close();
  // Without sharing, 20 simultaneous logins to one sshd run into its MaxStartups (10:30:100): some are
  // dropped before the handshake. Sharing is one login, then 20 tunnels on it.
  for (const share of [false, true]) {
    let failed = 0;
    const ms = await timeRounds(async () => {
      const settled = await Promise.allSettled(Array.from({ length: 20 }, () => connect(viaJump, { shareJumpHosts: share })));
      const conns = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      failed += settled.length - conns.length;
      await Promise.all(conns.map((c) => c.exec('true')));
      await Promise.all(conns.map((c) => c.close()));
    }, 3);
    row(`20 targets behind one hop, ${share ? 'shared' : 'own'} hop login`, ms, `(${failed}/60 connects failed)`);
  }
} finally {
  await target.stop();
  await jump.stop();
}
