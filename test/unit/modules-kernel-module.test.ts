import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kernel_module, type KernelModuleParams, type KernelModuleState } from '../../src/modules/kernel_module.js';
import { converge, planOn, testContext } from '../helpers/converge.js';

describe('kernel_module plan table', () => {
  const ctx = testContext('');
  const rows: [string, KernelModuleParams, KernelModuleState, [string, string[]][]][] = [
    ['noop: loaded and persisted', { name: 'ip_vs' }, { loaded: true, loadFile: 'ip_vs\n' }, []],
    [
      'noop: dashes mean underscores; options already persisted',
      { name: 'ip-vs', params: 'conn_tab_bits=20' },
      { loaded: true, loadFile: 'ip_vs\n', optionsFile: 'options ip_vs conn_tab_bits=20\n' },
      [],
    ],
    ['noop: absent and not persisted', { name: 'ipip', state: 'absent' }, { loaded: false }, []],
    [
      'load now and at boot, with options',
      { name: 'ip_vs', params: ' conn_tab_bits=20  ' },
      { loaded: false },
      [
        ['load ip_vs at boot (/etc/modules-load.d/ip_vs.conf)', [expect.stringContaining('dest=/etc/modules-load.d/ip_vs.conf')]],
        ['set ip_vs options "conn_tab_bits=20" (/etc/modprobe.d/ip_vs.conf)', [expect.stringContaining('/etc/modprobe.d/ip_vs.conf')]],
        ['load kernel module ip_vs conn_tab_bits=20', ['modprobe ip_vs conn_tab_bits=20']],
      ],
    ],
    ['persistent false: only the live load', { name: 'ipip', persistent: false }, { loaded: false }, [['load kernel module ipip', ['modprobe ipip']]]],
    [
      'absent: unpersist and unload',
      { name: 'ip_vs_wrr', state: 'absent' },
      { loaded: true, loadFile: 'ip_vs_wrr\n' },
      [
        ['do not load ip_vs_wrr at boot (remove /etc/modules-load.d/ip_vs_wrr.conf)', ['rm -f /etc/modules-load.d/ip_vs_wrr.conf']],
        ['unload kernel module ip_vs_wrr', ['modprobe -r ip_vs_wrr']],
      ],
    ],
    [
      'empty params removes an options file',
      { name: 'ip_vs', params: '' },
      { loaded: true, loadFile: 'ip_vs\n', optionsFile: 'options ip_vs conn_tab_bits=12\n' },
      [['remove ip_vs options (/etc/modprobe.d/ip_vs.conf)', ['rm -f /etc/modprobe.d/ip_vs.conf']]],
    ],
  ];
  it.each(rows)('%s', (_why, params, state, expected) => {
    const changes = kernel_module.plan(kernel_module.normalize!(params, ctx), state, ctx);
    expect(changes.map((c) => [c.summary, c.steps.map((s) => s.cmd)])).toEqual(expected);
  });

  it('persist-file changes carry the file text for --diff', () => {
    const [c] = kernel_module.plan({ name: 'ip_vs' }, { loaded: true }, ctx);
    expect(c).toMatchObject({ before: '', after: 'ip_vs\n', diffName: '/etc/modules-load.d/ip_vs.conf' });
    expect(Buffer.from(c!.steps[0]!.stdin!, 'base64').toString()).toBe('ip_vs\n');
  });
});

describe('kernel_module converges its persisted files under a temp root', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-kmod-'));
    // A loaded module, as the kernel shows it: only the live part cannot be exercised without CAP_SYS_MODULE.
    mkdirSync(join(root, 'sys/module/ip_vs'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes modules-load.d and modprobe.d, then plans nothing', async () => {
    const ctx = testContext(root);
    const { first, second } = await converge(kernel_module, { name: 'ip-vs', params: 'conn_tab_bits=20' }, ctx);
    expect(first.map((c) => c.summary)).toEqual([
      'load ip_vs at boot (/etc/modules-load.d/ip_vs.conf)',
      'set ip_vs options "conn_tab_bits=20" (/etc/modprobe.d/ip_vs.conf)',
    ]);
    expect(second).toEqual([]);
    expect(readFileSync(join(root, 'etc/modules-load.d/ip_vs.conf'), 'utf8')).toBe('ip_vs\n');
    expect(readFileSync(join(root, 'etc/modprobe.d/ip_vs.conf'), 'utf8')).toBe('options ip_vs conn_tab_bits=20\n');
  });

  it('an unloaded module plans modprobe as data (not run here)', async () => {
    const { state, changes } = await planOn(kernel_module, { name: 'ipip', persistent: false }, testContext(root));
    expect(state).toEqual({ loaded: false, loadFile: undefined, optionsFile: undefined });
    expect(changes).toEqual([{ summary: 'load kernel module ipip', steps: [{ cmd: 'modprobe ipip' }] }]);
  });

  it('absent removes the boot file it finds', async () => {
    mkdirSync(join(root, 'etc/modules-load.d'), { recursive: true });
    writeFileSync(join(root, 'etc/modules-load.d/ipip.conf'), 'ipip\n');
    const { first, second } = await converge(kernel_module, { name: 'ipip', state: 'absent' }, testContext(root));
    expect(first.map((c) => c.summary)).toEqual(['do not load ipip at boot (remove /etc/modules-load.d/ipip.conf)']);
    expect(second).toEqual([]);
    expect(existsSync(join(root, 'etc/modules-load.d/ipip.conf'))).toBe(false);
  });
});
