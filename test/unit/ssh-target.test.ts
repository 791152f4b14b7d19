import { describe, expect, it } from 'vitest';
import { parseSshConfig } from '../../src/transport/ssh-config.js';
import { jumpTargets, type SshTarget } from '../../src/transport/target.js';

const base: SshTarget = {
  name: 'rs1',
  host: '10.0.0.11',
  port: 22,
  user: 'deploy',
  privateKeyPath: '/keys/deploy',
  passphrase: 'pp',
  password: 'target-only',
  become: { method: 'sudo', password: 'target-only' },
  agent: false,
  hostKeyChecking: 'strict',
  knownHostsPath: '/kh',
  connectTimeoutMs: 5000,
  commandTimeoutMs: 0,
};

describe('jumpTargets', () => {
  it('inherits the target settings but never its password or become', () => {
    expect(jumpTargets([{ host: 'bastion' }, { user: 'ops', host: 'b2', port: 2222 }], base)).toEqual([
      { name: 'rs1 (jump bastion)', host: 'bastion', port: 22, user: 'deploy', privateKeyPath: '/keys/deploy', passphrase: 'pp', agent: false, hostKeyChecking: 'strict', knownHostsPath: '/kh', connectTimeoutMs: 5000, commandTimeoutMs: 0 },
      { name: 'rs1 (jump b2)', host: 'b2', port: 2222, user: 'ops', privateKeyPath: '/keys/deploy', passphrase: 'pp', agent: false, hostKeyChecking: 'strict', knownHostsPath: '/kh', connectTimeoutMs: 5000, commandTimeoutMs: 0 },
    ]);
  });

  it("applies the hop's own ssh_config block; the spec's user and port still win", () => {
    const cfg = parseSshConfig('Host bastion\n  HostName 203.0.113.5\n  User jumper\n  Port 2200\n  IdentityFile /keys/jump\n  StrictHostKeyChecking accept-new\n');
    const [a] = jumpTargets([{ host: 'bastion' }], base, cfg);
    expect(a).toMatchObject({ host: '203.0.113.5', user: 'jumper', port: 2200, privateKeyPath: '/keys/jump', hostKeyChecking: 'accept-new' });
    expect(a!.passphrase).toBeUndefined(); // another key: the target's passphrase is not its
    const [b] = jumpTargets([{ user: 'me', host: 'bastion', port: 22 }], base, cfg);
    expect(b).toMatchObject({ user: 'me', port: 22 });
  });
});
