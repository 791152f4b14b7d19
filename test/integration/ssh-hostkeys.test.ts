import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { connect } from '../../src/transport/ssh.js';
import { keygen, startSshd, targetFor, type SshdHandle } from '../helpers/sshd.js';

let sshd: SshdHandle;
let dir: string;

beforeAll(async () => {
  sshd = await startSshd({ address: '127.0.0.1' });
  dir = mkdtempSync(join(tmpdir(), 'lvsible-kh-'));
});
afterAll(async () => {
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const name = () => `[${sshd.host}]:${sshd.port}`;

describe('host key checking against a real sshd', () => {
  it('strict: refuses an unknown key and says how to add it', async () => {
    const kh = join(dir, 'empty_known_hosts');
    const err = await connect(targetFor(sshd, { knownHostsPath: kh })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    const msg = String((err as Error).message);
    expect(msg).toContain('is not known');
    expect(msg).toContain(`ssh-keyscan -p ${sshd.port} ${sshd.host} >> ${kh}`);
    expect(msg).toContain('--host-key-checking accept-new');
    expect(msg).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(existsSync(kh)).toBe(false);
  });

  it('accept-new: records an unknown key, then strict accepts it', async () => {
    const kh = join(dir, 'sub', 'known_hosts'); // directory does not exist yet
    const c = await connect(targetFor(sshd, { knownHostsPath: kh, hostKeyChecking: 'accept-new' }));
    expect((await c.exec('echo ok')).stdout).toBe('ok\n');
    await c.close();
    expect(readFileSync(kh, 'utf8')).toBe(`${sshd.hostKeyLine}\n`);
    const again = await connect(targetFor(sshd, { knownHostsPath: kh, hostKeyChecking: 'strict' }));
    expect((await again.exec('echo strict')).stdout).toBe('strict\n');
    await again.close();
    // And OpenSSH agrees with what was written.
    const out = execFileSync('ssh-keygen', ['-F', name(), '-f', kh], { encoding: 'utf8' });
    expect(out).toContain(sshd.hostKeyBase64);
  });

  it('refuses a CHANGED key in every mode, naming the file and line of the old key', async () => {
    const other = join(dir, 'other_key');
    await keygen(other, '');
    const otherBlob = readFileSync(`${other}.pub`, 'utf8').split(' ')[1];
    const kh = join(dir, 'changed_known_hosts');
    const text = `# comment\nsomehost ssh-ed25519 ${otherBlob}\n${name()} ssh-ed25519 ${otherBlob}\n`;
    for (const mode of ['strict', 'accept-new', 'off'] as const) {
      writeFileSync(kh, text);
      const err = await connect(targetFor(sshd, { knownHostsPath: kh, hostKeyChecking: mode })).catch((e: unknown) => e);
      expect(err, mode).toBeInstanceOf(UnreachableError);
      const msg = (err as Error).message;
      expect(msg).toContain('CHANGED');
      expect(msg).toContain(`${kh}:3`);
      expect(msg).toContain(`ssh-keygen -R '${name()}' -f ${kh}`);
      expect(readFileSync(kh, 'utf8'), `${mode} must not touch the file`).toBe(text);
    }
  });

  it('matches hashed entries written by ssh-keygen -H', async () => {
    const kh = join(dir, 'hashed_known_hosts');
    writeFileSync(kh, `${sshd.hostKeyLine}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|/);
    const c = await connect(targetFor(sshd, { knownHostsPath: kh }));
    expect((await c.exec('echo hashed')).stdout).toBe('hashed\n');
    await c.close();
  });

  it('asks a multi-key server for the key type known_hosts holds (only ECDSA recorded, server prefers ed25519)', async () => {
    const ecdsa = join(dir, 'ssh_host_ecdsa_key');
    await keygen(ecdsa, '', 'ecdsa');
    const multi = await startSshd({ address: '127.0.0.3', extraConfig: `HostKey ${ecdsa}` });
    try {
      const kh = join(dir, 'ecdsa_known_hosts');
      const [type, blob] = readFileSync(`${ecdsa}.pub`, 'utf8').split(' ');
      writeFileSync(kh, `[${multi.host}]:${multi.port} ${type} ${blob}\n`);
      const c = await connect(targetFor(multi, { knownHostsPath: kh }));
      expect((await c.exec('echo ecdsa')).stdout).toBe('ecdsa\n');
      await c.close();
      // And the ed25519 key the server also has is the one a fresh known_hosts gets.
      const fresh = join(dir, 'multi_fresh_known_hosts');
      await (await connect(targetFor(multi, { knownHostsPath: fresh, hostKeyChecking: 'accept-new' }))).close();
      expect(readFileSync(fresh, 'utf8')).toBe(`${multi.hostKeyLine}\n`);
    } finally {
      await multi.stop();
    }
  });

  it('refuses a key marked @revoked even in off mode', async () => {
    const kh = join(dir, 'revoked_known_hosts');
    writeFileSync(kh, `@revoked * ssh-ed25519 ${sshd.hostKeyBase64}\n${sshd.hostKeyLine}\n`);
    await expect(connect(targetFor(sshd, { knownHostsPath: kh, hostKeyChecking: 'off' }))).rejects.toThrow(/@revoked in .*:1/);
  });

  it('off: connects to an unknown host without recording it', async () => {
    const kh = join(dir, 'off_known_hosts');
    const c = await connect(targetFor(sshd, { knownHostsPath: kh, hostKeyChecking: 'off' }));
    await c.close();
    expect(existsSync(kh)).toBe(false);
  });

  it('accept-new from many parallel connections records the key once per host, losing none', async () => {
    const second = await startSshd({ address: '127.0.0.2' });
    try {
      const kh = join(dir, 'parallel_known_hosts');
      const conns = await Promise.all(
        [sshd, second, sshd, second].map((s) => connect(targetFor(s, { knownHostsPath: kh, hostKeyChecking: 'accept-new' }))),
      );
      await Promise.all(conns.map((c) => c.close()));
      const lines = readFileSync(kh, 'utf8').trim().split('\n');
      expect(lines.sort()).toEqual([sshd.hostKeyLine, second.hostKeyLine].sort());
    } finally {
      await second.stop();
    }
  });
});
