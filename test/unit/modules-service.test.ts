import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service, unitName, type ServiceParams, type ServiceState } from '../../src/modules/service.js';
import { frame, serviceFact } from '../../src/facts/index.js';
import type { HostFacts } from '../../src/types.js';
import { converge, debianFacts, planOn, testContext } from '../helpers/converge.js';

const sd = (active: string, enabled: string, over: Partial<ServiceState> = {}): ServiceState => ({
  load: 'loaded',
  active,
  enabled,
  needsReload: false,
  ...over,
});

describe('service plan table (systemd)', () => {
  const ctx = testContext('');
  const rows: [string, ServiceParams, ServiceState, [string, string][]][] = [
    ['noop: started and enabled', { name: 'keepalived', state: 'started', enabled: true }, sd('active', 'enabled'), []],
    ['noop: activating counts as started', { name: 'keepalived', state: 'started' }, sd('activating', 'enabled'), []],
    ['noop: failed counts as stopped', { name: 'keepalived', state: 'stopped', enabled: false }, sd('failed', 'disabled'), []],
    ['noop: static units cannot be enabled', { name: 'systemd-sysctl', enabled: true }, sd('active', 'static'), []],
    ['noop: indirect / alias / generated are left alone', { name: 'x', enabled: false }, sd('active', 'indirect'), []],
    ['noop: daemon_reload when nothing changed on disk', { name: 'keepalived', daemon_reload: true }, sd('active', 'enabled'), []],
    [
      'start and enable',
      { name: 'keepalived', state: 'started', enabled: true },
      sd('inactive', 'disabled'),
      [
        ['enable keepalived.service', 'systemctl enable keepalived.service'],
        ['start keepalived.service (was inactive)', 'systemctl start keepalived.service'],
      ],
    ],
    ['stop and disable', { name: 'ipvsadm.service', state: 'stopped', enabled: false }, sd('active', 'enabled'), [
      ['disable ipvsadm.service', 'systemctl disable ipvsadm.service'],
      ['stop ipvsadm.service', 'systemctl stop ipvsadm.service'],
    ]],
    ['restarted always acts', { name: 'keepalived', state: 'restarted' }, sd('active', 'enabled'), [['restart keepalived.service', 'systemctl restart keepalived.service']]],
    ['reloaded starts a stopped service', { name: 'keepalived', state: 'reloaded' }, sd('inactive', 'enabled'), [
      ['start keepalived.service (reload requested, was inactive)', 'systemctl start keepalived.service'],
    ]],
    ['reloaded reloads a running one', { name: 'keepalived', state: 'reloaded' }, sd('active', 'enabled'), [['reload keepalived.service', 'systemctl reload keepalived.service']]],
    ['a masked unit: the step will fail, the summary says why', { name: 'ipvsadm', enabled: true }, sd('inactive', 'masked'), [
      ['enable ipvsadm.service (unit is masked: unmask it first)', 'systemctl enable ipvsadm.service'],
    ]],
    [
      'daemon_reload first when the unit file changed',
      { name: 'lvs-vip', daemon_reload: true, state: 'restarted' },
      sd('active', 'enabled', { needsReload: true }),
      [
        ['reload systemd units (lvs-vip.service changed on disk)', 'systemctl daemon-reload'],
        ['restart lvs-vip.service', 'systemctl restart lvs-vip.service'],
      ],
    ],
    [
      'a unit systemd does not know yet',
      { name: 'lvs-vip', daemon_reload: true, state: 'started', enabled: true },
      sd('inactive', '', { load: 'not-found' }),
      [
        ['reload systemd units (lvs-vip.service is new)', 'systemctl daemon-reload'],
        ['enable lvs-vip.service (unit not found yet)', 'systemctl enable lvs-vip.service'],
        ['start lvs-vip.service (was inactive) (unit not found yet)', 'systemctl start lvs-vip.service'],
      ],
    ],
  ];
  it.each(rows)('%s', (_why, params, state, expected) => {
    const changes = service.plan(params, state, ctx);
    expect(changes.map((c) => [c.summary, c.steps.map((s) => s.cmd).join(' && ')])).toEqual(expected);
  });

  it('unit names', () => {
    expect([unitName('keepalived'), unitName('ipvsadm.service'), unitName('lvs.timer'), unitName('php8.2-fpm')]).toEqual([
      'keepalived.service',
      'ipvsadm.service',
      'lvs.timer',
      'php8.2-fpm.service',
    ]);
  });
});

describe('service parses systemctl output', () => {
  // What systemctl prints for each of the four questions (is-enabled prints nothing for a unit it does not know).
  const answers = (load: string, reload: string, active: string, enabled: string) =>
    frame({ load: `LoadState=${load}\n`, reload: `NeedDaemonReload=${reload}\n`, active: `${active}\n`, enabled: enabled ? `${enabled}\n` : '' });
  it.each([
    [answers('loaded', 'no', 'active', 'enabled'), sd('active', 'enabled')],
    [answers('not-found', 'no', 'inactive', ''), sd('inactive', '', { load: 'not-found' })],
    [answers('masked', 'yes', 'failed', 'masked'), sd('failed', 'masked', { load: 'masked', needsReload: true })],
  ])('%j', (out, state) => {
    expect(serviceFact('x.service').parse(out)).toEqual(state);
  });
});

describe('service without systemd', () => {
  const sysv = (family: 'debian' | 'redhat'): HostFacts => ({ ...debianFacts, hasSystemd: false, os: { ...debianFacts.os, family } });
  it.each([
    ['debian', { name: 'ipvsadm', state: 'started', enabled: true }, 'inactive', 'disabled', ['update-rc.d ipvsadm defaults && update-rc.d ipvsadm enable', 'service ipvsadm start']],
    ['redhat', { name: 'ipvsadm', enabled: false }, 'active', 'enabled', ['chkconfig ipvsadm off']],
    ['debian', { name: 'ipvsadm', state: 'started', enabled: true }, 'active', 'enabled', []],
  ] as const)('%s %j (%s, %s)', (family, params, active, enabled, cmds) => {
    const ctx = testContext('', { facts: sysv(family) });
    const changes = service.plan(params, sd(active, enabled, { load: '' }), ctx);
    expect(changes.flatMap((c) => c.steps.map((s) => s.cmd))).toEqual(cmds);
  });
});

/*
 * Boot state for real: `systemctl --root` reads and edits unit files in a temp tree without a running systemd,
 * so the module's own probe and steps run against genuine systemctl answers (run state needs a real host: lab e2e).
 */
const hasSystemctl = (() => {
  try {
    execFileSync('systemctl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(hasSystemctl)('service enables/disables real unit files under a temp root', () => {
  let root: string;
  const unit = (name: string, body: string) => writeFileSync(join(root, 'usr/lib/systemd/system', name), body);
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lvsible-svc-'));
    mkdirSync(join(root, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    const install = '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n';
    unit('lvs-a.service', install);
    unit('lvs-b.service', install);
    unit('lvs-static.service', '[Service]\nExecStart=/bin/true\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('enable converges, then plans nothing', async () => {
    const ctx = testContext(root);
    const { first, second, state } = await converge(service, { name: 'lvs-a', enabled: true }, ctx);
    expect(first.map((c) => c.summary)).toEqual(['enable lvs-a.service']);
    expect(second).toEqual([]);
    expect((state as ServiceState).enabled).toBe('enabled');
  });

  it('disable converges back', async () => {
    const ctx = testContext(root);
    await converge(service, { name: 'lvs-b', enabled: true }, ctx);
    const { first, second, state } = await converge(service, { name: 'lvs-b', enabled: false }, ctx);
    expect(first.map((c) => c.summary)).toEqual(['disable lvs-b.service']);
    expect(second).toEqual([]);
    expect((state as ServiceState).enabled).toBe('disabled');
  });

  it('a static unit reads as static and plans nothing either way', async () => {
    const ctx = testContext(root);
    for (const enabled of [true, false]) {
      const { state, changes } = await planOn(service, { name: 'lvs-static', enabled }, ctx);
      expect((state as ServiceState).enabled).toBe('static');
      expect(changes).toEqual([]);
    }
  });
});
