import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { command, splitWords, type CommandParams } from '../../src/modules/command.js';
import { shell } from '../../src/modules/shell.js';
import { modules } from '../../src/modules/index.js';
import { applyChange } from '../../src/engine/steps.js';
import { LocalConnection } from '../../src/transport/local.js';
import type { Module } from '../../src/types.js';
import { planOn, testContext } from '../helpers/converge.js';

describe('splitWords (command free form, shlex rules)', () => {
  it.each([
    ['ls -l /tmp', ['ls', '-l', '/tmp']],
    [`echo 'a b' "c \\"d\\" $e" f\\ g`, ['echo', 'a b', 'c "d" $e', 'f g']],
    [`printf '%s|' '' x`, ['printf', '%s|', '', 'x']],
    ['  a   b  ', ['a', 'b']],
  ])('%s', (line, words) => {
    expect(splitWords(line)).toEqual(words);
  });
  it('rejects an unterminated quote', () => {
    expect(() => splitWords("echo 'oops")).toThrow(/unterminated single quote/);
  });
});

describe('command/shell plan table', () => {
  const ctx = testContext('');
  const rows: [string, Module<CommandParams>, CommandParams, { createsExists: boolean; removesExists: boolean }, string[]][] = [
    ['noop: creates exists', command, { free_form: 'make install', creates: '/usr/local/bin/x' }, { createsExists: true, removesExists: false }, []],
    ['noop: removes missing', shell, { cmd: 'rm -rf /tmp/x', removes: '/tmp/x' }, { createsExists: false, removesExists: false }, []],
    ['command quotes each word', command, { free_form: 'echo "a b" $HOME' }, { createsExists: false, removesExists: false }, ["echo 'a b' '$HOME'"]],
    ['command argv', command, { argv: ['ipvsadm', '-A', '-t', '10.0.0.1:80'], chdir: '/tmp' }, { createsExists: false, removesExists: false }, ['cd /tmp && ipvsadm -A -t 10.0.0.1:80']],
    ['shell goes through sh -c', shell, { free_form: 'ls | wc -l' }, { createsExists: false, removesExists: true }, ["sh -c 'ls | wc -l'"]],
  ];
  it.each(rows)('%s', (_why, mod, params, state, cmds) => {
    const changes = mod.plan(params, state, ctx);
    expect(changes.flatMap((c) => c.steps.map((s) => s.cmd))).toEqual(cmds);
    if (cmds.length) expect(changes[0]!.summary).toMatch(/^run: /);
  });
  it('both are registered and always run', () => {
    expect(modules.command).toBe(command);
    expect(modules.shell).toBe(shell);
    expect(command.alwaysRuns && shell.alwaysRuns).toBe(true);
  });
});

describe('command/shell for real', () => {
  let root: string;
  const conn = new LocalConnection();
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-cmd-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function run(mod: Module<CommandParams>, params: CommandParams) {
    const ctx = testContext(root);
    const { changes } = await planOn(mod, params, ctx, conn);
    const results = [];
    for (const c of changes) results.push(...(await applyChange(conn, c)));
    return { changes, reg: mod.registerResult!(results) };
  }

  it('a quoted argument with spaces, quotes and $ reaches the program intact', async () => {
    const nasty = `it's "quoted" $HOME \`id\` ; rm -rf x *`;
    const { reg } = await run(command, { argv: ['printf', '%s\\n', nasty, 'two words'] });
    expect(reg).toEqual({ rc: 0, stdout: `${nasty}\ntwo words`, stderr: '', stdout_lines: [nasty, 'two words'], stderr_lines: [] });
    const free = await run(command, { free_form: `printf '%s|' "a \\"b\\" \\$c" 'd e' $HOME` });
    expect(free.reg.stdout).toBe('a "b" $c|d e|$HOME|');
  });

  it('shell features work in shell, stdin is fed, chdir is under root', async () => {
    writeFileSync(join(root, 'in.txt'), 'x\n');
    const { reg } = await run(shell, { cmd: 'cat > out.txt; wc -c < out.txt; echo err >&2', chdir: '/', stdin: 'hello\n' });
    expect(reg).toMatchObject({ rc: 0, stdout_lines: ['6'], stderr: 'err' });
    expect(readFileSync(join(root, 'out.txt'), 'utf8')).toBe('hello\n');
  });

  it('creates: runs once, then is skipped', async () => {
    const params: CommandParams = { argv: ['touch', join(root, 'done')], creates: '/done' };
    const first = await run(command, params);
    expect(first.changes).toHaveLength(1);
    expect(existsSync(join(root, 'done'))).toBe(true);
    const second = await run(command, params);
    expect(second.changes).toEqual([]);
    expect(second.reg).toMatchObject({ rc: 0, stdout: '' });
  });

  it('a relative creates path is relative to chdir', async () => {
    const params: CommandParams = { cmd: 'mkdir -p sub && touch sub/marker', chdir: '/', creates: 'sub/marker' };
    expect((await run(shell, params)).changes).toHaveLength(1);
    expect(existsSync(join(root, 'sub/marker'))).toBe(true);
    expect((await run(shell, params)).changes).toEqual([]);
  });

  it('removes: runs while the path exists', async () => {
    writeFileSync(join(root, 'old'), '');
    const params: CommandParams = { free_form: `rm ${join(root, 'old')}`, removes: '/old' };
    expect((await run(shell, params)).changes).toHaveLength(1);
    expect((await run(shell, params)).changes).toEqual([]);
  });

  it('a failing command fails the step with its exit code and stderr', async () => {
    await expect(run(shell, { cmd: 'echo boom >&2; exit 3' })).rejects.toThrow(/exited 3:\nboom/);
  });
});
