import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareTables, formatDrift, verifyDirectorOffline } from '../../src/lvs/ipvs/verify.js';
import { parseSave } from '../../src/lvs/ipvs/parse-save.js';
import { IpvsParseError } from '../../src/lvs/ipvs/parse-common.js';
import { serviceKey } from '../../src/lvs/ipvs/keys.js';

// A copy of shared/fixtures/ipvsadm-public (public captures, sources in each file's header): the repo stands alone.
const DIR = 'test/fixtures/ipvsadm-public';
const fixture = (name: string) => {
  const t = readFileSync(`${DIR}/${name}`, 'utf8');
  return t.slice(t.indexOf('\n\n') + 2);
};

/** Fixture 01's table as an operator would declare it. */
const DECLARED_01 = parseSave(
  ['172.168.2.33:80', '172.168.2.33:443', '172.168.2.36:80', '172.168.2.36:443']
    .map((vip) => {
      const port = vip.split(':')[1];
      return `-A -t ${vip} -s rr -p 600\n-a -t ${vip} -r 172.168.2.34:${port} -g -w 1\n-a -t ${vip} -r 172.168.2.35:${port} -g -w 1\n`;
    })
    .join(''),
);

describe('verifyDirectorOffline', () => {
  it('a saved -Ln output that matches the declaration: no drift', () => {
    expect(verifyDirectorOffline(DECLARED_01, fixture('01-Ln-tcp-dr-persistent-centos7.txt'))).toEqual([]);
  });

  it('reports each drift in operator words', () => {
    const declared = parseSave(
      '-A -t 172.168.2.33:80 -s wrr -p 300\n' +
        '-a -t 172.168.2.33:80 -r 172.168.2.34:80 -m -w 1\n' +
        '-a -t 172.168.2.33:80 -r 172.168.2.99:80 -g -w 1\n' +
        '-A -t 172.168.2.40:80 -s rr\n',
    );
    const drift = verifyDirectorOffline(declared, fixture('01-Ln-tcp-dr-persistent-centos7.txt'), {
      only: [serviceKey({ kind: 'tcp', family: 'inet', address: '172.168.2.33', port: 80 }), serviceKey({ kind: 'tcp', family: 'inet', address: '172.168.2.40', port: 80 })],
    });
    expect(drift.map(formatDrift)).toEqual([
      'TCP 172.168.2.33:80: scheduler: want wrr, got rr',
      'TCP 172.168.2.33:80: persistence timeout: want 300, got 600',
      'TCP 172.168.2.33:80 -> 172.168.2.34:80: method: want nat, got dr',
      'TCP 172.168.2.33:80 -> 172.168.2.99:80: destination: want present, got missing',
      'TCP 172.168.2.33:80 -> 172.168.2.35:80: destination: want absent, got present',
      'TCP 172.168.2.40:80: service: want present, got missing',
    ]);
  });

  it('without `only`, undeclared live services are drift', () => {
    const drift = verifyDirectorOffline({ services: DECLARED_01.services.slice(0, 3) }, fixture('01-Ln-tcp-dr-persistent-centos7.txt'));
    expect(drift).toEqual([{ service: 'TCP 172.168.2.36:443', field: 'service', want: 'absent', got: 'present' }]);
  });

  it('accepts -Sn output and IPv6 in another textual form', () => {
    const declared = parseSave('-A -t [FD20:0::1]:443 -s rr\n-a -t [FD20:0::1]:443 -r [2001:DB8:0:F101:0::2]:6443 -m -w 1\n');
    const live = fixture('10-Ln-ipv6-only.txt');
    expect(verifyDirectorOffline(declared, live, { only: declared.services.map(serviceKey) })).toEqual([]);
    expect(verifyDirectorOffline(declared, '-A -t [fd20::1]:443 -s rr\n-a -t [fd20::1]:443 -r [2001:db8:0:f101::2]:6443 -m -w 2\n').map(formatDrift)).toEqual([
      'TCP [fd20::1]:443 -> [2001:db8:0:f101::2]:6443: weight: want 1, got 2',
    ]);
  });

  it('refuses non-numeric and counters-only output with a reason', () => {
    expect(() => verifyDirectorOffline(DECLARED_01, fixture('13-L-nonnumeric-hostnames-route-service-names.txt'))).toThrow(/ipvsadm -Ln/);
    expect(() => verifyDirectorOffline(DECLARED_01, fixture('04-S-save-without-n-resolves-names.txt'))).toThrow(IpvsParseError);
    expect(() => verifyDirectorOffline(DECLARED_01, fixture('02-Ln-stats-dr-zero-outpkts.txt'))).toThrow(/not --stats/);
  });

  it('timeouts and the kernel Local method', () => {
    const declared = { ...parseSave('-A -f 3 -s wrr\n-a -f 3 -r 10.0.88.214:0 -g -w 1\n-a -f 3 -r 10.0.88.215:0 -g -w 1\n-A -f 7 -s wrr\n-a -f 7 -r 10.0.88.214:0 -g -w 1\n-a -f 7 -r 10.0.88.215:0 -g -w 1\n'), timeouts: { tcp: 900, tcpfin: 0, udp: 60 } };
    expect(verifyDirectorOffline(declared, fixture('11-Ln-fwmark-local-and-route.txt'))).toEqual([]);
    const live = { ...parseSave(''), timeouts: { tcp: 900, tcpfin: 120, udp: 300 } };
    expect(compareTables({ services: [], timeouts: declared.timeouts }, live).map(formatDrift)).toEqual(['(global): udp timeout: want 60, got 300']);
  });

  it('does not compare what the saved format cannot show (thresholds; tunnel types in plain -Ln)', () => {
    const declared = parseSave('-A -t 10.0.0.1:80 -s wrr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1 -x 100\n-a -t 10.0.0.1:80 -r 10.0.2.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum\n');
    const ln = 'TCP  10.0.0.1:80 wrr\n  -> 10.0.1.1:80 Masq 1 0 0\n  -> 10.0.2.1:80 Tunnel 1 0 0\n';
    expect(verifyDirectorOffline(declared, ln)).toEqual([]);
    const tunInfo = `Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
TCP  10.0.0.1:80 wrr
  -> 10.0.1.1:80                  Masq    n/a           1      0          0
  -> 10.0.2.1:80                  Tunnel  gue:6081:-c   1      0          0
`;
    expect(verifyDirectorOffline(declared, tunInfo).map(formatDrift)).toEqual(['TCP 10.0.0.1:80 -> 10.0.2.1:80: tunnel port: want 6080, got 6081']);
    // Online verify reads thresholds (--thresholds) and compares them.
    expect(compareTables(declared, parseSave(ln.replace(/.*/s, '-A -t 10.0.0.1:80 -s wrr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n-a -t 10.0.0.1:80 -r 10.0.2.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum\n'))).map(formatDrift)).toEqual([
      'TCP 10.0.0.1:80 -> 10.0.1.1:80: upper threshold: want 100, got none',
    ]);
  });
});
