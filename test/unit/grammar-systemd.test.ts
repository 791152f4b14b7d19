import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execArg, GrammarError, unitName, unitText } from '../../src/grammar/index.js';
import { addressUnit } from '../../src/modules/ip_address.js';
import { routeUnit } from '../../src/modules/route.js';
import { timeoutsUnitText } from '../../src/modules/ipvs.js';
import { renderUnit } from '../../src/modules/netpersist.js';
import { table } from '../helpers/grammar-table.js';

table('unitText (Description=)', unitText, [
  ['lvsible: address 10.0.0.1/32 on lo', null],
  ['IPVS connection timeouts (ipvsadm --set)', null],
  ['x\nExecStartPre=/bin/sh -c id', 'a newline'],
  ['x\rExecStartPre=/bin/sh', 'a carriage return'],
  ['100%n', 'specifier'],
  ['line \\', 'joins the next line'],
  [' padded', 'leading or trailing blanks'],
  ['', 'is empty'],
]);

table('execArg', (v) => execArg(v), [
  ['addr', null],
  ['10.0.0.1/32', null],
  ['-4', null],
  ['eth0.100', null],
  ['lo\nExecStart=/bin/sh', 'a newline'],
  ['a b', 'a space'],
  ['%H', 'specifier'],
  ['$PATH', 'environment variable'],
  ['${X}', 'environment variable'],
  [';', 'separates commands'],
  ['a;b', 'separates commands'],
  ['"x"', 'quoted word'],
  ["'x'", 'quoted word'],
  ['x\\', 'backslash'],
  ['$(id)', 'environment variable'],
  ['`id`', null],
  ['', 'is empty'],
]);
table('execArg program', (v) => execArg(v, { program: true }), [['/sbin/ip', null], ['ip', 'absolute path'], ['-/sbin/ip', 'absolute path'], ['@/sbin/ip', 'absolute path']]);

table('unitName', (v) => unitName(v), [
  ['keepalived.service', null],
  ['sys-subsystem-net-devices-eth\\x2d1.device', null],
  ['lvsible-addr-lo-10.0.0.1_32.service', null],
  ['getty@tty1.service', null],
  ['multi-user.target', null],
  ['keepalived', 'no unit type suffix'],
  ['a b.service', 'a space'],
  ['x.service\nExecStart=/bin/sh', 'a newline'],
  ['-x.service', 'starts with "-"'],
  ['a@b@c.service', 'more than one "@"'],
  ['@x.service', 'nothing before "@"'],
  ['.service', 'nothing before the type suffix'],
  ['h\u00e9.service', 'ASCII'],
  [`${'a'.repeat(250)}.service`, '255'],
]);
table('unitName without suffix', (v) => unitName(v, { suffix: false }), [['keepalived', null], ['ipvsadm', null], ['a/b', '"/"']]);

describe('renderUnit refuses values that would change the unit', () => {
  const base = { description: 'lvsible: test', unitLines: [], exec: [['/sbin/ip', 'addr', 'replace', '10.0.0.1/32', 'dev', 'lo']] };
  const cases: [string, Parameters<typeof renderUnit>[0], string][] = [
    ['a newline in the description', { ...base, description: 'x\nExecStartPre=/bin/sh -c id' }, 'Description'],
    ['a newline in an argument', { ...base, exec: [['/sbin/ip', 'addr', 'replace', '10.0.0.1/32', 'dev', 'lo\nExecStart=/bin/sh']] }, 'ExecStart[0] argument 5'],
    ['a specifier in an argument', { ...base, exec: [['/sbin/ip', 'link', 'set', 'dev', '%H']] }, 'ExecStart[0] argument 4'],
    ['a relative program', { ...base, exec: [['ip', 'link']] }, 'ExecStart[0] argument 0'],
    ['a bad WantedBy', { ...base, wantedBy: ['multi-user.target\n[Service]'] }, 'WantedBy[0]'],
    ['a bad unit line', { ...base, unitLines: ['After=x.service\nExecStart=/bin/sh'] }, 'After[0]'],
  ];
  for (const [what, spec, field] of cases) {
    it(what, () => {
      expect(() => renderUnit(spec)).toThrow(GrammarError);
      expect(() => renderUnit(spec)).toThrow(field);
    });
  }
  it('an address module unit with an injected device throws', () => {
    expect(() => addressUnit({ address: '10.0.0.1/32', dev: 'lo\nExecStart=/bin/sh' })).toThrow(/ExecStart\[0\] argument 4/);
  });
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function verify(name: string, text: string): { code: number | null; out: string } | null {
  if (spawnSync('systemd-analyze', ['--version']).error) return null;
  const dir = mkdtempSync(join(tmpdir(), 'unit-'));
  dirs.push(dir);
  writeFileSync(join(dir, name), text);
  const res = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, name)], { encoding: 'utf8', timeout: 20_000 });
  if (res.error) return null;
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

describe('real systemd-analyze verify accepts the units lvsible renders', () => {
  const units: [string, string][] = [
    ['lvsible-addr-lo.service', addressUnit({ address: '198.51.100.10/32', dev: 'lo' })],
    ['lvsible-addr-eth1.service', addressUnit({ address: '2001:db8::10/128', dev: 'eth1.100', label: undefined })],
    ['lvsible-route.service', routeUnit({ dest: '203.0.113.0/24', via: '192.0.2.1', dev: 'eth1' })],
    ['lvsible-ipvs-timeouts.service', timeoutsUnitText({ tcp: 900, tcpfin: 120, udp: 300 })],
  ];
  for (const [name, text] of units) {
    it(name, (ctx) => {
      const res = verify(name, text);
      if (!res) return ctx.skip();
      // A missing /sbin/ip or /sbin/ipvsadm on this machine would be reported too: that is not the unit's fault.
      if (/is not executable|No such file/.test(res.out)) return ctx.skip();
      expect(res).toEqual({ code: 0, out: '' });
    });
  }
  it('and verify does complain about a broken unit (the check can fail)', (ctx) => {
    const res = verify('broken.service', timeoutsUnitText({ tcp: 900, tcpfin: 120, udp: 300 }).replace('Type=oneshot', 'Type=bogus'));
    if (!res) return ctx.skip();
    expect(res.out).toMatch(/bogus/);
  });
});
