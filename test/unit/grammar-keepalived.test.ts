import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepalivedName, keepalivedQuoted, keepalivedWord } from '../../src/grammar/index.js';

// [value, expected reason fragment or null]
const words: [string, string | null][] = [
  ['dir1', null],
  ['dir1.example.com', null],
  ['2001:db8::1', null],
  ['198.51.100.10/24', null],
  ['lb_01-a@site', null],
  ['h\u00e9te', null],
  ['dir1\nvrrp_script pwn {', 'a newline'],
  ['dir1\r', 'a carriage return'],
  ['dir1 dir2', 'a space (keepalived splits words at blanks)'],
  ['dir1\t', 'a tab'],
  ['dir1}vrrp_script x {', '"}", which in keepalived.conf closes the block'],
  ['dir1{', 'opens a block'],
  ['dir1#x', 'starts a comment'],
  ['dir1!x', 'starts a comment'],
  ['$_HASH', 'replaced by a keepalived definition'],
  ['a"b', 'starts a quoted string'],
  ["a'b", 'starts a quoted string'],
  ['dir1\\', 'continues the line'],
  ['@dir2', 'directive'],
  ['~SEQ(x,1,3)', 'directive'],
  ['include', 'include'],
  ['', 'is empty'],
  ['a\u0000b', 'NUL'],
  ['a\u2028b', 'U+2028'],
  // Invisible characters: refused at render time too (defence in depth behind the inventory checks).
  ['dir1\u202e', 'U+202E'],
  ['web\u200b1', 'U+200B'],
  ['a\u200db', 'U+200D'],
  ['a\u2060b', 'U+2060'],
  ['\ufeffdir1', 'U+FEFF'],
  ['a\u2066b', 'U+2066'],
  ['a\u00adb', 'U+00AD'],
  ['a\u3000b', 'U+3000'],
  ['d\u00fcr', null],
];

describe('keepalivedWord: what keepalived.conf reads as one plain word', () => {
  for (const [v, why] of words) {
    it(`${JSON.stringify(v)} -> ${why ?? 'accepted'}`, () => {
      const r = keepalivedWord(v);
      if (why === null) expect(r).toBeNull();
      else expect(r).toContain(why);
    });
  }
});

describe('keepalivedName and keepalivedQuoted', () => {
  const names: [string, boolean][] = [['VI_1', true], ['dir1.example.com', true], ['-x', false], ['h\u00e9te', false], ['VI 1', false], ['a/b', false]];
  for (const [v, ok] of names) it(`name ${JSON.stringify(v)} ${ok ? 'accepted' : 'refused'}`, () => expect(keepalivedName(v) === null).toBe(ok));

  const quoted: [string, string | null][] = [
    ['/usr/local/bin/check-dns 198.51.100.10', null],
    ['/bin/check # not a comment inside quotes {}', null],
    ['/bin/x" } vrrp_script pwn {', 'double quote'],
    ['/bin/x"\nvrrp_script pwn {', 'a newline'],
    ['/bin/x\n', 'a newline'],
    ['/bin/x \\', 'backslash'],
    ['/bin/x $_HASH', '"$"'],
    ['  ', 'is empty'],
    ['/bin/check \u202e', 'U+202E'],
    ['/bin/check\u200b', 'U+200B'],
  ];
  for (const [v, why] of quoted) {
    it(`quoted ${JSON.stringify(v)} -> ${why ?? 'accepted'}`, () => {
      const r = keepalivedQuoted(v);
      if (why === null) expect(r).toBeNull();
      else expect(r).toContain(why);
    });
  }
});

/** keepalived's own parser, when installed: an accepted word after router_id must leave the config valid. */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function keepalivedCheck(text: string): { code: number | null; out: string } | null {
  if (spawnSync('keepalived', ['--version']).error) return null;
  const dir = mkdtempSync(join(tmpdir(), 'kag-'));
  dirs.push(dir);
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, text);
  const res = spawnSync('unshare', ['-n', 'keepalived', '-t', '-l', '-n', '-f', file], { encoding: 'utf8', timeout: 20_000 });
  if (res.error || /unshare failed|Operation not permitted/.test(res.stderr)) return null;
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

describe('real keepalived -t agrees', () => {
  it('accepted words keep a one-statement config valid', (ctx) => {
    for (const [v, why] of words) {
      if (why !== null) continue;
      const res = keepalivedCheck(`global_defs {\n    router_id ${v}\n}\n`);
      if (!res) return ctx.skip();
      expect({ v, ...res }).toEqual({ v, code: 0, out: '' });
    }
  });

  it('an unchecked newline in router_id does give keepalived a second statement (what the grammar refuses)', (ctx) => {
    const res = keepalivedCheck(`global_defs {\n    router_id dir1\n    nosuch_keyword 1\n}\n`);
    if (!res) return ctx.skip();
    expect(res.out).toMatch(/nosuch_keyword/);
  });
});
