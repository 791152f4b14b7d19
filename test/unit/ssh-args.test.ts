import { describe, expect, it } from 'vitest';
import { parseProxyJump, parseSshCommonArgs, splitWords } from '../../src/transport/ssh-args.js';

describe('parseProxyJump', () => {
  it.each([
    ['bastion', [{ host: 'bastion' }]],
    ['jump@bastion:2222', [{ user: 'jump', host: 'bastion', port: 2222 }]],
    ['a@h1,h2:23', [{ user: 'a', host: 'h1' }, { host: 'h2', port: 23 }]],
    ['ssh://u@h:2200', [{ user: 'u', host: 'h', port: 2200 }]],
    ['[2001:db8::1]:2222', [{ host: '2001:db8::1', port: 2222 }]],
    ['u@[::1]', [{ user: 'u', host: '::1' }]],
    ['none', []],
    ['', []],
  ])('%j', (spec, want) => {
    expect(parseProxyJump(spec)).toEqual(want);
  });

  it.each(['h:0', 'h:abc', '@h', 'u@'])('rejects %j', (spec) => {
    expect(() => parseProxyJump(spec)).toThrow(/invalid/);
  });
});

describe('parseSshCommonArgs (ansible_ssh_common_args)', () => {
  it.each([
    ['-o ProxyJump=jump@10.0.0.1:2222', { proxyJump: [{ user: 'jump', host: '10.0.0.1', port: 2222 }], ignored: [] }],
    ['-J bastion', { proxyJump: [{ host: 'bastion' }], ignored: [] }],
    ['-Jb1,b2', { proxyJump: [{ host: 'b1' }, { host: 'b2' }], ignored: [] }],
    ['-o "ProxyJump jump@b"', { proxyJump: [{ user: 'jump', host: 'b' }], ignored: [] }],
    [
      `-o ProxyCommand="ssh -W %h:%p -q -p 2222 ops@bastion.example"`,
      { proxyJump: [{ user: 'ops', host: 'bastion.example', port: 2222 }], ignored: [] },
    ],
    [`-o 'ProxyCommand=nc -X 5 -x proxy:1080 %h %p'`, { ignored: ['-o ProxyCommand=nc -X 5 -x proxy:1080 %h %p'] }],
    [
      '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -p 2200 -l admin -i ~/k',
      { hostKeyChecking: 'off', userKnownHostsFile: '/dev/null', connectTimeoutMs: 5000, port: 2200, user: 'admin', identityFile: '~/k', ignored: [] },
    ],
    ['-o StrictHostKeyChecking=accept-new', { hostKeyChecking: 'accept-new', ignored: [] }],
    ['-o ControlMaster=auto -o ControlPersist=60s -C', { ignored: ['-o ControlMaster=auto', '-o ControlPersist=60s', '-C'] }],
    ['-J first -o ProxyJump=second', { proxyJump: [{ host: 'first' }], ignored: [] }],
    ['', { ignored: [] }],
  ])('%s', (args, want) => {
    expect(parseSshCommonArgs(args)).toEqual(want);
  });

  it('explains a flag without its value', () => {
    expect(() => parseSshCommonArgs('-J')).toThrow(/-J needs a value/);
  });
});

describe('splitWords', () => {
  it.each([
    [`a 'b c' "d \\" e" f\\ g`, ['a', 'b c', 'd " e', 'f g']],
    [`  -o  ''  `, ['-o', '']],
  ])('%s', (s, want) => {
    expect(splitWords(s)).toEqual(want);
  });
  it('rejects an unterminated quote', () => {
    expect(() => splitWords(`-o "x`)).toThrow(/unterminated/);
  });
});
