import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aliasBomb, deepNesting, iniInventory, yamlInventory } from '../../bench/hostile-input-gen.js';
import { parseExtraVars } from '../../src/commands/common.js';
import { MAX_INPUT_BYTES, readInputText } from '../../src/config/read.js';
import { loadYaml, parseYaml } from '../../src/config/source.js';
import { MAX_ALIASES, MAX_DEPTH } from '../../src/config/yaml-limits.js';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/load.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsible-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function put(name: string, content: string | Buffer): string {
  const sub = join(dir, String(n++));
  mkdirSync(sub);
  const file = join(sub, name);
  writeFileSync(file, content);
  return file;
}

function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const utf16 = (s: string, le: boolean, bom: boolean): Buffer => {
  const b = Buffer.from((bom ? '\ufeff' : '') + s, 'utf16le');
  return le ? b : b.swap16();
};
const utf32le = (s: string, bom: boolean): Buffer => {
  const cps = [...((bom ? '\ufeff' : '') + s)].map((c) => c.codePointAt(0)!);
  const b = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => b.writeUInt32LE(cp, i * 4));
  return b;
};

describe('input files: bytes', () => {
  const text = 'all:\n  hosts:\n    lb1:\n      ansible_port: 22\n';

  it.each([
    ['UTF-16 LE with a byte order mark', utf16(text, true, true), /UTF-16 LE text \(byte order mark\)/],
    ['UTF-16 BE with a byte order mark', utf16(text, false, true), /UTF-16 BE text \(byte order mark\)/],
    ['UTF-16 LE without a mark', utf16(text, true, false), /looks like UTF-16 LE/],
    ['UTF-16 BE without a mark', utf16(text, false, false), /looks like UTF-16 BE/],
    ['UTF-32 LE with a byte order mark', utf32le(text, true), /UTF-32 LE text \(byte order mark\)/],
    ['UTF-32 LE without a mark', utf32le(text, false), /looks like UTF-32 LE/],
    ['UTF-32 BE without a mark', Buffer.from(utf32le(text, false)).swap32(), /looks like UTF-32 BE/],
    ['a gzip file', Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0xcc]), /binary file \(gzip\)/],
  ])('refuses %s, naming the file', (_what, bytes, message) => {
    const file = put('hosts.yml', bytes);
    const [issue, ...rest] = issuesOf(() => readInputText(file));
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ file });
    expect(issue!.message).toMatch(message);
  });

  it('refuses a NUL byte at its line and column', () => {
    const file = put('site.yml', '- hosts: all\n  tasks:\n    - name: "a\0b"\n');
    expect(issuesOf(() => loadYaml(file))).toEqual([{ file, line: 3, col: 15, message: 'a NUL byte: not a text file, or a corrupt one' }]);
  });

  it('refuses other control characters, in text given directly too', () => {
    expect(issuesOf(() => parseYaml('a: 1\nb: x\x1b[31m\n', '--extra-vars'))).toMatchObject([{ file: '--extra-vars', line: 2, col: 5, message: expect.stringMatching(/U\+001B/) }]);
  });

  it('refuses invalid UTF-8 at the first bad byte, counting columns in characters', () => {
    const bytes = Buffer.concat([Buffer.from('a: 1\nnäme: caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    const file = put('vars.yml', bytes);
    expect(issuesOf(() => readInputText(file))).toEqual([
      { file, line: 2, col: 10, message: 'invalid UTF-8 (byte 0xE9 at offset 15): save the file as UTF-8' },
    ]);
    // Overlong and surrogate encodings are invalid too, though each byte alone looks plausible.
    expect(issuesOf(() => readInputText(put('x.yml', Buffer.from([0x61, 0xc0, 0xaf])))))
      .toMatchObject([{ line: 1, col: 2 }]);
    expect(issuesOf(() => readInputText(put('x.yml', Buffer.from([0x61, 0x0a, 0xed, 0xa0, 0x80])))))
      .toMatchObject([{ line: 2, col: 1 }]);
  });

  it('refuses arbitrary binary data', () => {
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256));
    const [issue] = issuesOf(() => readInputText(put('blob', bytes)));
    expect(issue!.message).toMatch(/NUL|control character|invalid UTF-8/);
  });

  it('drops a UTF-8 byte order mark and reads the rest', () => {
    const file = put('vars.yml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: 1\n')]));
    expect(loadYaml(file).data).toEqual({ a: 1 });
    expect(loadYaml(file).locate(['a'])).toEqual({ line: 1, col: 4 });
  });

  it('refuses a file above the size limit without reading it', () => {
    const file = join(dir, 'huge.yml');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, MAX_INPUT_BYTES + 1); // sparse: nothing is written
    closeSync(fd);
    const t = Date.now();
    expect(issuesOf(() => readInputText(file))).toEqual([{ file, message: 'file is 64.0 MB: input files are limited to 64 MB' }]);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('refuses a directory, a missing file and an unreadable one', () => {
    expect(issuesOf(() => readInputText(dir))).toEqual([{ file: dir, message: 'is a directory, expected a file' }]);
    expect(issuesOf(() => readInputText(join(dir, 'nope.yml')))).toEqual([{ file: join(dir, 'nope.yml'), message: 'file not found' }]);
  });

  it('refuses a file it may not read', () => {
    const file = put('secret.yml', 'a: 1\n');
    chmodSync(file, 0o000);
    if (process.getuid?.() !== 0) {
      expect(issuesOf(() => readInputText(file))).toEqual([{ file, message: 'cannot read: permission denied (EACCES)' }]);
      return;
    }
    // Root reads anything: the same read, as an unprivileged user (nobody), in a child process.
    chmodSync(dir, 0o755);
    const code = `import('${resolve('src/config/read.ts')}').then((m) => { try { m.readInputText(${JSON.stringify(file)}); console.log('read'); } catch (e) { console.log(JSON.stringify(e.issues)); } })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: resolve('.'), env: { ...process.env, HOME: '/tmp' } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual([{ file, message: 'cannot read: permission denied (EACCES)' }]);
  });
});

describe('input files: YAML structure', () => {
  it.each([
    ['low fan-out (2 per level, 40 levels)', aliasBomb(40, 2)],
    ['high fan-out (1000 per level, 3 levels)', aliasBomb(3, 1000)],
  ])('refuses an alias bomb with %s, naming the file', (_what, text) => {
    const file = put('hosts.yml', text);
    const t = Date.now();
    const issues = issuesOf(() => loadYaml(file));
    expect(Date.now() - t).toBeLessThan(5000);
    expect(issues).toMatchObject([{ file, line: 1, col: 1, message: expect.stringMatching(/aliases expand this file to .* values.*alias bomb/) }]);
  });

  it('accepts aliases that expand modestly, each a copy of its anchor', () => {
    const doc = parseYaml('base: &b {port: 80}\nweb: {<<: *b, name: w}\nlist: [*b, *b]\n', 'x.yml');
    expect(doc.data).toEqual({ base: { port: 80 }, web: { port: 80, name: 'w' }, list: [{ port: 80 }, { port: 80 }] });
  });

  it('refuses more aliases than the limit', () => {
    const text = `a: &a 1\nb: [${Array.from({ length: MAX_ALIASES + 1 }, () => '*a').join(',')}]\n`;
    expect(issuesOf(() => parseYaml(text, 'many.yml'))).toMatchObject([{ file: 'many.yml', line: 2, message: `more than ${MAX_ALIASES} aliases: refused (an alias bomb?)` }]);
  });

  it('refuses an alias to its own parent and an alias without an anchor', () => {
    expect(issuesOf(() => parseYaml('a: &x [1, *x]\nb: *nope\n', 'c.yml'))).toEqual([
      { file: 'c.yml', line: 1, col: 11, message: 'alias *x refers to a value that contains it (a cycle)' },
      { file: 'c.yml', line: 2, col: 4, message: 'alias *nope has no anchor &nope before it' },
    ]);
  });

  it.each(['flow', 'block'] as const)('refuses %s nesting deeper than the limit, and parses it at the limit', (style) => {
    // depth counts collections: the document's own mapping is level 1
    const over = put('deep.yml', deepNesting(style === 'flow' ? MAX_DEPTH : MAX_DEPTH + 1, style));
    expect(issuesOf(() => loadYaml(over))).toMatchObject([{ file: over, message: `nesting deeper than ${MAX_DEPTH} levels` }]);
    let data = loadYaml(put('ok.yml', deepNesting(style === 'flow' ? MAX_DEPTH - 1 : MAX_DEPTH, style))).data;
    let depth = 0;
    while (data && typeof data === 'object') {
      data = Array.isArray(data) ? data[0] : Object.values(data)[0];
      depth++;
    }
    expect(depth).toBe(MAX_DEPTH);
  });

  it('counts the depth an alias brings in', () => {
    const text = `a: &a ${'['.repeat(40)}${']'.repeat(40)}\nb: ${'['.repeat(30)}*a${']'.repeat(30)}\n`;
    expect(issuesOf(() => parseYaml(text, 'x.yml'))).toMatchObject([{ line: 2, col: 34, message: expect.stringMatching(/deeper than 64 levels \(through alias \*a\)/) }]);
  });

  it('reports every duplicate key at its own line and column', () => {
    const text = 'all:\n  hosts:\n    a: {}\n    b: {}\n    a: {}\n  vars:\n    x: 1\n    x: 2\n';
    expect(issuesOf(() => parseYaml(text, 'hosts.yml'))).toEqual([
      { file: 'hosts.yml', line: 5, col: 5, message: 'duplicate key "a" (first at line 3)' },
      { file: 'hosts.yml', line: 8, col: 5, message: 'duplicate key "x" (first at line 7)' },
    ]);
  });
});

describe('input files: through the loaders', () => {
  it('an INI inventory in UTF-16, a YAML one with NUL, and a bad group_vars file are all named', () => {
    const ini = put('hosts', utf16('[web]\nweb1\n', true, true));
    const yml = put('hosts.yml', 'all:\n  hosts:\n    a\0:\n');
    const gv = join(dir, String(n++));
    mkdirSync(join(gv, 'group_vars'), { recursive: true });
    writeFileSync(join(gv, 'hosts.ini'), '[web]\nweb1\n');
    writeFileSync(join(gv, 'group_vars', 'web.yml'), aliasBomb(30, 2));
    const issues = issuesOf(() => loadInventory([ini, yml, join(gv, 'hosts.ini')]));
    expect(issues.map((i) => [i.file, i.line])).toEqual([
      [ini, undefined],
      [yml, 3],
      [join(gv, 'group_vars', 'web.yml'), 1],
    ]);
  });

  it('-e @file: a directory and a binary file are refused with the file named', () => {
    expect(issuesOf(() => parseExtraVars([`@${dir}`]))).toEqual([{ file: dir, message: 'is a directory, expected a file' }]);
    const bin = put('vars.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
    expect(issuesOf(() => parseExtraVars([`@${bin}`]))).toEqual([{ file: bin, message: 'is a binary file (ELF executable), expected text' }]);
  });

  it('a vars_files entry that is a directory and a task file with NUL are named', () => {
    const pb = put('site.yml', '- hosts: all\n  vars_files: [vdir]\n  tasks:\n    - import_tasks: more.yml\n');
    const base = join(pb, '..');
    mkdirSync(join(base, 'vdir'));
    writeFileSync(join(base, 'more.yml'), '- debug: {msg: "x"}\n- debug: {msg: "\0"}\n');
    const issues = issuesOf(() => loadPlaybook(pb));
    expect(issues).toEqual(
      expect.arrayContaining([
        { file: join(base, 'vdir'), message: 'is a directory, expected a file' },
        expect.objectContaining({ file: join(base, 'more.yml'), line: 2, col: 17 }),
      ]),
    );
  });
});

describe('input files: recursion', () => {
  it('a task file that imports itself is refused at the import, not a stack overflow', () => {
    const pb = put('site.yml', '- hosts: all\n  tasks:\n    - import_tasks: a.yml\n');
    const a = join(pb, '..', 'a.yml');
    writeFileSync(a, '- debug: {msg: x}\n- import_tasks: a.yml\n');
    expect(issuesOf(() => loadPlaybook(pb))).toMatchObject([
      { file: a, line: 2, message: expect.stringMatching(/^task file imports itself: .*site\.yml -> .*a\.yml -> .*a\.yml$/) },
    ]);
  });
});

describe('input files: large but legal', () => {
  it('a half-MB YAML inventory loads, and the same with one bad port is refused at that line', () => {
    const good = put('hosts.yml', yamlInventory(2 ** 19, false));
    const inv = loadInventory([good]);
    const count = inv.hosts.size;
    expect(count).toBeGreaterThan(2000);
    expect(inv.hosts.get(`web${count - 1}.example.net`)!.vars.ansible_port).toBe(9);

    const text = yamlInventory(2 ** 19, true);
    const line = text.split('\n').findIndex((l) => l.includes('ansible_port: 70000')) + 1;
    const bad = put('hosts.yml', text);
    expect(issuesOf(() => loadInventory([bad]))).toEqual([
      {
        file: bad,
        line,
        col: 25,
        field: `all.children.web.hosts.web${count - 1}.example.net.ansible_port`,
        message: 'must be <= 65535',
      },
    ]);
  });

  it('a 1 MB INI inventory with one bad port is refused at that line', () => {
    const text = iniInventory(2 ** 20, true);
    const line = text.split('\n').findIndex((l) => l.includes('ansible_port=70000')) + 1;
    const file = put('hosts.ini', text);
    expect(issuesOf(() => loadInventory([file]))).toMatchObject([{ file, line, message: 'must be <= 65535' }]);
  });

  it('lists the first 1000 of a mistake repeated on every host, then says how many more', () => {
    const text = 'all:\n  hosts:\n' + Array.from({ length: 1500 }, (_, i) => `    h${i}: {ansible_port: 0}\n`).join('');
    const issues = issuesOf(() => loadInventory([put('hosts.yml', text)]));
    expect(issues).toHaveLength(1001);
    expect(issues[999]).toMatchObject({ line: 1002, message: 'must be >= 1' });
    expect(issues[1000]!.message).toBe('and 500 more problems of this kind in this file (the first 1000 are listed)');
  });
});
