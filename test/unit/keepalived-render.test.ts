import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { find, parseKeepalivedConf, value, type ConfNode } from '../../src/lvs/keepalived/parse.js';
import { renderKeepalivedConf } from '../../src/lvs/keepalived/render.js';
import { GrammarError } from '../../src/grammar/index.js';
import { loadCluster } from '../../src/lvs/model/load.js';
import { clusterSecrets } from '../../src/lvs/model/view.js';
import { clustersDir, dualStackInventory, labInventory } from '../fixtures/clusters/inventory.js';

const mixed = loadCluster(`${clustersDir}/mixed.yml`, labInventory());
const features = loadCluster(`${clustersDir}/features.yml`, dualStackInventory());
const conf = (model: typeof mixed, host: string) => parseKeepalivedConf(renderKeepalivedConf(model, host));
const only = (nodes: ConfNode[]) => {
  expect(nodes).toHaveLength(1);
  return nodes[0]!;
};

describe('keepalived.conf for the mixed cluster', () => {
  it('gives each director its own state, priority and unicast addresses', () => {
    const [d1, d2] = [only(find(conf(mixed, 'dir1'), 'vrrp_instance')), only(find(conf(mixed, 'dir2'), 'vrrp_instance'))];
    expect([value(d1, 'state'), value(d1, 'priority'), value(d1, 'unicast_src_ip')]).toEqual(['MASTER', '150', '198.51.100.2']);
    expect([value(d2, 'state'), value(d2, 'priority'), value(d2, 'unicast_src_ip')]).toEqual(['BACKUP', '100', '198.51.100.3']);
    expect(only(find(d1, 'unicast_peer')).children.map((c) => c.key)).toEqual(['198.51.100.3']);
    expect(only(find(d2, 'unicast_peer')).children.map((c) => c.key)).toEqual(['198.51.100.2']);
    for (const d of [d1, d2]) {
      expect(value(d, 'virtual_router_id')).toBe('51');
      expect(only(find(d, 'virtual_ipaddress')).children.map((c) => [c.key, ...c.args].join(' '))).toEqual([
        '198.51.100.10/24 dev eth1',
        '192.0.2.1/24 dev eth2',
      ]);
    }
  });

  it('writes protocol and a method on the service and on every real_server, matching the model', () => {
    const root = conf(mixed, 'dir1');
    const vs = only(find(root, 'virtual_server'));
    expect(vs.args).toEqual(['198.51.100.10', '80']);
    expect(value(vs, 'protocol')).toBe('TCP');
    expect(value(vs, 'lvs_sched')).toBe('wrr');
    expect(value(vs, 'lvs_method')).toMatch(/^(NAT|DR|TUN)$/);
    const methods = Object.fromEntries(find(vs, 'real_server').map((r) => [r.args.join(':'), value(r, 'lvs_method')]));
    const expected = Object.fromEntries(
      mixed.virtual_services[0]!.realservers.map((r) => [`${r.address}:${r.port}`, r.method.toUpperCase()]),
    );
    expect(methods).toEqual(expected);
    expect(methods).toEqual({ '192.0.2.11:80': 'NAT', '198.51.100.21:80': 'DR', '198.51.100.31:80': 'TUN' });
    const tun = find(vs, 'real_server').find((r) => r.args[0] === '198.51.100.31')!;
    const http = only(find(tun, 'HTTP_GET'));
    expect([value(only(find(http, 'url')), 'path'), value(only(find(http, 'url')), 'status_code')]).toEqual(['/', '200']);
    const nat = find(vs, 'real_server').find((r) => r.args[0] === '192.0.2.11')!;
    expect(value(nat, 'weight')).toBe('2');
    expect(value(only(find(nat, 'TCP_CHECK')), 'connect_timeout')).toBe('3');
  });

  it('puts the sync daemon and timeouts in global_defs with the director as router_id', () => {
    const g = only(find(conf(mixed, 'dir2'), 'global_defs'));
    expect(value(g, 'router_id')).toBe('dir2');
    expect(value(g, 'lvs_sync_daemon')).toBe('eth2 VI_1 id 51');
    expect(value(g, 'lvs_timeouts')).toBe('tcp 900 tcpfin 120 udp 300');
  });

  it('writes one keyword per line and renders byte-identically', () => {
    const text = renderKeepalivedConf(mixed, 'dir1');
    for (const l of text.split('\n')) {
      const body = l.trim();
      if (!body || body.startsWith('!') || body === '}') continue;
      // Either "keyword args" or "keyword args {": never two statements on a line.
      expect(body.replace(/ \{$/, '')).not.toMatch(/[{}]/);
    }
    const again = loadCluster(`${clustersDir}/mixed.yml`, labInventory());
    expect(renderKeepalivedConf(again, 'dir1')).toBe(text);
  });

  it('lists auth_pass as a secret', () => {
    expect(clusterSecrets(mixed)).toEqual(['lvs0pass']);
    expect(clusterSecrets(features)).toEqual(['k33pal1v']);
  });
});

describe('keepalived.conf for every feature', () => {
  const root = conf(features, 'dir1');
  const vs = (head: string) => find(root, 'virtual_server').find((v) => v.args.join(' ') === head)!;

  it('UDP with ops, sh flags and MISC_CHECK (with script security)', () => {
    const dns = vs('198.51.100.10 53');
    expect([value(dns, 'protocol'), value(dns, 'lvs_sched'), value(dns, 'delay_loop')]).toEqual(['UDP', 'sh', '10']);
    expect(['ops', 'sh-port', 'sh-fallback'].map((k) => find(dns, k).length)).toEqual([1, 1, 1]);
    const rs = find(dns, 'real_server');
    expect(rs.map((r) => r.args.join(' '))).toEqual(['192.0.2.11 5353', '192.0.2.50 53']);
    expect(value(only(find(rs[0]!, 'MISC_CHECK')), 'misc_path')).toBe('"/usr/local/bin/check-dns 198.51.100.10"');
    expect(find(rs[1]!, 'MISC_CHECK')).toHaveLength(0);
    const g = only(find(root, 'global_defs'));
    expect([value(g, 'enable_script_security'), value(g, 'script_user')]).toEqual(['', 'root']);
  });

  it('fwmark: no protocol, ip_family, persistence granularity, DR/TUN without port', () => {
    const fw = vs('fwmark 7');
    expect(value(fw, 'protocol')).toBeUndefined();
    expect([value(fw, 'ip_family'), value(fw, 'persistence_timeout'), value(fw, 'persistence_granularity')]).toEqual(['inet', '1800', '255.255.255.0']);
    expect(find(fw, 'real_server').map((r) => [r.args.join(' '), value(r, 'lvs_method'), value(r, 'weight')])).toEqual([
      ['198.51.100.21', 'DR', '1'],
      ['198.51.100.31', 'TUN', '0'],
    ]);
  });

  it('IPv6 with mh flags, thresholds, SSL_GET and a NAT sorry server', () => {
    const v6 = vs('2001:db8:100::10 80');
    expect([value(v6, 'persistence_granularity'), value(v6, 'sorry_server'), value(v6, 'sorry_server_lvs_method')]).toEqual(['64', '2001:db8:100::99 8080', 'NAT']);
    const rs = only(find(v6, 'real_server'));
    expect([value(rs, 'uthreshold'), value(rs, 'lthreshold')]).toEqual(['100', '50']);
    expect(value(only(find(rs, 'SSL_GET')), 'virtualhost')).toBe('www.example.org');
    const inst6 = find(root, 'vrrp_instance').find((v) => v.args[0] === 'VI_6')!;
    expect([value(inst6, 'state'), value(inst6, 'priority'), value(inst6, 'unicast_src_ip')]).toEqual(['BACKUP', '100', '2001:db8:100::2']);
    expect(find(inst6, 'authentication')).toHaveLength(0);
    const inst4 = find(root, 'vrrp_instance').find((v) => v.args[0] === 'VI_1')!;
    expect(find(inst4, 'nopreempt')).toHaveLength(1);
    expect(value(only(find(inst4, 'authentication')), 'auth_type')).toBe('AH');
  });

  it('omits virtual_server blocks when ipvsadm programs IPVS', () => {
    const vrrpOnly = { ...features, manager: 'ipvsadm' as const };
    const r = conf(vrrpOnly, 'dir1');
    expect(find(r, 'virtual_server')).toHaveLength(0);
    expect(find(r, 'vrrp_instance')).toHaveLength(2);
  });
});

/** keepalived -t inside a network namespace of our own holding eth1/eth2 (a veth pair): no traffic is sent. */
function keepalivedTest(text: string): { code: number | null; out: string } | null {
  if (spawnSync('keepalived', ['--version']).error) return null;
  const dir = mkdtempSync(join(tmpdir(), 'ka-'));
  dirs.push(dir);
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, text);
  const script = 'ip link add eth1 type veth peer name eth2 && ip link set eth1 up && ip link set eth2 up && exec keepalived -t -l -n -f "$1"';
  const res = spawnSync('unshare', ['-n', 'sh', '-c', script, 'sh', file], { encoding: 'utf8', timeout: 20_000 });
  if (res.error || /unshare failed|Operation not permitted/.test(res.stderr)) return null;
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('real keepalived -t accepts the rendered configs without a warning', () => {
  const cases = [
    ['mixed', mixed],
    ['features', features],
  ] as const;
  for (const [name, model] of cases) {
    for (const host of model.directors) {
      it(`${name} on ${host}`, (ctx) => {
        const res = keepalivedTest(renderKeepalivedConf(model, host));
        if (!res) return ctx.skip();
        expect(res.out).toBe('');
        expect(res.code).toBe(0);
      });
    }
  }

  it('and the check does fail on a broken config (the test can fail)', (ctx) => {
    const res = keepalivedTest(renderKeepalivedConf(mixed, 'dir1').replace('lvs_method DR', 'lvs_method dr'));
    if (!res) return ctx.skip();
    expect(res.code).not.toBe(0);
  });
});

describe('a value that does not fit keepalived.conf is refused at render time, naming its field', () => {
  const evil = 'dir1\nvrrp_script pwn {\n    script "/bin/sh -c id"\n}\n';
  const inst = mixed.vrrp_instances[0]!;
  const svc = mixed.virtual_services[0]!;
  const withInst = (over: Partial<typeof inst>) => ({ ...mixed, vrrp_instances: [{ ...inst, ...over }, ...mixed.vrrp_instances.slice(1)] });
  const withRs = (over: Partial<(typeof svc.realservers)[number]>) => ({
    ...mixed,
    virtual_services: [{ ...svc, realservers: [{ ...svc.realservers[0]!, ...over }, ...svc.realservers.slice(1)] }, ...mixed.virtual_services.slice(1)],
  });
  const cases: [string, typeof mixed, string, RegExp][] = [
    ['a director name with a newline (router_id)', { ...mixed, directors: [...mixed.directors, evil] }, evil, /lvs\.directors \(router_id\): .* a newline/],
    ['a director name with a blank', { ...mixed, directors: [...mixed.directors, 'dir 3'] }, 'dir 3', /router_id.*a space/],
    ['an instance name closing the block', withInst({ name: 'VI_1 }\nvrrp_script pwn {' }), 'dir1', /vrrp_instances\[0\]\.name/],
    ['an interface with a comment mark', withInst({ interface: 'eth1#' }), 'dir1', /vrrp_instances\[0\]\.interface/],
    ['a VIP dev with a newline', withInst({ addresses: [{ address: '198.51.100.10', prefix: 24, dev: 'eth1\n}' }] }), 'dir1', /virtual_ipaddress\[0\] \(dev\)/],
    ['an auth_pass with a brace', withInst({ authentication: { type: 'PASS', pass: 'x}' } }), 'dir1', /authentication\.pass/],
    ['a realserver address that is no address', withRs({ address: '192.0.2.11 80 {' }), 'dir1', /realservers\[0\]\.(host|address)/],
    ['a MISC_CHECK path closing its quote', withRs({ health_check: { type: 'MISC_CHECK', misc_path: '/bin/true"\n}' } }), 'dir1', /health_check\.misc_path/],
    ['an HTTP path with a $ definition', withRs({ health_check: { type: 'HTTP_GET', path: '/$_HASH', status_code: 200 } }), 'dir1', /health_check\.path/],
  ];
  for (const [what, model, host, field] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        renderKeepalivedConf(model, host);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GrammarError);
      expect((err as Error).message).toMatch(field);
      expect((err as Error).message).toContain('refusing to write keepalived.conf');
    });
  }

  it('the unchanged models still render (the refusals above are the values, not the renderer)', () => {
    for (const h of mixed.directors) expect(() => renderKeepalivedConf(mixed, h)).not.toThrow();
  });
});
