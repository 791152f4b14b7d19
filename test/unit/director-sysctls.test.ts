import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';
import { frame } from '../../src/facts/index.js';
import { factVars } from '../../src/facts/host.js';
import { openInventory } from '../../src/commands/inventory-view.js';
import { prepareTask, type Prepared } from '../../src/engine/invocation.js';
import { scopeFor } from '../../src/engine/scope.js';
import { directorSysctls, kernelBelow, sysctlValueFor, type DirectorSysctl } from '../../src/lvs/model/director-sysctls.js';
import { parseCluster } from '../../src/lvs/model/load.js';
import type { ClusterModel } from '../../src/lvs/model/types.js';
import { directorView } from '../../src/lvs/model/view.js';
import { compareDirectorSysctls, directorSysctlsProbe, directorSysctlsRead } from '../../src/lvs/verify/director-sysctls.js';
import { directorNetExpectation, directorProbe } from '../../src/lvs/verify/director.js';
import { loadPlaybook } from '../../src/playbook/load.js';
import { renderString } from '../../src/playbook/template.js';
import { debianFacts } from '../helpers/converge.js';
import { ipvsOut, netOut } from '../helpers/facts.js';
import { labInventory } from '../fixtures/clusters/inventory.js';

/**
 * lvs.ipvs_sysctls end to end without a host: cluster.yml -> defaults and checks -> lvs_director.sysctls -> what
 * the director role renders (on old and new kernels) -> what verify reads and calls drift.
 */

const example = (name: string) => readFileSync(`examples/${name}/inventory/cluster.yml`, 'utf8');
const load = (text: string) => parseCluster(text, 'cluster.yml', labInventory());
const withSysctls = (base: string, block: string) => base.replace(/^lvs:\n/m, `lvs:\n  ipvs_sysctls:\n${block.replace(/^/gm, '    ')}\n`);
const values = (m: ClusterModel) => Object.fromEntries(directorSysctls(m).sysctls.map((s) => [s.name.replace('net.ipv4.vs.', ''), s.before_kernel ? `${s.before_kernel.value}<${s.before_kernel.version}<=${s.value}` : s.value]));

function refused(text: string): ConfigIssue[] {
  try {
    load(text);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('accepted');
}

describe('lvs.ipvs_sysctls: defaults', () => {
  it('NAT only, no sync daemon: the two expiries, conn_reuse_mode by kernel; no sloppy_tcp, no schedule_icmp, no sync keys', () => {
    const m = load(example('nat'));
    expect(values(m)).toEqual({ expire_nodest_conn: '1', expire_quiescent_template: '1', sloppy_tcp: '0', schedule_icmp: '0', conn_reuse_mode: '0<5.9<=1' });
    // The sync keys are known but not set here: the role takes them out of its file.
    expect(directorSysctls(m).sysctls_unmanaged).toEqual([
      'net.ipv4.vs.sync_threshold', 'net.ipv4.vs.sync_refresh_period', 'net.ipv4.vs.sync_retries', 'net.ipv4.vs.sync_persist_mode', 'net.ipv4.vs.sync_ports',
    ]);
    expect(m.warnings).toEqual([]);
  });

  it('DR/TUN realservers: schedule_icmp 1 (their replies do not pass the director, the ICMP errors about them do)', () => {
    for (const name of ['dr', 'tun']) expect(values(load(example(name))).schedule_icmp).toBe('1');
  });

  it('with the sync daemon: sloppy_tcp 1 and the sync settings at the kernel defaults, the same on both directors', () => {
    const m = load(example('mixed'));
    expect(values(m)).toEqual({
      expire_nodest_conn: '1', expire_quiescent_template: '1', sloppy_tcp: '1', schedule_icmp: '1', conn_reuse_mode: '0<5.9<=1',
      sync_threshold: '3 50', sync_refresh_period: '0', sync_retries: '0', sync_persist_mode: '0', sync_ports: '1',
    });
    expect(directorView(m, 'dir1').sysctls).toEqual(directorView(m, 'dir2').sysctls);
    expect(directorView(m, 'dir1').sysctls_unmanaged).toEqual([]);
  });

  it('every example loads and gets its sysctls', () => {
    for (const name of ['nat', 'dr', 'tun', 'mixed', 'keepalived-ha']) {
      const m = load(example(name));
      expect(directorView(m, m.directors[0]!).sysctls.length).toBeGreaterThanOrEqual(5);
    }
  });
});

describe('lvs.ipvs_sysctls: overrides and what is refused', () => {
  it('an explicit value wins; null leaves the key alone (not set, not verified, taken out of the file)', () => {
    const m = load(withSysctls(example('mixed'), 'conn_reuse_mode: 0\nschedule_icmp: null\nsync_threshold: [2, 20]\nsync_ports: 4\nsync_retries: 3\nsync_refresh_period: 10'));
    const v = values(m);
    expect([v.conn_reuse_mode, v.schedule_icmp, v.sync_threshold, v.sync_ports, v.sync_retries, v.sync_refresh_period]).toEqual(['0', undefined, '2 20', '4', '3', '10']);
    expect(directorSysctls(m).sysctls_unmanaged).toEqual(['net.ipv4.vs.schedule_icmp']);
    expect(m.ipvs_sysctls.explicit).toEqual(['schedule_icmp', 'conn_reuse_mode', 'sync_threshold', 'sync_refresh_period', 'sync_retries', 'sync_ports']);
  });

  it('the schema refuses unknown keys and values out of range, with the field', () => {
    const issues = refused(withSysctls(example('mixed'), 'expire_nodest_con: 1\nsloppy_tcp: 2\nsync_ports: 3\nsync_retries: 4\nconn_reuse_mode: 5\nsync_threshold: [3]'));
    expect(issues.map((i) => [i.line, i.field, i.message])).toEqual([
      [6, 'lvs.ipvs_sysctls.expire_nodest_con', 'unknown field "expire_nodest_con"'],
      [7, 'lvs.ipvs_sysctls.sloppy_tcp', 'must be one of: 0, 1, null, got 2'],
      [8, 'lvs.ipvs_sysctls.sync_ports', 'must be one of: 1, 2, 4, 8, 16, 32, 64, null, got 3'],
      [9, 'lvs.ipvs_sysctls.sync_retries', 'must be <= 3'],
      [10, 'lvs.ipvs_sysctls.conn_reuse_mode', 'must be one of: "auto", 0, 1, 2, 3, null, got 5'],
      [11, 'lvs.ipvs_sysctls.sync_threshold', 'must have at least 2 item(s)'],
    ]);
  });

  it('sync settings without a sync daemon are refused; a threshold must be below its period', () => {
    expect(refused(withSysctls(example('dr'), 'sync_ports: 2')).map((i) => [i.field, i.message])).toEqual([
      ['lvs.ipvs_sysctls.sync_ports', 'sync_ports is a setting of the connection sync daemon, and this cluster has no sync_daemon: remove it, or set lvs.sync_daemon'],
    ]);
    expect(refused(withSysctls(example('mixed'), 'sync_threshold: [50, 50]')).map((i) => i.message)).toEqual([
      'sync_threshold [50, 50]: the threshold must be below the period (or the period 0): the kernel refuses it',
    ]);
    // Period 0 (sync once, then on state changes) takes any threshold; null for a sync key is fine anywhere.
    expect(() => load(withSysctls(example('mixed'), 'sync_threshold: [3, 0]'))).not.toThrow();
    expect(() => load(withSysctls(example('dr'), 'sync_ports: null'))).not.toThrow();
  });

  it('warns when the sync daemon runs without sloppy_tcp, and when persistence meets expire_quiescent_template 0', () => {
    const m = load(withSysctls(example('mixed'), 'sloppy_tcp: 0\nsync_persist_mode: 1'));
    expect(m.warnings.map((w) => w.field)).toEqual(['lvs.ipvs_sysctls.sloppy_tcp', 'lvs.ipvs_sysctls.sync_persist_mode']);
    const p = load(withSysctls(example('dr'), 'expire_quiescent_template: 0').replace('scheduler: rr', 'scheduler: rr\n      persistence: 300'));
    expect(p.warnings.map((w) => w.message)).toEqual([
      'expire_quiescent_template 0 with persistent services: a drained (weight 0) realserver keeps its persistent clients until their templates time out',
    ]);
  });
});

describe('conn_reuse_mode by kernel: the role and verify decide alike', () => {
  const entry = directorSysctls(load(example('nat'))).sysctls.find((s) => s.name === 'net.ipv4.vs.conn_reuse_mode')!;
  const kernels: [string, string][] = [
    ['3.10.0-1160.el7.x86_64', '0'], ['4.19.0-27-amd64', '0'], ['5.4.0-150-generic', '0'], ['5.8.18-100.fc31.x86_64', '0'],
    ['5.9.0', '1'], ['5.9', '1'], ['5.10.0-28-amd64', '1'], ['5.14.0-427.13.1.el9_4.x86_64', '1'], ['6.1.0-13-amd64', '1'], ['10.0.0', '1'],
  ];

  it.each(kernels)('kernel %s -> %s', (kernel, want) => {
    expect(sysctlValueFor(entry, kernel)).toBe(want);
    // The director role's own expression, rendered by the engine's template interpreter with that ansible_kernel.
    const task = readFileSync('roles/director/tasks/present.yml', 'utf8').split('\n').find((l) => l.includes('item.before_kernel.value if'))!;
    const expr = task.slice(task.indexOf('"') + 1, task.lastIndexOf('"'));
    expect(renderString(expr, { item: entry, ansible_kernel: kernel })).toBe(want);
  });

  it('kernelBelow compares numbers, not text', () => {
    expect([kernelBelow('5.10.1', '5.9'), kernelBelow('5.8.0', '5.9'), kernelBelow('weird', '5.9'), kernelBelow('4', '4.4')]).toEqual([false, true, false, true]);
  });
});

type Run = Extract<Prepared, { kind: 'run' }>['invocations'][number];

/** Every invocation the site playbook of an example makes on dir1, as the engine prepares it. */
function rendered(name: string, state: 'present' | 'absent', kernel: string): Run[] {
  const opened = openInventory([`examples/${name}/inventory`]);
  const playbook = loadPlaybook(`examples/${name}/site.yml`);
  const opts = { inventory: opened.view, playbook, extraVars: { lvs_state: state }, check: true };
  const out: Run[] = [];
  for (const play of playbook.plays) {
    if (!opened.view.resolve(play.hosts).hosts.includes('dir1')) continue;
    const { vars, broken } = scopeFor(opts, play, 'dir1', factVars({ ...debianFacts, kernel }));
    for (const task of play.tasks) {
      const p = prepareTask(task, vars, broken);
      if (p.kind === 'run') out.push(...p.invocations);
    }
  }
  return out;
}

describe('the director role', () => {
  it('sets each key live and in the lvsible sysctl file, after loading ip_vs and before keepalived', () => {
    for (const [kernel, reuse] of [['6.1.0-13-amd64', '1'], ['5.4.0-150-generic', '0']] as const) {
      const runs = rendered('mixed', 'present', kernel);
      const sysctls = runs.filter((r) => r.task.module === 'sysctl' && String(r.params.name).startsWith('net.ipv4.vs.'));
      expect(sysctls.map((r) => [r.params.name, r.params.value, r.params.sysctl_file, r.params.state ?? 'present'])).toEqual(
        directorView(load(example('mixed')), 'dir1').sysctls.map((s) => [s.name, s.name.endsWith('conn_reuse_mode') ? reuse : s.value, '/etc/sysctl.d/90-lvsible-lvs.conf', 'present']),
      );
      const index = (pred: (r: Run) => boolean) => runs.findIndex(pred);
      const firstSysctl = index((r) => r === sysctls[0]);
      expect(index((r) => r.task.module === 'kernel_module' && r.params.name === 'ip_vs')).toBeLessThan(firstSysctl);
      expect(index((r) => r.task.module === 'copy' && String(r.params.dest).includes('keepalived.conf'))).toBeGreaterThan(firstSysctl);
      // Task names read as the setting.
      expect(renderString(sysctls[4]!.task.name, sysctls[4]!.vars)).toBe('net.ipv4.vs.conn_reuse_mode = 0 on kernels < 5.9, else 1');
    }
  });

  it('takes unmanaged keys out of the file (present) and every key out of it (absent), never touching live values', () => {
    const present = rendered('nat', 'present', '6.1.0').filter((r) => r.task.module === 'sysctl' && r.params.state === 'absent');
    expect(present.map((r) => r.params.name)).toEqual(directorView(load(example('nat')), 'dir1').sysctls_unmanaged);
    const absent = rendered('mixed', 'absent', '6.1.0').filter((r) => r.task.module === 'sysctl' && String(r.params.name).startsWith('net.ipv4.vs.'));
    expect(absent.map((r) => [r.params.name, r.params.state])).toEqual(directorView(load(example('mixed')), 'dir1').sysctls.map((s) => [s.name, 'absent']));
  });
});

describe('verify: the live values on each director', () => {
  const m = load(example('mixed'));
  const entries = directorSysctls(m).sysctls;
  const out = (kernel: string, live: Record<string, string | null>) =>
    frame({ kernel: `${kernel}\n`, ...Object.fromEntries(entries.map((e) => [`sysctl:${e.name}`, live[e.name] === null ? 'missing\n' : `value ${live[e.name] ?? sysctlValueFor(e, kernel)}\n`])) });

  it('reads uname -r and each key in one script, and finds nothing when every value matches', () => {
    const probe = directorSysctlsProbe(entries);
    expect(probe.script).toContain('uname -r');
    expect(probe.script).toContain('/proc/sys/net/ipv4/vs/sloppy_tcp');
    // sync_threshold reads back as `3<TAB>50`; the comparison is the kernel's (blanks and leading zeros do not count).
    const st = probe.parse(out('6.1.0-13-amd64', { 'net.ipv4.vs.sync_threshold': '3 50', 'net.ipv4.vs.sync_ports': '01' }));
    expect(compareDirectorSysctls('dir1', entries, st).filter((f) => !f.ok)).toEqual([]);
  });

  it('a value changed by hand, a key missing (ip_vs not loaded) and a kernel-dependent one are drift with want and got', () => {
    const st = directorSysctlsProbe(entries).parse(out('5.4.0-150-generic', {
      'net.ipv4.vs.expire_nodest_conn': '0', 'net.ipv4.vs.sloppy_tcp': null, 'net.ipv4.vs.conn_reuse_mode': '1',
    }));
    expect(compareDirectorSysctls('dir1', entries, st).filter((f) => !f.ok)).toEqual([
      { host: 'dir1', subject: 'net.ipv4.vs.expire_nodest_conn', field: 'value', want: '1', got: '0', ok: false },
      { host: 'dir1', subject: 'net.ipv4.vs.sloppy_tcp', field: 'value', want: '1', got: 'missing (is ip_vs loaded?)', ok: false },
      { host: 'dir1', subject: 'net.ipv4.vs.conn_reuse_mode', field: 'value', want: '0 (kernel 5.4.0-150-generic)', got: '1', ok: false },
    ]);
  });

  it('is part of the director read of verify: still one script with IPVS and the addresses', () => {
    const probe = directorProbe(directorNetExpectation(m, 'dir1'), directorSysctlsRead(m));
    expect(probe.script).toContain('ipvsadm -Ln');
    expect(probe.script).toContain('/proc/sys/net/ipv4/vs/expire_nodest_conn');
    const capture = readFileSync('test/fixtures/verify/rs-dr.probe.txt', 'utf8');
    const st = probe.parse(frame({ live: ipvsOut('@unloaded 0\n'), net: netOut(`${capture}@sysctl net.ipv4.ip_forward 1\n`), sysctls: out('6.1.0', {}) }));
    expect(st.sysctls?.kernel).toBe('6.1.0');
    expect(compareDirectorSysctls('dir1', entries, st.sysctls!).every((f) => f.ok)).toBe(true);
  });
});

// Keep the type import used when the view's shape changes.
export type { DirectorSysctl };
