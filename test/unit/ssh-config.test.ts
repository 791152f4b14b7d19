import { describe, expect, it } from 'vitest';
import { applySshConfig, hostPatternsMatch, parseSshConfig } from '../../src/transport/ssh-config.js';

const CONFIG = `
# global defaults before any Host apply everywhere
ConnectTimeout 7

Host bastion
  HostName 203.0.113.10
  User jump
  Port 2222

Host lb-* !lb-test
  User = ops
  IdentityFile ~/.ssh/lvs_%r_%h
  ProxyJump jump@bastion:2222

Host lb-?? "quoted"
  Port 2200
  IdentityFile "/keys/second key"

Host *.lab
  HostName %h.example.net
  StrictHostKeyChecking accept-new
  UserKnownHostsFile ~/.ssh/lab_known_hosts /etc/other

Match exec "true"
  User never

Host *
  User fallback
  Port 22
  ProxyJump none
  Include other.conf
  ForwardAgent yes
`;

const cfg = parseSshConfig(CONFIG, '/home/op/.ssh/config');
const look = (alias: string) => applySshConfig(cfg, alias, { home: '/home/op', localUser: 'op' });

describe('ssh_config lookup, first obtained value wins', () => {
  it.each([
    ['bastion', { hostName: '203.0.113.10', user: 'jump', port: 2222, proxyJump: [], connectTimeoutMs: 7000 }],
    [
      'lb-01',
      {
        user: 'ops',
        port: 2200,
        identityFile: '/home/op/.ssh/lvs_ops_lb-01',
        identityFiles: ['/home/op/.ssh/lvs_ops_lb-01', '/keys/second key'],
        proxyJump: [{ user: 'jump', host: 'bastion', port: 2222 }],
        connectTimeoutMs: 7000,
      },
    ],
    // Negated: lb-test matches lb-* and lb-?? style patterns but is vetoed from the lb-* block.
    ['lb-test', { user: 'fallback', port: 22, proxyJump: [], connectTimeoutMs: 7000 }],
    [
      'web1.lab',
      {
        hostName: 'web1.lab.example.net',
        user: 'fallback',
        port: 22,
        proxyJump: [],
        hostKeyChecking: 'accept-new',
        userKnownHostsFile: '/home/op/.ssh/lab_known_hosts',
        connectTimeoutMs: 7000,
      },
    ],
    ['other', { user: 'fallback', port: 22, proxyJump: [], connectTimeoutMs: 7000 }],
  ])('%s', (alias, expected) => {
    expect(look(alias)).toEqual(expected);
  });

  it('skips Match blocks it cannot evaluate and reports them and Include', () => {
    expect(look('anything').user).toBe('fallback');
    expect(cfg.unsupported).toEqual([
      '/home/op/.ssh/config:24: Match exec "true" (skipped)',
      '/home/op/.ssh/config:31: Include is not followed',
    ]);
  });

  it('an empty config says nothing', () => {
    expect(applySshConfig(parseSshConfig(''), 'x')).toEqual({});
  });

  it('points at the line of a bad value', () => {
    const bad = parseSshConfig('Host a\n  Port 99999\n', 'cfg');
    expect(() => applySshConfig(bad, 'a')).toThrow('cfg:2: invalid Port 99999');
    const badJump = parseSshConfig('Host a\n\n  ProxyJump u@h:x\n', 'cfg');
    expect(() => applySshConfig(badJump, 'a')).toThrow(/^cfg:3: invalid port "x"/);
  });

  it.each([
    [['*'], 'x', true],
    [['lb-*', '!lb-test'], 'lb-test', false],
    [['!lb-test', 'lb-*'], 'lb-test', false],
    [['lb-?'], 'lb-12', false],
    [['LB-1'], 'lb-1', true],
    [['10.0.0.*'], '10.0.0.5', true],
    [['10.0.0.*'], '10.0.1.5', false],
    [['!foo'], 'bar', false],
  ])('Host %j selects %s: %s', (patterns, alias, want) => {
    expect(hostPatternsMatch(patterns, alias)).toBe(want);
  });
});
