import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyModule, type CopyParams } from '../../src/modules/copy.js';
import { applyChange } from '../../src/engine/steps.js';
import { LocalConnection } from '../../src/transport/local.js';
import { sh } from '../../src/transport/quote.js';
import type { Connection, ExecOptions } from '../../src/types.js';
import { converge, planOn, testContext } from '../helpers/converge.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lvsible-copy-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);

describe('copy', () => {
  it('creates the file (and its parents), then plans nothing', async () => {
    const ctx = testContext(root);
    const params: CopyParams = { dest: '/etc/lvs/a.conf', content: 'hello\n', mode: '0640' };
    const { first, second, state } = await converge(copyModule, params, ctx);
    expect(first).toHaveLength(1);
    expect(first[0]!.summary).toContain('create');
    // Converged: the digest matched the wanted one, so the body was not shipped back.
    expect(state).toMatchObject({ type: 'file', size: 6 });
    expect((state as { content?: Buffer }).content).toBeUndefined();
    expect(first[0]!.after).toBe('hello\n');
    expect(first[0]!.diffName).toBe(`${root}/etc/lvs/a.conf`);
    expect(second).toEqual([]);
    expect(readFileSync(`${root}/etc/lvs/a.conf`, 'utf8')).toBe('hello\n');
    expect(modeOf(`${root}/etc/lvs/a.conf`)).toBe('640');
  });

  it('writes quotes, newlines, $ and non-UTF-8 bytes byte-exact', async () => {
    const tricky = Buffer.concat([
      Buffer.from(`it's "$HOME" \`id\` $(rm -rf /) \\n\n\r\nlast line without newline ' " \\`, 'utf8'),
      Buffer.from([0, 1, 0xff, 0xfe, 0x80, 0x0a, 0x27]),
    ]);
    const srcDir = join(root, 'role');
    mkdirSync(join(srcDir, 'files'), { recursive: true });
    writeFileSync(join(srcDir, 'files', 'blob.bin'), tricky);
    const ctx = testContext(root, { baseDir: srcDir });
    const { first, second } = await converge(copyModule, { dest: '/srv/blob.bin', src: 'blob.bin' }, ctx);
    expect(first).toHaveLength(1);
    expect(first[0]!.after).toMatch(/^\[binary file, \d+ bytes/);
    expect(second).toEqual([]);
    expect(readFileSync(`${root}/srv/blob.bin`).equals(tricky)).toBe(true);

    const text = `a='1'\nb="$x"\n\`c\`\n\\\n%s %% \t end`;
    const res = await converge(copyModule, { dest: '/srv/text', content: text }, ctx);
    expect(res.second).toEqual([]);
    expect(readFileSync(`${root}/srv/text`, 'utf8')).toBe(text);
  });

  it('content drift rewrites and shows before/after', async () => {
    const ctx = testContext(root);
    mkdirSync(`${root}/etc`);
    writeFileSync(`${root}/etc/x`, 'old\n');
    const { first, second } = await converge(copyModule, { dest: '/etc/x', content: 'new\n' }, ctx);
    expect(first[0]!.summary).toMatch(/^update file/);
    expect(first[0]!.before).toBe('old\n');
    expect(first[0]!.after).toBe('new\n');
    expect(second).toEqual([]);
  });

  it('mode-only drift is a chmod, not a rewrite', async () => {
    const ctx = testContext(root);
    const params: CopyParams = { dest: '/etc/m', content: 'same\n', mode: '0600' };
    await converge(copyModule, params, ctx);
    chmodSync(`${root}/etc/m`, 0o644);
    const { changes } = await planOn(copyModule, params, ctx);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.summary).toBe(`set mode 0644 -> 0600 on ${root}/etc/m`);
    expect(changes[0]!.steps.map((s) => s.cmd)).toEqual([sh`chmod -- 0600 ${root + '/etc/m'}`]);
    expect(changes[0]!.steps.some((s) => s.stdin !== undefined)).toBe(false);
    const again = await converge(copyModule, params, ctx);
    expect(again.second).toEqual([]);
    expect(modeOf(`${root}/etc/m`)).toBe('600');
  });

  it('owner drift is a chown', async () => {
    const ctx = testContext(root);
    const params: CopyParams = { dest: '/etc/o', content: 'x', owner: 'nobody', group: 'nogroup' };
    const { second } = await converge(copyModule, params, ctx);
    expect(second).toEqual([]);
    expect(statSync(`${root}/etc/o`).uid).toBe(65534);
    const { changes } = await planOn(copyModule, { ...params, owner: '0', group: '0' }, ctx);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.summary).toContain('owner nobody -> 0');
    expect(changes[0]!.steps[0]!.cmd).toContain('chown');
  });

  it('keeps a backup of the old file', async () => {
    const ctx = testContext(root);
    mkdirSync(`${root}/etc`);
    writeFileSync(`${root}/etc/b.conf`, 'version 1\n');
    await converge(copyModule, { dest: '/etc/b.conf', content: 'version 2\n', backup: true }, ctx);
    const backups = readdirSync(`${root}/etc`).filter((f) => /^b\.conf\.\d{14}~$/.test(f));
    expect(backups).toHaveLength(1);
    expect(readFileSync(`${root}/etc/${backups[0]}`, 'utf8')).toBe('version 1\n');
    expect(readFileSync(`${root}/etc/b.conf`, 'utf8')).toBe('version 2\n');
  });

  it('a failing validate leaves the live file untouched and reports the validator', async () => {
    const ctx = testContext(root);
    mkdirSync(`${root}/etc`);
    writeFileSync(`${root}/etc/v.conf`, 'good\n');
    const params: CopyParams = { dest: '/etc/v.conf', content: 'bad\n', validate: "sh -c 'grep -q good \"$1\" || { echo \"syntax error in $1\" >&2; exit 3; }' -- %s" };
    const { changes } = await planOn(copyModule, params, ctx);
    expect(changes).toHaveLength(1);
    await expect(applyChange(new LocalConnection(), changes[0]!)).rejects.toThrow(/validation failed[\s\S]*syntax error in .*\.v\.conf\./);
    expect(readFileSync(`${root}/etc/v.conf`, 'utf8')).toBe('good\n');
    expect(readdirSync(`${root}/etc`)).toEqual(['v.conf']); // temp file removed too

    const ok = await converge(copyModule, { ...params, content: 'good too\n' }, ctx);
    expect(ok.second).toEqual([]);
    expect(readFileSync(`${root}/etc/v.conf`, 'utf8')).toBe('good too\n');
  });

  it('an unreadable file does not crash the probe and is planned as a rewrite', async () => {
    chmodSync(root, 0o755);
    mkdirSync(`${root}/etc`, { mode: 0o755 });
    writeFileSync(`${root}/etc/secret`, 'x', { mode: 0o600 });
    // Root reads everything: probe as nobody to meet a file we may not read.
    const asNobody: Connection = {
      host: 'nobody',
      exec: (cmd: string, opts?: ExecOptions) =>
        new LocalConnection().exec(sh`setpriv --reuid=65534 --regid=65534 --clear-groups sh -c ${cmd}`, opts),
      close: async () => undefined,
    };
    const { state, changes } = await planOn(copyModule, { dest: '/etc/secret', content: 'x' }, testContext(root), asNobody);
    expect(state).toMatchObject({ type: 'file', unreadable: true, size: 1 });
    expect(changes).toHaveLength(1);
    expect(changes[0]!.summary).toContain('unreadable');
    expect(changes[0]!.before).toBe('[unreadable]\n');
  });

  it('refuses to replace a directory', async () => {
    mkdirSync(`${root}/etc/d`, { recursive: true });
    const { changes } = await planOn(copyModule, { dest: '/etc/d', content: 'x' }, testContext(root));
    await expect(applyChange(new LocalConnection(), changes[0]!)).rejects.toThrow(/is a directory/);
  });

  it('src and content together are refused', () => {
    expect(() => copyModule.normalize!({ dest: '/x', src: 'a', content: 'b' }, testContext(root))).toThrow(/mutually exclusive/);
  });

  it('a missing src names the places it looked', () => {
    const ctx = testContext(root, { baseDir: root });
    expect(() => copyModule.normalize!({ dest: '/x', src: 'nope.txt' }, ctx)).toThrow(/nope\.txt.*not found.*files\/nope\.txt/);
  });

  it('treats a YAML-1.2 number mode as octal digits', async () => {
    const ctx = testContext(root);
    const { second } = await converge(copyModule, { dest: '/etc/n', content: 'n', mode: 644 }, ctx);
    expect(second).toEqual([]);
    expect(modeOf(`${root}/etc/n`)).toBe('644');
  });
});

describe('copy plan (noop rows)', () => {
  const ctx = testContext('');
  const st = (over = {}) => ({
    type: 'file' as const,
    mode: '0644',
    uid: 0,
    gid: 0,
    owner: 'root',
    group: 'root',
    size: 2,
    // sha256("x\n")
    sha256: 'cd8f9b5a4b6e9a7b2a3c3c0c0fa0c1b93c31e9bd8c8d3c0ee1f3a8e6b0bcbf1d',
    ...over,
  });
  it('matching digest, mode, owner and group plans []', async () => {
    const { sha256 } = await import('../../src/modules/files.js');
    const s = st({ sha256: sha256('x\n') });
    expect(copyModule.plan({ dest: '/e', content: 'x\n', mode: '0644', owner: 'root', group: '0' }, s, ctx)).toEqual([]);
    expect(copyModule.plan({ dest: '/e', content: 'x\n' }, s, ctx)).toEqual([]);
    expect(copyModule.plan({ dest: '/e', content: 'x\n', mode: '0640' }, s, ctx)).toHaveLength(1);
    expect(copyModule.plan({ dest: '/e', content: 'y\n' }, s, ctx)).toHaveLength(1);
  });
});
