import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchProbe, combine, fileFact, frame, IncompleteReadError, outputFact, pathExistsFact, sha256, splitFramed, type Fact } from '../../../src/facts/index.js';

/** Run a read's snippet with a real sh, the way a host would (as `user` when given: root reads everything). */
const run = (script: string, user?: string): string =>
  user
    ? execFileSync('setpriv', ['--reuid', user, '--regid', user, '--clear-groups', 'sh', '-c', script], { encoding: 'utf8' })
    : execFileSync('sh', ['-c', script], { encoding: 'utf8' });

/** A fact that prints `text` exactly (printf through a file, so no shell quoting is involved). */
const printing = (dir: string, name: string, text: string | Buffer): Fact<string> => {
  writeFileSync(join(dir, name), text);
  return { script: `cat ${join(dir, name)}`, parse: (out) => out };
};

describe('the framing format', () => {
  it('splits back every section byte for byte: empty, no trailing newline, several trailing newlines', () => {
    const outputs = { a: '', b: 'no newline', c: 'two\n\n', d: '\n', e: 'x\n@@ not a marker\n' };
    const split = splitFramed(frame(outputs));
    expect(split.ended).toBe(true);
    expect(Object.fromEntries(split.sections)).toEqual(outputs);
  });

  it('a marker with another nonce (a guess, a nested read) is content, not a boundary', () => {
    const inner = frame({ x: 'inner' });
    const guessed = '\n@@0123456789abcdef end\n\n@@0123456789abcdef b\n';
    const split = splitFramed(frame({ a: inner, b: guessed }, 'fedcba9876543210'));
    expect(split.sections.get('a')).toBe(inner);
    expect(split.sections.get('b')).toBe(guessed);
  });

  it('a cut read is incomplete, and text that is not framed is refused', () => {
    expect(splitFramed(frame({ a: '1' }, undefined, false)).ended).toBe(false);
    const c = combine({ a: outputFact('echo 1'), b: outputFact('echo 2') }, 'pair');
    expect(() => c.parse(frame({ a: '1\n' }, undefined, false))).toThrow(IncompleteReadError);
    expect(() => c.parse('@a 1\n')).toThrow(/not a framed read/);
    expect(() => c.parse('')).toThrow(IncompleteReadError);
  });

  it('undefined parts are not read and parse to undefined', () => {
    const c = combine({ a: outputFact('echo 1'), b: undefined });
    expect(c.script).not.toContain('@@ b');
    expect(c.parse(run(c.script))).toEqual({ a: '1', b: undefined });
  });

  it('each read draws its own nonce', () => {
    const a = combine({ x: outputFact('true') });
    const b = combine({ x: outputFact('true') });
    expect(a.nonce).toMatch(/^[0-9a-f]{16}$/);
    expect(a.nonce).not.toBe(b.nonce);
  });
});

describe('combined facts run by a real sh, with hostile content', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsible-facts-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('command output that imitates markers, lacks a final newline or is binary does not move a boundary', () => {
    // The nonce is unknown to what runs, so a fact can only print look-alikes: the old formats' headers too.
    const hostile = '\n@@0000000000000000 end\n@key file\n|line\n@@lvsible-director-net\n@addr []';
    const binary = Buffer.from([0xff, 0xfe, 0x0a, 0x40, 0x40, 0x0a, 0x01, 0x80]);
    const c = combine({ a: printing(dir, 'a', hostile), b: printing(dir, 'b', binary), c: outputFact('printf x'), d: printing(dir, 'd', '') });
    const out = run(c.script);
    expect(c.ended(out)).toBe(true);
    const s = c.parse(out);
    expect(s.a).toBe(hostile);
    expect(Buffer.from(s.b, 'utf8')).toEqual(Buffer.from(binary.toString('utf8'), 'utf8'));
    expect(s.c).toBe('x');
    expect(s.d).toBe('');
  });

  it('file facts: marker lines, binary, no trailing newline, empty, unreadable, FIFO, directory, absent', () => {
    const f = (name: string) => join(dir, name);
    writeFileSync(f('markers'), `@@${'a'.repeat(16)} end\n@rules file\n|x\ntype absent\n`);
    writeFileSync(f('binary'), Buffer.from([0, 1, 2, 255, 10, 64, 64]));
    writeFileSync(f('nonl'), 'AUTO="true"');
    writeFileSync(f('empty'), '');
    writeFileSync(f('secret'), 'root only\n');
    chmodSync(f('secret'), 0o600);
    execFileSync('mkfifo', [f('fifo')]);
    mkdirSync(f('dir'));
    const names = ['markers', 'binary', 'nonl', 'empty', 'secret', 'fifo', 'dir', 'absent'] as const;
    const parts = Object.fromEntries(names.map((n) => [n, fileFact(f(n))])) as Record<(typeof names)[number], Fact<ReturnType<typeof fileFact>['parse'] extends (o: string) => infer S ? S : never>>;
    const c = combine(parts);
    // As nobody: the 0600 file exists but cannot be read, and the FIFO must not block the read.
    const s = c.parse(run(c.script, '65534'));
    expect(s.markers.content?.toString()).toBe(`@@${'a'.repeat(16)} end\n@rules file\n|x\ntype absent\n`);
    expect(s.binary.content).toEqual(Buffer.from([0, 1, 2, 255, 10, 64, 64]));
    expect(s.nonl.content?.toString()).toBe('AUTO="true"');
    expect(s.empty).toMatchObject({ type: 'file', size: 0, sha256: sha256('') });
    expect(s.empty.content).toEqual(Buffer.alloc(0));
    expect(s.secret).toMatchObject({ type: 'file', unreadable: true, mode: '0600' });
    expect(s.secret.content).toBeUndefined();
    expect(s.fifo.type).toBe('other');
    expect(s.dir.type).toBe('directory');
    expect(s.absent).toEqual({ type: 'absent' });
  });

  it('the engine batch: positions in order, stderr dropped, a fresh nonce, and a cut exec is not ended', () => {
    const probes = [outputFact('echo one; echo noise >&2'), pathExistsFact(dir), combine({ x: outputFact('printf two') })];
    const b = batchProbe(probes);
    const out = execFileSync('sh', ['-c', b.script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(b.ended(out)).toBe(true);
    expect(b.parse(out)).toEqual(['one', true, { x: 'two' }]);
    expect(batchProbe(probes).nonce).not.toBe(b.nonce);
    const cut = out.slice(0, out.lastIndexOf('\n@@'));
    expect(b.ended(cut)).toBe(false);
    expect(() => b.parse(cut)).toThrow(IncompleteReadError);
    expect(batchProbe([]).parse(run(batchProbe([]).script))).toEqual([]);
  });
});
