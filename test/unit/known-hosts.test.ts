import { createHmac, randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  blobKeyType,
  checkHostKey,
  hostEntryName,
  hostsFieldMatches,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
} from '../../src/transport/known-hosts.js';

/** A syntactically real SSH key blob: string type, string 32 random bytes (what ssh-ed25519 looks like). */
function blob(type = 'ssh-ed25519'): Buffer {
  const t = Buffer.from(type);
  const k = randomBytes(32);
  const b = Buffer.alloc(8 + t.length + k.length);
  b.writeUInt32BE(t.length, 0);
  t.copy(b, 4);
  b.writeUInt32BE(k.length, 4 + t.length);
  k.copy(b, 8 + t.length);
  return b;
}
const b64 = (b: Buffer) => b.toString('base64');
const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

const dir = mkdtempSync(join(tmpdir(), 'lvsible-khu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('known_hosts parsing and matching', () => {
  const mine = blob();
  const other = blob();
  const rsa = blob('ssh-rsa');
  const text = [
    '# comment',
    '',
    `lb1,10.0.0.1 ssh-ed25519 ${b64(mine)} root@lb1`,
    `[lb2]:2222 ssh-ed25519 ${b64(other)}`,
    `${hashed('[lb3]:2200')} ssh-ed25519 ${b64(mine)}`,
    `*.lab,!bad.lab ssh-ed25519 ${b64(mine)}`,
    `@cert-authority *.corp ssh-ed25519 ${b64(other)}`,
    `@revoked * ssh-rsa ${b64(rsa)}`,
    `lb4 ssh-rsa ${b64(rsa)}`,
    '@weird lb1 ssh-ed25519 AAAA',
    'malformed-line',
  ].join('\n');
  const lines = parseKnownHosts(text);

  it('reads hosts, markers and 1-based line numbers; skips junk', () => {
    expect(lines.map((l) => [l.line, l.marker ?? '', l.keyType])).toEqual([
      [3, '', 'ssh-ed25519'],
      [4, '', 'ssh-ed25519'],
      [5, '', 'ssh-ed25519'],
      [6, '', 'ssh-ed25519'],
      [7, 'cert-authority', 'ssh-ed25519'],
      [8, 'revoked', 'ssh-rsa'],
      [9, '', 'ssh-rsa'],
    ]);
  });

  it.each([
    ['lb1', 22, 'known', 3],
    ['10.0.0.1', 22, 'known', 3],
    ['lb1', 2222, 'unknown', undefined], // `lb1` means port 22 only
    ['lb3', 2200, 'known', 5], // hashed
    ['web.lab', 22, 'known', 6],
    ['bad.lab', 22, 'unknown', undefined], // negated
    ['lb2', 2222, 'changed', 4],
    ['x.corp', 22, 'unknown', undefined], // CA lines are not host keys
  ])('%s port %i -> %s', (host, port, status, line) => {
    const v = checkHostKey(lines, hostEntryName(host, port), mine);
    expect(v.status).toBe(status);
    if (line !== undefined) expect(v).toMatchObject({ line });
  });

  it('a revoked key is refused whoever presents it', () => {
    expect(checkHostKey(lines, 'lb4', rsa)).toEqual({ status: 'revoked', line: 8 });
  });

  it('a key of another type than the recorded one is unknown, not changed (as ssh sees it)', () => {
    const v = checkHostKey(lines, 'lb4', mine);
    expect(v).toEqual({ status: 'unknown', otherTypes: ['ssh-rsa'] });
    expect(knownKeyTypes(lines, 'lb4')).toEqual(['ssh-rsa']);
  });

  it('reads the key type out of the blob', () => {
    expect(blobKeyType(rsa)).toBe('ssh-rsa');
    expect(hostsFieldMatches('LB1', 'lb1')).toBe(true);
  });
});

describe('verifyHostKey policy on a file', () => {
  const key = blob();
  const p = (mode: 'strict' | 'accept-new' | 'off', file: string) => ({ host: '10.1.1.1', port: 22, knownHostsPath: file, mode });

  it('strict refuses unknown, accept-new appends once and keeps the old content, off writes nothing', async () => {
    const file = join(dir, 'kh1');
    writeFileSync(file, 'existing ssh-ed25519 AAAA', { mode: 0o644 }); // no trailing newline
    expect(await verifyHostKey(p('strict', file), key)).toMatch(/not known .*ssh-keyscan 10\.1\.1\.1 >> /);
    expect(await verifyHostKey(p('off', file), key)).toBeNull();
    expect(readFileSync(file, 'utf8')).toBe('existing ssh-ed25519 AAAA');
    expect(await verifyHostKey(p('accept-new', file), key)).toBeNull();
    await appendKnownHost(file, `10.1.1.1 ssh-ed25519 ${b64(key)}`); // duplicate: ignored
    expect(readFileSync(file, 'utf8')).toBe(`existing ssh-ed25519 AAAA\n10.1.1.1 ssh-ed25519 ${b64(key)}\n`);
    expect(await verifyHostKey(p('strict', file), key)).toBeNull();
  });

  it('changed is refused in every mode with file:line and ssh-keygen -R', async () => {
    const file = join(dir, 'kh2');
    writeFileSync(file, `#\n10.1.1.1 ssh-ed25519 ${b64(blob())}\n`);
    for (const mode of ['strict', 'accept-new', 'off'] as const) {
      const msg = await verifyHostKey(p(mode, file), key);
      expect(msg).toContain(`${file}:2`);
      expect(msg).toContain(`ssh-keygen -R 10.1.1.1 -f ${file}`);
    }
  });

  it('accept-new with /dev/null records nothing and leaves the device alone', async () => {
    expect(await verifyHostKey(p('accept-new', '/dev/null'), key)).toBeNull();
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('accept-new writes through a symlinked known_hosts, keeping the link', async () => {
    const real = join(dir, 'real_kh');
    const link = join(dir, 'link_kh');
    writeFileSync(real, '');
    symlinkSync(real, link);
    expect(await verifyHostKey(p('accept-new', link), key)).toBeNull();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(`10.1.1.1 ssh-ed25519 ${b64(key)}\n`);
  });

  it('parallel accept-new appends to one file lose nothing', async () => {
    const file = join(dir, 'kh3');
    const lines = Array.from({ length: 30 }, (_, i) => `h${i} ssh-ed25519 ${b64(blob())}`);
    await Promise.all(lines.map((l) => appendKnownHost(file, l)));
    expect(readFileSync(file, 'utf8').trim().split('\n').sort()).toEqual([...lines].sort());
  });
});
