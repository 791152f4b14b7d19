/**
 * How fast a big director table is read and planned: a generated `ipvsadm -Ln` of 1000 services x 99
 * destinations (100,000 destination lines, the "well under a second" target), parsed by parseList and
 * by a naive regex-per-line baseline, then planned with planIpvs (converged, and with 10% of the weights
 * changed). Also -Sn parsing and restore-line serialising. Median of ROUNDS runs; heap via
 * process.memoryUsage (run with --expose-gc for steadier numbers). Imports the built code in dist/.
 */
import { performance } from 'node:perf_hooks';
import { parseList, parseLive, parseSave, planIpvs, tableText, toRestoreLines } from '../dist/lvs/ipvs/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SERVICES = 1000;
const DESTS = 99;

const pad = (s, n) => s + ' '.repeat(Math.max(0, n - s.length));
const METHODS = ['Masq', 'Route', 'Tunnel'];
const FLAGS = { Masq: '-m', Route: '-g', Tunnel: '-i' };

/** The exact printf layout of ipvsadm 1.31 `-Ln` (lvs-reference §2.2), every 10th service IPv6. */
export function generate(services = SERVICES, dests = DESTS) {
  const list = ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];
  const tunInfo = [list[0], list[1], '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn'];
  const thresholds = [list[0], 'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ', '  -> RemoteAddress:Port'];
  const save = [];
  for (let s = 0; s < services; s++) {
    const v6 = s % 10 === 9;
    const vip = v6 ? `[2001:db8:${s.toString(16)}::1]:443` : `10.${(s >> 8) & 255}.${s & 255}.1:80`;
    const persistent = s % 4 === 0 ? ' persistent 600' : '';
    list.push(`${pad('TCP', 4)} ${vip} wlc${persistent}`);
    thresholds.push(`${pad('TCP', 4)} ${vip} wlc${persistent}`);
    tunInfo.push(`${pad('TCP', 4)} ${vip} wlc${persistent}`);
    save.push(`-A -t ${vip} -s wlc${persistent ? ' -p 600' : ''}`);
    for (let d = 0; d < dests; d++) {
      const method = METHODS[d % 3];
      const port = v6 ? 443 : method === 'Masq' ? 8080 : 80;
      const rip = v6 ? `[2001:db8:ff:${d.toString(16)}::${(s + 1).toString(16)}]:${port}` : `192.168.${d}.${(s % 250) + 1}:${port}`;
      list.push(`  -> ${pad(rip, 28)} ${pad(method, 7)} ${pad(String((d % 5) + 1), 6)} ${pad(String(d % 7), 10)} ${pad(String(d % 11), 10)}`);
      tunInfo.push(`  -> ${pad(rip, 28)} ${pad(method, 7)} ${pad(method === 'Tunnel' ? 'ipip' : 'n/a', 13)} ${pad(String((d % 5) + 1), 6)} ${pad(String(d % 7), 10)} ${pad(String(d % 11), 10)}`);
      thresholds.push(`  -> ${pad(rip, 28)} ${pad(String(d % 13 === 0 ? 100 : 0), 10)} ${pad('0', 10)} ${pad(String(d % 7), 10)} ${pad(String(d % 11), 10)}`);
      save.push(`-a -t ${vip} -r ${rip} ${FLAGS[method]} -w ${(d % 5) + 1}${d % 13 === 0 ? ' -x 100' : ''}`);
    }
  }
  return { list: list.join('\n') + '\n', save: save.join('\n') + '\n', thresholds: thresholds.join('\n') + '\n', tunInfo: tunInfo.join('\n') + '\n' };
}

/** The §2.6 recipe done the obvious way: one regex per line type, no format detection, no validation. */
export function naiveParse(text) {
  const services = [];
  let cur;
  const svc = /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)(.*)$/;
  const dest = /^\s+->\s+(\S+)\s+(Masq|Route|Tunnel|Local)\s+(-?\d+)\s+(\d+)\s+(\d+)\s*$/;
  const addr = /^\[(.+)\]:(\d+)$|^([^:]+):(\d+)$/;
  for (const line of text.split('\n')) {
    let m;
    if ((m = dest.exec(line))) {
      const a = addr.exec(m[1]);
      cur.destinations.push({ address: a[1] ?? a[3], port: Number(a[2] ?? a[4]), method: m[2], weight: Number(m[3]), activeConn: Number(m[4]), inactConn: Number(m[5]) });
    } else if ((m = svc.exec(line))) {
      const a = addr.exec(m[2]);
      cur = { kind: m[1], address: a[1] ?? a[3], port: Number(a[2] ?? a[4]), scheduler: m[3], rest: m[4].trim(), destinations: [] };
      services.push(cur);
    }
  }
  return services;
}

function measure(fn) {
  const times = [];
  let result;
  for (let i = 0; i < ROUNDS; i++) {
    globalThis.gc?.();
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], result };
}

/** Heap kept alive by one result (after GC), in MB. */
function retainedMb(fn) {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const keep = fn();
  globalThis.gc?.();
  const after = process.memoryUsage().heapUsed;
  if (!keep) throw new Error('unreachable');
  return (after - before) / 1e6;
}

export async function run() {
  const { list, save, thresholds, tunInfo } = generate();
  // What the module's read probe prints: four captured ipvsadm outputs, every line prefixed with `|`.
  const cap = (key, text) => `@${key} 0\n${text.replace(/\n$/, '').replace(/^/gm, '|')}\n`;
  const timeout = cap('timeout', 'Timeout (tcp tcpfin udp): 900 120 300\n');
  const probe = cap('save', save) + cap('thresholds', thresholds) + cap('list', list) + timeout;
  const probe131 = cap('tuninfo', tunInfo) + cap('thresholds', thresholds) + timeout;
  const lines = list.split('\n').length - 1;
  const rows = [];
  const row = (name, m, extra = '') => rows.push(`${pad(name, 44)} median ${m.median.toFixed(1).padStart(7)} ms  (min ${m.min.toFixed(1)}, max ${m.max.toFixed(1)})${extra}`);

  const parsed = measure(() => parseList(list));
  const naive = measure(() => naiveParse(list));
  const table = parsed.result;
  if (table.services.length !== SERVICES || table.services.reduce((n, s) => n + s.destinations.length, 0) !== SERVICES * DESTS) {
    throw new Error('parseList read the wrong number of entries');
  }
  if (naive.result.length !== SERVICES) throw new Error('naive parser read the wrong number of services');
  const saved = measure(() => parseSave(save));
  const read = measure(() => parseLive(probe));
  if (!read.result.available || read.result.table.services.length !== SERVICES) throw new Error('parseLive failed');
  const read131 = measure(() => parseLive(probe131));
  if (!read131.result.available || read131.result.table.services.length !== SERVICES) throw new Error('parseLive (1.31) failed');
  if (planIpvs(read.result.table, read131.result.table, { drain: true, drainTimeoutSec: 30 }).now.length) throw new Error('the two read paths disagree');

  const desired = { services: table.services.map((s) => ({ ...s, destinations: s.destinations.map(({ counters, ...d }) => d) })) };
  const changed = {
    services: desired.services.map((s, i) => (i % 10 === 0 ? { ...s, destinations: s.destinations.map((d) => ({ ...d, weight: d.weight + 1 })) } : s)),
  };
  const opts = { drain: true, drainTimeoutSec: 30 };
  const noop = measure(() => planIpvs(desired, table, opts));
  if (noop.result.now.length !== 0) throw new Error('converged table planned changes');
  const diff = measure(() => planIpvs(changed, table, opts));
  const restore = measure(() => toRestoreLines(diff.result.now).join('\n'));
  const full = measure(() => tableText(desired));

  console.log(`ipvsadm -Ln table: ${SERVICES} services x ${DESTS} destinations = ${lines} lines, ${(list.length / 1e6).toFixed(1)} MB; ${ROUNDS} rounds, node ${process.version}${globalThis.gc ? ', --expose-gc' : ''}`);
  row('parseList (-Ln)', parsed, `  heap kept ${retainedMb(() => parseList(list)).toFixed(0)} MB`);
  row('naive regex-per-line baseline', naive, `  heap kept ${retainedMb(() => naiveParse(list)).toFixed(0)} MB`);
  row('parseSave (-Sn, same table)', saved);
  row(`module read, ipvsadm 1.31 (--tun-info, ${(probe131.length / 1e6).toFixed(0)} MB)`, read131);
  row(`module read, older ipvsadm (-Sn + -Ln, ${(probe.length / 1e6).toFixed(0)} MB)`, read);
  row('planIpvs converged (plans nothing)', noop);
  row(`planIpvs 10% of services reweighted (${diff.result.now.length} ops)`, diff);
  row('restore lines for that diff', restore);
  row('tableText of the whole table (--diff text)', full);
  console.log(`parse + plan (converged), median: ${(parsed.median + noop.median).toFixed(1)} ms; peak rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
  for (const r of rows) console.log(r);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
