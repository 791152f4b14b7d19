import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, SudoConversation } from '../../src/transport/become.js';

describe('commandLine', () => {
  it('runs through sh -c, quoted', () => {
    expect(commandLine(`echo 'hi' $X`, { loginUser: 'op' }).line).toBe(`sh -c 'echo '\\''hi'\\'' $X'`);
  });

  it('skips sudo when already the target user', () => {
    expect(commandLine('id', { loginUser: 'root', become: { user: 'root', password: 'x' } })).toEqual({ line: 'sh -c id' });
  });

  it('uses sudo -n without a password so it can never wait for one', () => {
    expect(commandLine('id', { loginUser: 'op', become: { user: 'root' } }).line).toBe('sudo -H -n -u root -- sh -c id');
  });

  it('with a password: -S, a random prompt, and a marker before the command; the password is not in the line', () => {
    const a = commandLine('id -u', { loginUser: 'op', become: { user: 'postgres', password: 'pw-secret' } });
    const b = commandLine('id -u', { loginUser: 'op', become: { user: 'postgres', password: 'pw-secret' } });
    expect(a.line).toMatch(/^sudo -H -S -p '\[lvsible-sudo-password-[0-9a-f]{16}\]' -u postgres -- sh -c /);
    expect(a.line).not.toContain('pw-secret');
    expect(a.prompt).not.toBe(b.prompt);
    // What sudo would run prints the marker and then the command's own output.
    const inner = execFileSync('sh', ['-c', a.line.replace(/^sudo .* -- /, '')], { encoding: 'utf8' });
    expect(inner).toBe(`${a.marker}\n${process.getuid?.()}\n`);
  });
});

describe('SudoConversation', () => {
  const conv = () => new SudoConversation({ prompt: '[P-123]', marker: 'M-123' });

  it('finds a prompt split across chunks and removes it from stderr', () => {
    const c = conv();
    const a = c.onStderr(Buffer.from('warning\n[P-'));
    const b = c.onStderr(Buffer.from('123]'));
    expect(a.prompts + b.prompts).toBe(1);
    expect(a.data + b.data + c.flush().stderr).toBe('warning\n');
  });

  it('holds stdout until the marker line, then passes it through untouched', () => {
    const c = conv();
    expect(c.onStdout(Buffer.from('M-1')).started).toBe(false);
    const r = c.onStdout(Buffer.from('23\nfirst'));
    expect(r).toEqual({ started: true, data: Buffer.from('first') });
    expect(c.onStdout(Buffer.from('M-123\n')).data.toString()).toBe('M-123\n');
  });

  it('decodes a UTF-8 character split across stderr chunks', () => {
    const c = conv();
    const bytes = Buffer.from('été\n');
    const a = c.onStderr(bytes.subarray(0, 1));
    const b = c.onStderr(bytes.subarray(1));
    expect(a.data + b.data + c.flush().stderr).toBe('été\n');
  });

  it('counts a second prompt (wrong password)', () => {
    const c = conv();
    c.onStderr(Buffer.from('[P-123]'));
    c.onStderr(Buffer.from('Sorry, try again.\n[P-123]'));
    expect(c.promptsSeen).toBe(2);
  });
});
