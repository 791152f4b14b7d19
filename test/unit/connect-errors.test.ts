import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, describeConnectError, type ConnectContext } from '../../src/transport/connect-errors.js';
import { RemoteCommandError } from '../../src/errors.js';

const ctx = (over: Partial<ConnectContext> = {}): ConnectContext => ({ host: '10.0.0.1', port: 22, user: 'ops', timeoutMs: 10_000, tried: [], notes: [], ...over });

describe('describeConnectError', () => {
  it.each([
    [{ message: 'x', code: 'ECONNREFUSED' }, 'connection refused by 10.0.0.1:22'],
    [{ message: 'x', code: 'ENOTFOUND' }, 'cannot resolve host name "10.0.0.1"'],
    [{ message: 'x', code: 'EHOSTUNREACH' }, 'no route to 10.0.0.1:22'],
    [{ message: 'Timed out while waiting for handshake', level: 'client-timeout' }, 'timed out after 10 s connecting to 10.0.0.1:22'],
    [{ message: 'Connection lost before handshake' }, 'closed the connection before the SSH handshake'],
    [{ message: 'Handshake failed: no matching key exchange algorithm' }, 'SSH handshake with 10.0.0.1:22 failed: Handshake failed: no matching'],
    [{ message: 'weird' }, 'cannot connect to 10.0.0.1:22: weird'],
  ])('%j', (err, want) => {
    expect(describeConnectError(err, ctx())).toContain(want);
  });

  it('auth failures list what was tried and what the server takes', () => {
    const m = describeConnectError(
      { message: 'All configured authentication methods failed', level: 'client-authentication' },
      ctx({ tried: ['publickey (/k)', 'password'], serverMethods: ['publickey'], notes: ['ssh-agent unusable: ENOENT'] }),
    );
    expect(m).toBe('authentication failed for ops@10.0.0.1:22: tried publickey (/k), password; the server accepts publickey; ssh-agent unusable: ENOENT');
  });

  it('a host key refusal is the whole story', () => {
    expect(describeConnectError({ message: 'Handshake failed', level: 'handshake' }, ctx({ hostKeyRefusal: 'host key of x has CHANGED' }))).toBe('host key of x has CHANGED');
  });
});

describe('CommandTimeoutError', () => {
  it('is a RemoteCommandError with exit code 124 and the output so far', () => {
    const e = new CommandTimeoutError('lb1', 'ipvsadm -Ln', 5000, 'warn\n', 'partial\n');
    expect(e).toBeInstanceOf(RemoteCommandError);
    expect(e.code).toBe(124);
    expect(e.message).toBe('lb1: ipvsadm -Ln timed out after 5000 ms and was killed:\nwarn');
  });
});
