import { describe } from 'vitest';
import { service, type ServiceParams, type ServiceState } from '../../../src/modules/service.js';
import { frame } from '../../../src/facts/index.js';
import type { HostFacts } from '../../../src/types.js';
import { debianFacts, testContext } from '../../helpers/converge.js';
import { planTable } from '../../helpers/table.js';

const ctx = testContext('');
/** What systemctl answers to the read's four questions. */
const sd = (active: string, enabled: string, load = 'loaded', reload = 'no') =>
  frame({ load: `LoadState=${load}\n`, reload: `NeedDaemonReload=${reload}\n`, active: `${active}\n`, enabled: enabled ? `${enabled}\n` : '' });
const sysv = (family: 'debian' | 'redhat'): HostFacts => ({ ...debianFacts, hasSystemd: false, os: { ...debianFacts.os, family } });

describe('service module table (systemd)', () => {
  planTable<ServiceParams, ServiceState>(service, ctx, [
    { why: 'started and enabled', params: { name: 'keepalived', state: 'started', enabled: true }, out: sd('active', 'enabled'), noop: 'keepalived.service is already active and enabled' },
    { why: 'activating counts as started', params: { name: 'keepalived', state: 'started' }, out: sd('activating', 'enabled'), noop: 'keepalived.service is already activating' },
    { why: 'failed counts as stopped', params: { name: 'keepalived', state: 'stopped', enabled: false }, out: sd('failed', 'disabled'), noop: 'keepalived.service is already stopped (failed) and disabled' },
    { why: 'static units cannot be enabled', params: { name: 'systemd-sysctl', enabled: true }, out: sd('active', 'static'), noop: 'systemd-sysctl.service is already static (enable/disable does not apply to it)' },
    { why: 'daemon_reload with nothing changed on disk', params: { name: 'keepalived', daemon_reload: true }, out: sd('active', 'enabled'), noop: 'keepalived.service: nothing asked of it (daemon_reload: its unit file did not change)' },
    { why: 'start and enable', params: { name: 'keepalived', state: 'started', enabled: true }, out: sd('inactive', 'disabled'), changes: [['enable keepalived.service', ['systemctl enable keepalived.service']], ['start keepalived.service (was inactive)', ['systemctl start keepalived.service']]] },
    { why: 'restarted always acts', params: { name: 'keepalived', state: 'restarted' }, out: sd('active', 'enabled'), changes: [['restart keepalived.service', ['systemctl restart keepalived.service']]] },
    { why: 'a unit file changed on disk', params: { name: 'lvs', daemon_reload: true, state: 'started' }, out: sd('active', 'enabled', 'loaded', 'yes'), changes: [['reload systemd units (lvs.service changed on disk)', ['systemctl daemon-reload']]] },
  ]);
});

describe('service module table (no systemd)', () => {
  const deb = testContext('', { facts: sysv('debian') });
  planTable<ServiceParams, ServiceState>(service, deb, [
    { why: 'running and in the runlevels', params: { name: 'ipvsadm', state: 'started', enabled: true }, out: frame({ active: 'yes\n', enabled: 'yes\n' }), noop: 'ipvsadm is already active and enabled' },
    { why: 'start and enable with update-rc.d', params: { name: 'ipvsadm', state: 'started', enabled: true }, out: frame({ active: 'no\n', enabled: 'no\n' }), changes: [['enable ipvsadm', ['update-rc.d ipvsadm defaults && update-rc.d ipvsadm enable']], ['start ipvsadm', ['service ipvsadm start']]] },
    { why: 'RHEL: chkconfig off', params: { name: 'ipvsadm', enabled: false }, out: frame({ active: 'yes\n', enabled: 'yes\n' }), ctx: testContext('', { facts: sysv('redhat') }), changes: [['disable ipvsadm', ['chkconfig ipvsadm off']]] },
  ]);
});
