import { describe, expect } from 'vitest';
import { kernel_module, type KernelModuleParams, type KernelModuleState } from '../../../src/modules/kernel_module.js';
import { frame } from '../../../src/facts/index.js';
import { testContext } from '../../helpers/converge.js';
import { fileOut } from '../../helpers/facts.js';
import { planTable } from '../../helpers/table.js';

const ctx = testContext('');
/** The read's raw output: /sys/module/NAME there or not, then the two config files. */
const out = (loaded: boolean, load?: string, options?: string) => frame({ loaded: loaded ? 'yes\n' : 'no\n', load: fileOut(load), options: fileOut(options) });
const L = '/etc/modules-load.d/ip_vs.conf';

describe('kernel_module module table', () => {
  planTable<KernelModuleParams, KernelModuleState>(kernel_module, ctx, [
    { why: 'loaded and persisted', params: { name: 'ip_vs' }, out: out(true, 'ip_vs\n'), noop: `kernel module ip_vs is loaded, and ${L} loads it at boot` },
    { why: 'dashes mean underscores; options persisted', params: { name: 'ip-vs', params: 'conn_tab_bits=20' }, out: out(true, 'ip_vs\n', 'options ip_vs conn_tab_bits=20\n'), noop: `kernel module ip_vs is loaded, and ${L} loads it at boot with options "conn_tab_bits=20" (/etc/modprobe.d/ip_vs.conf)` },
    { why: 'not persistent', params: { name: 'ipip', persistent: false }, out: out(true), noop: 'kernel module ipip is loaded' },
    { why: 'absent', params: { name: 'ipip', state: 'absent' }, out: out(false), noop: 'kernel module ipip is not loaded, and /etc/modules-load.d/ipip.conf does not exist' },
    { why: 'a boot file without its newline is rewritten', params: { name: 'ip_vs' }, out: out(true, 'ip_vs'), changes: [[`load ip_vs at boot (${L})`, [expect.stringMatching(/dest=\/etc\/modules-load.d\/ip_vs.conf[\s\S]*chmod 0644/)]]] },
    { why: 'load now', params: { name: 'ip_vs_wrr', persistent: false }, out: out(false), changes: [['load kernel module ip_vs_wrr', ['modprobe ip_vs_wrr']]] },
    { why: 'unload and unpersist', params: { name: 'ipip', state: 'absent' }, out: out(true, 'ipip\n'), changes: [['do not load ipip at boot (remove /etc/modules-load.d/ipip.conf)', ['rm -f /etc/modules-load.d/ipip.conf']], ['unload kernel module ipip', ['modprobe -r ipip']]] },
    { why: 'an unreadable boot file is replaced, not trusted', params: { name: 'ip_vs' }, out: frame({ loaded: 'yes\n', load: 'type file\nstat 600 0 0 6 root root\nunreadable\n', options: fileOut(undefined) }), changes: [[`load ip_vs at boot (${L})`]] },
  ]);
});
