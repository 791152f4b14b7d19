import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileModule, type FileParams } from '../../src/modules/file.js';
import { normalizeMode, parseFileState } from '../../src/facts/index.js';
import { applyChange } from '../../src/engine/steps.js';
import { LocalConnection } from '../../src/transport/local.js';
import { converge, planOn, testContext } from '../helpers/converge.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lvsible-file-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);

describe('file', () => {
  it('directory: created with parents and mode, then plans nothing', async () => {
    const ctx = testContext(root);
    const { first, second } = await converge(fileModule, { path: '/etc/keepalived/conf.d', state: 'directory', mode: '0750' }, ctx);
    expect(first).toHaveLength(1);
    expect(second).toEqual([]);
    expect(statSync(`${root}/etc/keepalived/conf.d`).isDirectory()).toBe(true);
    expect(modeOf(`${root}/etc/keepalived/conf.d`)).toBe('750');
  });

  it('directory mode drift is one chmod', async () => {
    const ctx = testContext(root);
    mkdirSync(`${root}/d`);
    chmodSync(`${root}/d`, 0o700);
    const { changes } = await planOn(fileModule, { path: '/d', state: 'directory', mode: '0755' }, ctx);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.summary).toBe(`set mode 0700 -> 0755 on directory ${root}/d`);
    expect(changes[0]!.steps).toHaveLength(1);
    expect(changes[0]!.steps[0]!.cmd).toMatch(/^chmod -- 0755 /);
  });

  it('recurse: fixes owner below the directory, then plans nothing', async () => {
    const ctx = testContext(root);
    mkdirSync(`${root}/t/a/b`, { recursive: true });
    writeFileSync(`${root}/t/a/b/f`, 'x');
    const params: FileParams = { path: '/t', state: 'directory', owner: 'nobody', recurse: true };
    chownSync(`${root}/t`, 65534, 0);
    // Top is right already: only the tree below drifts, and the probe must see it.
    const { first, second } = await converge(fileModule, params, ctx);
    expect(first).toHaveLength(1);
    expect(first[0]!.summary).toContain('recursively');
    expect(second).toEqual([]);
    expect(statSync(`${root}/t/a/b/f`).uid).toBe(65534);
  });

  it('touch: creates once, never re-touches', async () => {
    const ctx = testContext(root);
    const { first, second } = await converge(fileModule, { path: '/flag', state: 'touch', mode: '0600' }, ctx);
    expect(first[0]!.summary).toBe(`create empty file ${root}/flag`);
    expect(second).toEqual([]);
    expect(modeOf(`${root}/flag`)).toBe('600');
  });

  it('link: created, retargeted, then plans nothing', async () => {
    const ctx = testContext(root);
    const { second } = await converge(fileModule, { path: '/cur', state: 'link', src: 'releases/1' }, ctx);
    expect(second).toEqual([]);
    expect(readlinkSync(`${root}/cur`)).toBe('releases/1');
    const re = await converge(fileModule, { path: '/cur', src: 'releases/2' }, ctx);
    expect(re.first[0]!.summary).toContain('(was -> releases/1)');
    expect(re.second).toEqual([]);
    expect(readlinkSync(`${root}/cur`)).toBe('releases/2');
  });

  it('link to a directory is replaced, not followed into', async () => {
    const ctx = testContext(root);
    mkdirSync(`${root}/a`);
    mkdirSync(`${root}/b`);
    symlinkSync(`${root}/a`, `${root}/cur`);
    const { second } = await converge(fileModule, { path: '/cur', state: 'link', src: `${root}/b` }, ctx);
    expect(second).toEqual([]);
    expect(readlinkSync(`${root}/cur`)).toBe(`${root}/b`);
    expect(existsSync(`${root}/a/b`)).toBe(false);
  });

  it('absent: removes a tree, then plans nothing', async () => {
    const ctx = testContext(root);
    mkdirSync(`${root}/gone/x`, { recursive: true });
    writeFileSync(`${root}/gone/x/f`, 'x');
    const { first, second } = await converge(fileModule, { path: '/gone', state: 'absent' }, ctx);
    expect(first[0]!.summary).toBe(`remove directory ${root}/gone`);
    expect(second).toEqual([]);
    expect(existsSync(`${root}/gone`)).toBe(false);
  });

  it('state: file on a missing path fails with an explanation instead of inventing content', async () => {
    const { changes } = await planOn(fileModule, { path: '/nope', state: 'file', mode: '0644' }, testContext(root));
    expect(changes).toHaveLength(1);
    await expect(applyChange(new LocalConnection(), changes[0]!)).rejects.toThrow(/does not create files/);
  });

  it('paths with spaces and quotes are handled', async () => {
    const ctx = testContext(root);
    const { second } = await converge(fileModule, { path: `/it's a "dir" $x`, state: 'directory' }, ctx);
    expect(second).toEqual([]);
    expect(lstatSync(`${root}/it's a "dir" $x`).isDirectory()).toBe(true);
  });
});

describe('file plan (noop rows)', () => {
  const ctx = testContext('');
  const dir = parseFileState('type directory\nstat 755 0 0 4096 root root\n');
  const file = parseFileState('type file\nstat 644 65534 65534 3 nobody nogroup\n');
  const link = parseFileState('type link\nstat 777 0 0 5 root root\ntarget /opt\n');
  const rows: [string, FileParams, ReturnType<typeof parseFileState>][] = [
    ['directory, no attrs', { path: '/d', state: 'directory' }, dir],
    ['directory, mode as YAML-1.2 number', { path: '/d', state: 'directory', mode: 755 }, dir],
    ['directory, owner by name and by uid', { path: '/d', state: 'directory', owner: 'root', group: '0' }, dir],
    ['file attrs', { path: '/f', state: 'file', mode: '0644', owner: '65534', group: 'nogroup' }, file],
    ['touch on existing file', { path: '/f', state: 'touch' }, file],
    ['link with the right target (its 0777 mode is ignored)', { path: '/l', state: 'link', src: '/opt', mode: '0644' }, link],
    ['absent', { path: '/x', state: 'absent' }, { type: 'absent' }],
  ];
  for (const [name, params, state] of rows) {
    it(`${name} plans []`, () => {
      const p = fileModule.normalize!(params, ctx);
      expect(fileModule.plan(p, state, ctx)).toEqual([]);
    });
  }

  it('modes: YAML 1.2 numbers are octal digits', () => {
    expect(normalizeMode(644)).toBe('0644');
    expect(normalizeMode('0o755')).toBe('0755');
    expect(normalizeMode('2775')).toBe('2775');
    expect(() => normalizeMode(999)).toThrow(/octal/);
  });
});
