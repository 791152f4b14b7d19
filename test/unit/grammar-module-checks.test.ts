import { describe, expect, it } from 'vitest';
import { modules } from '../../src/modules/index.js';
import { checkParams, type Invocation } from '../../src/engine/invocation.js';
import type { Task } from '../../src/playbook/types.js';

// [module, params, expected issues as `field: message fragment`] ([] = accepted)
const rows: [string, Record<string, unknown>, string[]][] = [
  ['ip_address', { address: '198.51.100.10/32', dev: 'lo' }, []],
  ['ip_address', { address: '2001:db8::10', dev: 'eth1.100' }, []],
  ['ip_address', { address: '198.51.100.10/33', dev: 'lo' }, ['address: bad prefix']],
  ['ip_address', { address: '198.51.100.300/32', dev: 'lo' }, ['address: above 255']],
  ['ip_address', { address: 'vip1', dev: 'lo' }, ['address: not an IPv4/IPv6 address']],
  ['ip_address', { address: '198.51.100.10/32', dev: 'eth0', label: 'lo:vip' }, ['label: must be the device name or start with "eth0:"']],
  ['ip_address', { address: '198.51.100.10/32', dev: 'lo', label: 'lo:vip' }, []],
  ['route', { dest: '203.0.113.0/24', via: '192.0.2.1' }, []],
  ['route', { dest: 'default', via: '192.0.2.1' }, []],
  ['route', { dest: '203.0.113.5/24', via: '192.0.2.1' }, ['dest: host bits set; did you mean 203.0.113.0/24']],
  ['route', { dest: '203.0.113.0/24', via: '192.0.2.256' }, ['via: above 255']],
  ['route', { dest: '203.0.113.0/24', via: '2001:db8::1' }, ['via: not of the same address family']],
  ['route', { dest: '203.0.113.0/24' }, [': needs via (a gateway) or dev']],
  ['route', { dest: '203.0.113.0/40', dev: 'eth1' }, ['dest: bad prefix']],
  ['sysctl', { name: 'net.ipv4.ip_forward', value: 1 }, []],
  ['sysctl', { name: 'net.ipv4.conf.eth0/1.rp_filter', value: '2' }, []],
  ['sysctl', { name: 'net.ipv4.ip_forward', value: '1\nkernel.core_pattern = |/tmp/pwn' }, ['value: a newline']],
  ['sysctl', { name: '-net.ipv4.ip_forward', value: 1 }, ['name: ignore errors']],
  ['sysctl', { name: 'net.ipv4.conf.*.rp_filter', value: 1 }, ['name: a glob']],
  ['kernel_module', { name: 'ip_vs' }, []],
  ['kernel_module', { name: 'ip_vs', params: 'conn_tab_bits=20\rx' }, ['params: a carriage return']],
  ['service', { name: 'keepalived' }, []],
  ['service', { name: 'getty@tty1.service' }, []],
  ['service', { name: 'keepalived;reboot' }, ['name: ";"']],
  ['service', { name: '--now' }, ['name: starts with "-"']],
  ['file', { path: '/etc/keepalived', state: 'directory', mode: '0755', owner: 'root', group: '0' }, []],
  ['file', { path: '/etc/x\n/etc/y' }, ['path: a newline']],
  ['file', { path: '/etc/x', mode: '0999' }, ['mode: octal']],
  ['file', { path: '/etc/x', owner: '-oProxyCommand=id' }, ['owner: starts with "-"']],
  ['file', { path: '/etc/x', group: 'a b' }, ['group: a space']],
  ['file', { path: '/etc/x', state: 'link', src: '../y\nz' }, ['src: a newline']],
  ['copy', { dest: '/etc/x', content: 'y', mode: '8' }, ['mode: octal']],
  ['copy', { dest: '/etc/x', content: 'y', mode: '0644', owner: 'www-data' }, []],
  ['template', { src: 'x.j2', dest: '/etc/x\u0000y' }, ['dest: NUL']],
  ['package', { name: ['ipvsadm', 'keepalived'] }, []],
  ['ipvs', { services: [{ kind: 'tcp', address: '198.51.100.10', port: 80, destinations: [{ address: '192.0.2.11', method: 'nat' }] }] }, []],
  ['ipvs', { services: [{ kind: 'tcp', address: '198.51.100.300', port: 80, destinations: [] }] }, ['services[0].address: above 255']],
  ['ipvs', { services: [{ kind: 'tcp', address: '198.51.100.10', port: 80, destinations: [{ address: '2001:db8::11', method: 'dr' }] }] }, ['services[0].destinations[0].address: not of the service\'s address family']],
  ['ipvs', { services: [{ kind: 'tcp', address: '198.51.100.10', port: 80, destinations: [{ address: '2001:db8::11', method: 'tun' }] }] }, []],
  ['ipvs', { services: [{ kind: 'fwmark', fwmark: 7, persistence: { timeout: 60, netmask: '255.255.0.255 -C' }, destinations: [] }] }, ['services[0].persistence.netmask: not a netmask']],
  ['command', { cmd: 'ipvsadm -Ln', chdir: '/root' }, []],
  ['command', { cmd: 'ipvsadm -Ln', chdir: 'root' }, ['chdir: not an absolute path']],
  ['shell', { cmd: 'echo $(id) `id`; id', creates: '/tmp/x\ny' }, ['creates: a newline']],
];

// The task's arguments as the playbook loader gives them: a document and the path of the module key in it.
const doc = { file: 'site.yml', data: null, locate: (p: unknown[]) => ({ line: 8, col: 7 + p.length }) };
const task = (module: string): Task =>
  ({ module, loc: { file: 'site.yml', line: 7, col: 5 }, argsAt: { doc, path: [0, 'tasks', 0, module] } }) as unknown as Task;
const inv = (module: string, params: Record<string, unknown>): Invocation => ({ task: task(module), module: modules[module], params, vars: {} });

describe('module params are checked against the grammar of where they go, before connecting', () => {
  for (const [module, params, want] of rows) {
    it(`${module} ${JSON.stringify(params)} -> ${want.length ? want.join('; ') : 'accepted'}`, () => {
      const got = (modules[module]!.check?.(params as never) ?? []).map((i) => `${i.field}: ${i.message}`);
      expect(got).toHaveLength(want.length);
      want.forEach((w, k) => {
        const [field, fragment] = [w.slice(0, w.indexOf(': ')), w.slice(w.indexOf(': ') + 2)];
        expect(got[k]!.startsWith(`${field}: `)).toBe(true);
        expect(got[k]).toContain(fragment);
      });
    });
  }
});

describe('checkParams reports them with the task position and MODULE.PARAM', () => {
  it('a bad address becomes a ConfigIssue at the module key', () => {
    expect(checkParams(inv('ip_address', { address: '10.0.0.1/33', dev: 'lo' }))).toEqual([
      expect.objectContaining({ file: 'site.yml', line: 8, col: 12, field: '[0].tasks[0].ip_address.address', message: expect.stringContaining('bad prefix') }),
    ]);
  });
  it('schema and grammar problems come together, without repeating a field the schema refused', () => {
    const issues = checkParams(inv('ip_address', { address: '10.0.0.1/33', dev: 'eth 0' }));
    expect(issues.map((i) => i.field).sort()).toEqual(['[0].tasks[0].ip_address.address', '[0].tasks[0].ip_address.dev']);
  });
  it('a problem of the params as a whole is at the module', () => {
    expect(checkParams(inv('route', { dest: '203.0.113.0/24' }))).toEqual([expect.objectContaining({ field: '[0].tasks[0].route', message: expect.stringContaining('needs via') })]);
  });
  it('a loop item is named', () => {
    const i = { ...inv('sysctl', { name: '-net.ipv4.ip_forward', value: '1' }), itemLabel: 'fwd' };
    expect(checkParams(i)[0]!.message).toMatch(/ignore errors.*\(item fwd\)$/);
  });
});
