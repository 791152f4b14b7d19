import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseList, parseTable, type IpvsListing } from '../../src/lvs/ipvs/parse-list.js';
import { parseSave } from '../../src/lvs/ipvs/parse-save.js';
import { parseConnections, parseDaemon, parseIpvsadmOutput, parseTimeout } from '../../src/lvs/ipvs/parse-other.js';
import { IpvsParseError, IpvsUnavailableError } from '../../src/lvs/ipvs/parse-common.js';
import type { IpvsTable } from '../../src/lvs/ipvs/types.js';

// A copy of shared/fixtures/ipvsadm-public (public captures, sources in each file's header): the repo stands alone.
const DIR = 'test/fixtures/ipvsadm-public';

/** Fixture body: everything after the metadata lines and the first blank line. */
function fixture(name: string): string {
  const text = readFileSync(`${DIR}/${name}`, 'utf8');
  return text.slice(text.indexOf('\n\n') + 2);
}

function spec(l: IpvsListing): IpvsTable {
  if (l.format !== 'list' && l.format !== 'tun-info') throw new Error(`not a full listing: ${l.format}`);
  return l;
}

describe('public ipvsadm fixtures', () => {
  it('every fixture file has a test below', () => {
    const files = readdirSync(DIR).filter((f) => /^\d\d-/.test(f));
    expect(files).toHaveLength(14);
  });

  it('01: -ln, 4 TCP DR services, persistent 600, big hash table', () => {
    const t = spec(parseList(fixture('01-Ln-tcp-dr-persistent-centos7.txt')));
    expect(t.version).toBe('1.2.1');
    expect(t.connTableSize).toBe(1048576);
    expect(t.services.map((s) => `${s.address}:${s.port}`)).toEqual([
      '172.168.2.33:80', '172.168.2.33:443', '172.168.2.36:80', '172.168.2.36:443',
    ]);
    for (const s of t.services) {
      expect(s).toMatchObject({ kind: 'tcp', family: 'inet', scheduler: 'rr', persistence: { timeout: 600 }, ops: false });
      expect(s.persistence?.netmask).toBeUndefined();
      expect(s.destinations.map((d) => d.address)).toEqual(['172.168.2.34', '172.168.2.35']);
      expect(s.destinations.every((d) => d.method === 'dr' && d.weight === 1 && d.port === s.port)).toBe(true);
    }
  });

  it('02: --stats, DR services have OutPkts 0', () => {
    const l = parseList(fixture('02-Ln-stats-dr-zero-outpkts.txt'));
    expect(l.format).toBe('stats');
    if (l.format !== 'stats') return;
    expect(l.services).toHaveLength(4);
    expect(l.services[0]!.stats).toEqual({ conns: 353, inPkts: 2387, outPkts: 0, inBytes: 425447, outBytes: 0 });
    expect(l.services[1]!.destinations[1]).toEqual({
      address: '172.168.2.35', port: 443, stats: { conns: 12, inPkts: 824, outPkts: 0, inBytes: 283843, outBytes: 0 },
    });
    const dests = l.services.flatMap((s) => s.destinations);
    expect(dests).toHaveLength(8);
    expect(dests.every((d) => d.stats.outPkts === 0 && d.stats.outBytes === 0 && !d.stats.approximate)).toBe(true);
  });

  it('03: -lnc, 10 rows, one persistence template, trailing comment ignored', () => {
    const conns = parseConnections(fixture('03-Lnc-connections-persistence-template.txt'));
    expect(conns).toHaveLength(10);
    const templates = conns.filter((c) => c.template);
    expect(templates).toHaveLength(1);
    expect(templates[0]).toMatchObject({ state: 'NONE', expiresIn: 600, client: { address: '172.168.2.219', port: 0 } });
    expect(conns[0]).toEqual({
      protocol: 'TCP', expiresIn: 8, state: 'CLOSE', template: false,
      client: { address: '172.168.2.219', port: 8814 },
      virtual: { address: '172.168.2.36', port: 80 },
      destination: { address: '172.168.2.34', port: 80 },
    });
    expect(conns.filter((c) => c.state === 'CLOSE')).toHaveLength(9);
  });

  it('04: -S without -n keeps names and flags the table non-numeric', () => {
    const t = parseSave(fixture('04-S-save-without-n-resolves-names.txt'));
    expect(t.numeric).toBe(false);
    expect(t.services).toHaveLength(4);
    expect(t.services.map((s) => `${s.address}:${s.portName}`)).toEqual([
      '172.168.2.33:http', '172.168.2.33:https', 'test-lvs02:http', 'test-lvs02:https',
    ]);
    for (const s of t.services) {
      expect(s).toMatchObject({ scheduler: 'rr', persistence: { timeout: 600 } });
      expect(s.destinations).toHaveLength(2);
      expect(s.destinations.every((d) => d.method === 'dr' && d.weight === 1 && d.portName === s.portName)).toBe(true);
    }
  });

  it('05: K/M suffixes are scaled and marked approximate; truncated host name is non-numeric', () => {
    const l = parseList(fixture('05-l-stats-K-M-suffix-and-truncated-hostname.txt'));
    if (l.format !== 'stats') throw new Error(l.format);
    expect(l.numeric).toBe(false);
    expect(l.services[0]!.stats).toEqual({
      conns: 401, inPkts: 8939187, outPkts: 8953980, inBytes: 830843000, outBytes: 1135000000,
      approximate: ['inBytes', 'outBytes'],
    });
    expect(l.services[0]!.destinations.map((d) => d.address)).toEqual(['17.17.17.1', '1.31.31.31.dyn.idknet.com', '32.32.32.1']);
    expect(l.services[0]!.destinations[1]!.port).toBe(50);
    expect(l.services[0]!.destinations[2]!.stats.outBytes).toBe(375034000);
  });

  it('06: non-numeric listing with trailing padding, NAT', () => {
    const text = fixture('06-L-nonnumeric-names-masq-trailing-spaces.txt');
    expect(text).toMatch(/ {9}\n/); // the padding really is in the fixture
    const t = spec(parseList(text));
    expect(t.numeric).toBe(false);
    expect(t.services).toHaveLength(1);
    expect(t.services[0]).toMatchObject({ address: 'localhost', portName: 'http-alt', scheduler: 'rr' });
    expect(t.services[0]!.destinations.map((d) => [d.port, d.method, d.counters?.inactConn])).toEqual([
      [32768, 'nat', 1], [32769, 'nat', 1], [32770, 'nat', 0],
    ]);
  });

  it('07: --stats on NAT has non-zero out counters', () => {
    const l = parseList(fixture('07-Ln-stats-nat.txt'));
    if (l.format !== 'stats') throw new Error(l.format);
    expect(l.services[0]).toMatchObject({ kind: 'tcp', address: '127.0.0.1', port: 8080 });
    expect(l.services[0]!.destinations.map((d) => [d.port, d.stats.outBytes])).toEqual([[32776, 1065], [32777, 0]]);
  });

  it('08: --rate is told apart from --stats by its header', () => {
    const l = parseList(fixture('08-Ln-rate.txt'));
    expect(l.format).toBe('rate');
    if (l.format !== 'rate') return;
    expect(l.services[0]!.destinations.map((d) => d.port)).toEqual([32776, 32777, 32778]);
  });

  it('09: v4 + v6, TCP + UDP, persistent 10800, order kept as printed', () => {
    const t = spec(parseList(fixture('09-ln-mixed-ipv4-ipv6-udp-persistent-signed-sort.txt')));
    expect(t.services).toHaveLength(8);
    expect(t.services[0]!.address).toBe('192.168.56.11');
    expect(t.services.filter((s) => s.kind === 'udp').map((s) => `${s.address}:${s.port}`)).toEqual(['10.0.0.10:53']);
    expect(t.services.filter((s) => s.family === 'inet6').map((s) => s.address)).toEqual([
      'fe80::a00:27ff:fe0d:b71d', 'fe80::a00:27ff:fe59:511a',
    ]);
    expect(t.services.filter((s) => s.persistence).map((s) => [s.address, s.persistence?.timeout])).toEqual([['10.0.0.1', 10800]]);
    expect(t.services[1]!.destinations[0]).toMatchObject({ address: '10.0.3.15', port: 6443, method: 'nat', counters: { activeConn: 1, inactConn: 0 } });
    expect(t.services[6]!.destinations[0]).toMatchObject({ address: 'ac11:3::', port: 80 });
  });

  it('10: IPv6 only, dest names longer than 28 columns', () => {
    const t = spec(parseList(fixture('10-Ln-ipv6-only.txt')));
    expect(t.services.map((s) => [s.address, s.port, s.destinations.length])).toEqual([
      ['fd20::1', 443, 1], ['fd20::a', 53, 2], ['fd20::a', 9153, 1],
    ]);
    expect(t.services[0]!.destinations[0]).toMatchObject({ address: '2001:db8:0:f101::2', port: 6443, counters: { activeConn: 5 } });
    expect(t.services.every((s) => s.family === 'inet6')).toBe(true);
  });

  it('11: fwmark services with Local and Route destinations on port 0', () => {
    const t = spec(parseList(fixture('11-Ln-fwmark-local-and-route.txt')));
    expect(t.services.map((s) => [s.kind, s.fwmark, s.scheduler])).toEqual([['fwmark', 3, 'wrr'], ['fwmark', 7, 'wrr']]);
    for (const s of t.services) {
      expect(s.address).toBeUndefined();
      expect(s.destinations.map((d) => [d.address, d.port, d.method])).toEqual([
        ['10.0.88.214', 0, 'local'], ['10.0.88.215', 0, 'dr'],
      ]);
    }
  });

  it('12: negative fwmark (ipvsadm <= 1.31) becomes the unsigned mark; no banner', () => {
    const t = spec(parseList(fixture('12-L-fwmark-negative-bug-tunnel-hostname.txt')));
    expect(t.version).toBeUndefined();
    expect(t.services).toHaveLength(1);
    expect(t.services[0]).toMatchObject({ kind: 'fwmark', fwmark: 2882430849, scheduler: 'wlc' });
    expect(t.services[0]!.destinations[0]).toMatchObject({ address: 'abc.my.host.net.', method: 'tun', weight: 1 });
    expect(t.numeric).toBe(false);
  });

  it('13: FQDNs and a service name for the port', () => {
    const t = spec(parseList(fixture('13-L-nonnumeric-hostnames-route-service-names.txt')));
    expect(t.services[0]).toMatchObject({ address: 'gftp.t2.ucsd.edu', portName: 'gsiftp', scheduler: 'wrr' });
    expect(t.services[0]!.destinations.map((d) => d.counters?.inactConn)).toEqual([1, 1, 2, 2, 2, 2]);
    expect(t.services[0]!.destinations.every((d) => d.method === 'dr' && d.portName === 'gsiftp')).toBe(true);
  });

  it('14: "Can\'t initialize ipvs" is an unavailable error, from every parser', () => {
    const text = fixture('14-error-cant-initialize-ipvs.txt');
    for (const f of [parseList, parseSave, parseTimeout, parseConnections, parseIpvsadmOutput]) {
      expect(() => f(text)).toThrow(IpvsUnavailableError);
    }
    expect(() => parseList(text)).toThrow("Can't initialize ipvs: Protocol not available");
  });
});

describe('list formats not in the public fixtures', () => {
  const banner = 'IP Virtual Server version 1.2.1 (size=4096)\n';
  it('--thresholds: thresholds and counters, no method or weight', () => {
    // The layout ipvsadm 1.31 really prints (test/fixtures/captured/Ln-thresholds.txt): column names on the Prot line.
    const l = parseList(`${banner}Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  10.0.0.1:80 wlc
  -> 10.0.1.11:8080               100        10         3          4         
  -> 10.0.1.12:8080               0          0          0          0         
`);
    expect(l.format).toBe('thresholds');
    if (l.format !== 'thresholds') return;
    expect(l.services[0]!.destinations[0]).toEqual({
      address: '10.0.1.11', port: 8080, upperThreshold: 100, lowerThreshold: 10, counters: { activeConn: 3, inactConn: 4 },
    });
    expect(l.services[0]!.destinations[1]!.upperThreshold).toBeUndefined();
    expect(() => parseTable(`${banner}Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Uthreshold Lthreshold ActiveConn InActConn\n`)).toThrow(/lacks/);
    expect(parseList(`${banner}Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\n`).format).toBe('persistent-conn');
  });

  it('--persistent-conn and --tun-info', () => {
    const p = parseList(`Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Weight    PersistConn ActiveConn InActConn
UDP  10.0.0.1:53 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0 pe sip ops
  -> 10.0.1.11:53                 2         7           0          5
`);
    expect(p.format).toBe('persistent-conn');
    if (p.format !== 'persistent-conn') return;
    expect(p.services[0]).toMatchObject({
      kind: 'udp', scheduler: 'sh', schedFlags: ['sh-fallback', 'sh-port'], ops: true, pe: 'sip',
      persistence: { timeout: 300, netmask: '255.255.255.0' },
    });
    expect(p.services[0]!.destinations[0]).toEqual({ address: '10.0.1.11', port: 53, weight: 2, counters: { persistConn: 7, activeConn: 0, inactConn: 5 } });

    const t = spec(parseList(`Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
FWM  10 IPv6 mh (mh-port)
  -> [2001:db8::5]:0              Tunnel  gue:6080:-c   1      0          0
  -> [2001:db8::6]:0              Tunnel  gre:+c        1      0          0
  -> [2001:db8::7]:0              Tunnel  ipip          3      1          0
  -> 192.0.2.8:0                  Route   n/a           1      0          0
`));
    expect(t.services[0]).toMatchObject({ kind: 'fwmark', family: 'inet6', fwmark: 10, scheduler: 'mh', schedFlags: ['mh-port'] });
    expect(t.services[0]!.destinations.map((d) => [d.tunType, d.tunPort, d.tunCsum, d.weight])).toEqual([
      ['gue', 6080, 'nocsum', 1], ['gre', undefined, 'csum', 1], ['ipip', undefined, undefined, 3], [undefined, undefined, undefined, 1],
    ]);
  });

  it('empty tables, SCTP, IPv6 persistence prefix', () => {
    expect(spec(parseList(`${banner}Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n`)).services).toEqual([]);
    expect(parseSave('').services).toEqual([]);
    const t = spec(parseList('SCTP 1.2.3.4:80 rr\nTCP  [2001:db8::1]:443 wlc persistent 360 mask 64\n'));
    expect(t.services.map((s) => [s.kind, s.persistence?.netmask])).toEqual([['sctp', undefined], ['tcp', '64']]);
  });

  it('errors name the line number and show the line', () => {
    const bad = `${banner}Prot LocalAddress:Port Scheduler Flags\nTCP  10.0.0.1:80 rr\n  -> 10.0.1.1:80 Bogus 1 0 0\n`;
    expect(() => parseList(bad)).toThrow(IpvsParseError);
    expect(() => parseList(bad)).toThrow(/^line 4: unknown forwarding method Bogus\n {2}-> 10\.0\.1\.1:80 Bogus 1 0 0$/);
    expect(() => parseList('  -> 10.0.1.1:80 Route 1 0 0\n')).toThrow(/line 1: destination line before any service/);
    expect(() => parseList('TCP  10.0.0.1:80 rr persistent\n')).toThrow(/line 1: expected a persistence timeout/);
    expect(() => parseList('TCP  10.0.0.1:80 rr weird\n')).toThrow(/unexpected weird/);
    expect(() => parseSave('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.2:80 -r 10.0.1.1:80 -g -w 1\n')).toThrow(/line 2: destination for TCP 10\.0\.0\.2:80, which is not added above/);
  });
});

describe('parseSave', () => {
  it('reads every option ipvsadm -Sn writes, and skips rules-file comments', () => {
    const t = parseSave(`# ipvsadm.rules
-A -t 10.0.0.1:80 -s wrr -p 600 -M 255.255.255.0 --pe sip
-a -t 10.0.0.1:80 -r 10.0.1.11:8080 -m -w 3 -x 100 -y 10
-a -t 10.0.0.1:80 -r 192.0.2.21:80 -g -w 1
-a -t 10.0.0.1:80 -r 198.51.100.7:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum
-A -u [2001:DB8::1]:53 -s sh -o -b sh-fallback,sh-port
-A -f 4294967295 -6 -s rr -p
-a -f 4294967295 -6 -r [2001:db8::5]:0 -g -w 0
-A -f -1412536447 -s wlc
ipvsadm -A --sctp-service 10.0.0.9:9 -s rr
`);
    expect(t.numeric).toBe(true);
    expect(t.services).toHaveLength(5);
    const [web, dns, fw6, fwneg, sctp] = t.services;
    expect(web).toMatchObject({ scheduler: 'wrr', persistence: { timeout: 600, netmask: '255.255.255.0' }, pe: 'sip' });
    expect(web!.destinations.map((d) => [d.method, d.weight, d.upperThreshold, d.lowerThreshold])).toEqual([
      ['nat', 3, 100, 10], ['dr', 1, undefined, undefined], ['tun', 1, undefined, undefined],
    ]);
    expect(web!.destinations[2]).toMatchObject({ tunType: 'gue', tunPort: 6080, tunCsum: 'remcsum' });
    expect(dns).toMatchObject({ kind: 'udp', family: 'inet6', address: '2001:DB8::1', ops: true, schedFlags: ['sh-fallback', 'sh-port'] });
    expect(fw6).toMatchObject({ kind: 'fwmark', family: 'inet6', fwmark: 4294967295, persistence: { timeout: 360 } });
    expect(fw6!.destinations[0]).toMatchObject({ address: '2001:db8::5', port: 0, weight: 0 });
    expect(fwneg!.fwmark).toBe(2882430849);
    expect(sctp).toMatchObject({ kind: 'sctp', port: 9 });
  });

  it('reads the dash-less ` pe sip` / ` ops` that ipvsadm 1.26 saved', () => {
    const [vs] = parseSave('-A -u 10.0.0.1:5060 -s rr -p 60 pe sip ops\n').services;
    expect(vs).toMatchObject({ pe: 'sip', ops: true, persistence: { timeout: 60 } });
    // Option order in a hand-written rules file does not matter.
    expect(parseSave('-A -t 10.0.0.1:80 -M 255.255.0.0 -p 600 -s rr\n').services[0]!.persistence).toEqual({ timeout: 600, netmask: '255.255.0.0' });
  });
});

describe('small formats and auto-detection', () => {
  it('--timeout and --daemon', () => {
    expect(parseTimeout('Timeout (tcp tcpfin udp): 900 120 300\n')).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
    expect(() => parseTimeout('nonsense\n')).toThrow(/line 1/);
    expect(parseDaemon('master sync daemon (mcast=eth1, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n')).toEqual([
      { state: 'master', mcastInterface: 'eth1', syncid: 5, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
    ]);
    expect(parseDaemon('')).toEqual([]);
  });

  it('parseIpvsadmOutput tells every fixture format apart', () => {
    const formats = readdirSync(DIR)
      .filter((f) => /^\d\d-/.test(f) && !f.startsWith('14'))
      .map((f) => parseIpvsadmOutput(fixture(f)).format);
    expect(formats).toEqual(['list', 'stats', 'connections', 'save', 'stats', 'list', 'stats', 'rate', 'list', 'list', 'list', 'list', 'list']);
    expect(parseIpvsadmOutput('Timeout (tcp tcpfin udp): 1 2 3\n')).toEqual({ format: 'timeout', timeouts: { tcp: 1, tcpfin: 2, udp: 3 } });
    // JSON-able: a round trip through JSON changes nothing.
    const out = parseIpvsadmOutput(fixture('09-ln-mixed-ipv4-ipv6-udp-persistent-signed-sort.txt'));
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });
});
