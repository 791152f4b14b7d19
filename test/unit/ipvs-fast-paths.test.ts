import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectivePort, normalizeDest, normalizeService, sameDest, sameServiceSettings } from '../../src/lvs/ipvs/compare.js';
import { describeService, destKey, formatAddrPort, normalizeAddress, serviceKey } from '../../src/lvs/ipvs/keys.js';
import { IpvsParseError, type ServiceHead } from '../../src/lvs/ipvs/parse-common.js';
import { parseListWith } from '../../src/lvs/ipvs/parse-list.js';
import { parseSave, parseSaveWith } from '../../src/lvs/ipvs/parse-save.js';
import { destSlot, ipv4Number, planIpvs, type DrainTarget, type IpvsPlan, type PlanIpvsOptions } from '../../src/lvs/ipvs/plan.js';
import { restoreLine, tableText, toRestoreLines, type IpvsOp } from '../../src/lvs/ipvs/serialize.js';
import type { Destination, IpvsTable, IpvsTimeouts, VirtualService } from '../../src/lvs/ipvs/types.js';

/*
 * The big-director fast paths (parse-list's fastDest, parse-save's fastAddDest, the planner's destSlot keys)
 * against the careful code they stand in for: over every fixture, generated tables and randomly damaged
 * copies of them, both must give the same result (same fields, same order, -0 included) or the same error.
 */

/** A small seeded PRNG (mulberry32): the cases are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = { ok: true; json: string; value: unknown } | { ok: false; json: string };

/** JSON keeps field order; -0, undefined fields and non-finite numbers are spelled out so they count too. */
const exact = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (Object.is(x, -0) ? '<-0>' : x === undefined ? '<undefined>' : typeof x === 'number' && !Number.isFinite(x) ? `<${x}>` : x));

function outcome(f: () => unknown): Outcome {
  try {
    const value = f();
    return { ok: true, json: exact(value), value };
  } catch (e) {
    const err = e as Error;
    return { ok: false, json: exact({ type: err.name, message: err.message, ...(e instanceof IpvsParseError ? { lineNo: e.lineNo } : {}) }) };
  }
}

/** One string comparison per case; expect() (and its message) only when they differ. */
function sameOutcome(a: Outcome, b: Outcome, what: string): void {
  if (a.json !== b.json) expect(a.json, what).toBe(b.json);
}

const listBoth = (text: string, what: string) => sameOutcome(outcome(() => parseListWith(text, true)), outcome(() => parseListWith(text, false)), what);
const saveBoth = (text: string, what: string) => sameOutcome(outcome(() => parseSaveWith(text, true)), outcome(() => parseSaveWith(text, false)), what);

function fixtureTexts(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const dir of ['test/fixtures/ipvsadm-public', 'test/fixtures/captured', 'test/fixtures/ipvs-lab', 'test/fixtures/verify']) {
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.txt')) continue;
      const text = readFileSync(join(dir, f), 'utf8');
      out.push([`${dir}/${f}`, text]);
      // The public fixtures carry a metadata header before the first blank line.
      if (dir.endsWith('public')) out.push([`${dir}/${f} (body)`, text.slice(text.indexOf('\n\n') + 2)]);
    }
  }
  return out;
}

const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));
const METHODS = ['Masq', 'Route', 'Tunnel', 'Local'];

/** The ipvsadm 1.31 layouts (the bench's generator, smaller, with more variety). */
function generate(services: number, dests: number, seed: number) {
  const r = rng(seed);
  const banner = 'IP Virtual Server version 1.2.1 (size=4096)';
  const list = [banner, 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];
  const tun = [banner, 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn'];
  const thr = [banner, 'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ', '  -> RemoteAddress:Port'];
  const pc = [banner, 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Weight    PersistConn ActiveConn InActConn'];
  const save: string[] = [];
  for (let s = 0; s < services; s++) {
    const v6 = s % 3 === 2;
    const fw = s % 7 === 6;
    const vip = v6 ? `[2001:db8:${s.toString(16)}::1]:443` : `10.0.${s & 255}.1:80`;
    const svc = fw ? `FWM  ${s + 1}${v6 ? ' IPv6' : ''} rr` : `${pad(s % 5 === 4 ? 'UDP' : 'TCP', 4)} ${vip} wlc${s % 4 === 0 ? ' persistent 600' : ''}`;
    for (const t of [list, tun, thr, pc]) t.push(svc);
    const sel = fw ? `-f ${s + 1}${v6 ? ' -6' : ''}` : `${s % 5 === 4 ? '-u' : '-t'} ${vip}`;
    save.push(`-A ${sel} -s wlc${s % 4 === 0 ? ' -p 600' : ''}`);
    for (let d = 0; d < dests; d++) {
      const method = METHODS[Math.floor(r() * 4)]!;
      const port = fw && method !== 'Masq' ? 0 : Math.floor(r() * 65536);
      const rip = v6 || (fw && r() < 0.3) ? `[2001:db8:ff:${d.toString(16)}::${(s + 1).toString(16)}]:${port}` : `192.168.${d}.${(s % 250) + 1}:${port}`;
      const w = String(Math.floor(r() * 3) === 0 ? Math.floor(r() * 65536) : d % 5);
      const big = () => String(r() < 0.1 ? Math.floor(r() * 1e12) : Math.floor(r() * 20));
      const tinfo = method === 'Tunnel' ? ['ipip', 'gue:6080:-c', 'gre:+c', 'ipip'][d % 4]! : 'n/a';
      list.push(`  -> ${pad(rip, 28)} ${pad(method, 7)} ${pad(w, 6)} ${pad(big(), 10)} ${pad(big(), 10)}`);
      tun.push(`  -> ${pad(rip, 28)} ${pad(method, 7)} ${pad(tinfo, 13)} ${pad(w, 6)} ${pad(big(), 10)} ${pad(big(), 10)}`);
      thr.push(`  -> ${pad(rip, 28)} ${pad(big(), 10)} ${pad(big(), 10)} ${pad(big(), 10)} ${pad(big(), 10)}`);
      pc.push(`  -> ${pad(rip, 28)} ${pad(w, 9)} ${pad(big(), 11)} ${pad(big(), 10)} ${pad(big(), 10)}`);
      const flag = { Masq: '-m', Route: '-g', Tunnel: '-i', Local: '-g' }[method];
      save.push(`-a ${sel} -r ${rip} ${flag} -w ${w}${d % 13 === 0 ? ' -x 100' : ''}${d % 17 === 0 ? ' -y 5' : ''}`);
    }
  }
  const j = (a: string[]) => a.join('\n') + '\n';
  return { list: j(list), tun: j(tun), thr: j(thr), pc: j(pc), save: j(save) };
}

/** Characters that matter to the readers: blanks, digits, address punctuation, signs, letters. */
const ALPHABET = ' \t\r0123456789:.[]-+>/%abcfxAFLMRT\u00a0\u000b';

/** One random edit of one line: a character inserted, deleted or replaced, or a token swapped for a tricky one. */
function damage(text: string, r: () => number): string {
  const lines = text.split('\n');
  const k = Math.floor(r() * lines.length);
  const line = lines[k]!;
  const p = Math.floor(r() * (line.length + 1));
  const ch = ALPHABET[Math.floor(r() * ALPHABET.length)]!;
  const tricky = ['-0', '-1', '0000000000000001', '1234567890123456', '99999999999999999999', '65536', '65535', '08', '', '->', 'n/a', 'ipip:1', 'Local', '[::1]', '1.2.3.4', '1.2.3.4:', ':80', '[fe80::1%eth0]:80', '01.02.03.004:80', '1.2.3:80', '1.2.3.4.5:80', '[1.2.3.4]:80', 'host:http', '-r', '-w', '-x', '-A', '-a', '-t', '-f', '-6', 'ipvsadm', '#'];
  let out: string;
  switch (Math.floor(r() * 4)) {
    case 0:
      out = line.slice(0, p) + ch + line.slice(p);
      break;
    case 1:
      out = line.slice(0, p) + line.slice(p + 1);
      break;
    case 2:
      out = line.slice(0, p) + ch + line.slice(p + 1);
      break;
    default: {
      const toks = line.split(/( +)/);
      const i = Math.floor(r() * toks.length);
      toks[i] = tricky[Math.floor(r() * tricky.length)]!;
      out = toks.join('');
    }
  }
  lines[k] = out;
  return lines.join('\n');
}

describe('parseList: the destination fast path agrees with the careful path', () => {
  it('on every fixture', () => {
    const files = fixtureTexts();
    expect(files.length).toBeGreaterThan(40);
    for (const [name, text] of files) listBoth(text, name);
  });

  it('on generated tables of every spec layout', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const g = generate(12, 15, seed);
      for (const [k, text] of Object.entries(g)) if (k !== 'save') listBoth(text, `${k} seed ${seed}`);
    }
  });

  it('on 6000 randomly damaged tables (same result or same error, line and message)', () => {
    const r = rng(42);
    const g = generate(3, 5, 7);
    const texts = [g.list, g.tun, g.thr, g.pc];
    let errors = 0;
    for (let n = 0; n < 6000; n++) {
      let text = texts[n % 4]!;
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) text = damage(text, r);
      const fast = outcome(() => parseListWith(text, true));
      sameOutcome(fast, outcome(() => parseListWith(text, false)), text);
      if (!fast.ok) errors++;
    }
    // Both kinds of case are exercised.
    expect(errors).toBeGreaterThan(500);
    expect(errors).toBeLessThan(5500);
  });

  it('reads the corner values as the careful path does', () => {
    const head = 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.0.0.1:80 wlc\n';
    for (const dest of ['-> 1.2.3.4:0 Route -0 0 0', '-> 1.2.3.4:65535 Route -1 0 0', '-> 1.2.3.4:65536 Route 1 0 0', '\t->\t1.2.3.4:80\tMasq\t1\t2\t3\r',
      '-> 999.1.1.1:80 Route 1 0 0', '-> [::ffff:1.2.3.4]:80 Route 1 0 0', '-> [fe80::1%eth0]:80 Route 1 0 0', '-> 1.2.3.4:80 Route 1 0 999999999999999', '-> 1.2.3.4:80 Route 1 0 1234567890123456',
      '-> 1.2.3.4:80 Route 1 0', '-> 1.2.3.4:80 Route 1 0 0 0', '->1.2.3.4:80 Route 1 0 0', '-> 1.2.3.4:080 Route 01 00 00']) {
      listBoth(`${head}  ${dest}\n`, dest);
    }
    const w = parseListWith(`${head}  -> 1.2.3.4:0 Route -0 0 0\n`, true);
    expect(Object.is((w.services[0]!.destinations[0] as Destination).weight, -0)).toBe(true);
  });
});

describe('parseSave: the destination fast path agrees with the careful path', () => {
  it('on every fixture and generated table', () => {
    for (const [name, text] of fixtureTexts()) saveBoth(text, name);
    for (let seed = 1; seed <= 5; seed++) saveBoth(generate(12, 15, seed).save, `seed ${seed}`);
  });

  it('on 6000 randomly damaged tables', () => {
    const r = rng(7);
    const base = generate(3, 5, 3).save;
    let errors = 0;
    for (let n = 0; n < 6000; n++) {
      let text = base;
      const edits = 1 + Math.floor(r() * 3);
      for (let e = 0; e < edits; e++) text = damage(text, r);
      const fast = outcome(() => parseSaveWith(text, true));
      sameOutcome(fast, outcome(() => parseSaveWith(text, false)), text);
      if (!fast.ok) errors++;
    }
    expect(errors).toBeGreaterThan(500);
    expect(errors).toBeLessThan(5500);
  });
});

/* ---- the planner as it was before destSlot (string keys, a seen set), kept as the reference ---- */

function referencePlan(desired: IpvsTable, current: IpvsTable, opts: PlanIpvsOptions): IpvsPlan {
  const want = new Map<string, VirtualService>();
  for (const s of desired.services) {
    const key = serviceKey(s);
    if (want.has(key)) throw new Error(`${describeService(s)} is declared twice`);
    want.set(key, s);
  }
  const have = new Map(current.services.map((s) => [serviceKey(s), s]));
  const owned = opts.only ? new Set(opts.only) : undefined;
  const deletes: IpvsOp[] = [];
  const edits: IpvsOp[] = [];
  const adds: IpvsOp[] = [];
  const quiesce: IpvsOp[] = [];
  const drain: DrainTarget[] = [];
  const afterDrain: IpvsOp[] = [];
  const removeDest = (vs: VirtualService, raw: Destination, thenDeleteService: boolean): boolean => {
    const d = normalizeDest(vs, raw);
    const conns = (d.counters?.activeConn ?? 0) + (d.counters?.inactConn ?? 0);
    const waits = opts.drain && vs.kind !== 'udp' && !vs.ops && (conns > 0 || d.weight > 0 || !d.counters);
    if (!waits) {
      if (!thenDeleteService) deletes.push({ op: 'delete-dest', service: head(vs), dest: d });
      return false;
    }
    if (d.weight !== 0) quiesce.push({ op: 'edit-dest', service: head(vs), dest: { ...d, weight: 0 } });
    drain.push({ service: head(vs), dest: { address: d.address, port: d.port } });
    if (!thenDeleteService) afterDrain.push({ op: 'delete-dest', service: head(vs), dest: d });
    return true;
  };
  for (const [key, cur] of have) {
    if (want.has(key) || (owned && !owned.has(key))) continue;
    let drained = false;
    for (const d of cur.destinations) drained = removeDest(cur, d, true) || drained;
    (drained ? afterDrain : deletes).push({ op: 'delete-service', service: head(cur) });
  }
  for (const [key, raw] of want) {
    const cur = have.get(key);
    if (!cur) {
      const vs = normalizeService(raw);
      adds.push({ op: 'add-service', service: vs });
      const keys = new Set<string>();
      for (const d of vs.destinations) {
        const k = destIdentity(vs, d);
        if (keys.has(k)) throw new Error(`${describeService(vs)}: real server ${k} is declared twice`);
        keys.add(k);
        adds.push({ op: 'add-dest', service: head(vs), dest: d });
      }
      continue;
    }
    if (!sameServiceSettings(raw, cur)) edits.push({ op: 'edit-service', service: normalizeService(raw) });
    const curDests = new Map(cur.destinations.map((d) => [destIdentity(cur, d), d]));
    const seen = new Set<string>();
    for (const d of raw.destinations) {
      const k = destIdentity(raw, d);
      if (seen.has(k)) throw new Error(`${describeService(raw)}: real server ${k} is declared twice`);
      seen.add(k);
      const c = curDests.get(k);
      if (!c) adds.push({ op: 'add-dest', service: head(raw), dest: normalizeDest(raw, d) });
      else if (!sameDest(d, c)) edits.push({ op: 'edit-dest', service: head(raw), dest: normalizeDest(raw, d) });
    }
    for (const [k, c] of curDests) if (!seen.has(k)) removeDest(cur, c, false);
  }
  const plan: IpvsPlan = { now: [...deletes, ...edits, ...adds, ...quiesce], drain, drainTimeoutSec: opts.drainTimeoutSec, afterDrain };
  const timeouts = timeoutChange(desired.timeouts, current.timeouts);
  if (timeouts) plan.timeouts = timeouts;
  return plan;
}
/** tableText as it was: every line through restoreLine (its selector built and checked each time). */
function referenceTableText(table: IpvsTable): string {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const lines: string[] = [];
  for (const { vs } of table.services.map((vs) => ({ key: serviceKey(vs), vs })).sort((a, b) => cmp(a.key, b.key))) {
    lines.push(restoreLine({ op: 'add-service', service: vs }));
    for (const { d } of vs.destinations.map((d) => ({ key: destKey(d), d })).sort((a, b) => cmp(a.key, b.key))) {
      lines.push(restoreLine({ op: 'add-dest', service: vs, dest: d }));
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
function destIdentity(vs: VirtualService, d: Destination): string {
  return formatAddrPort(normalizeAddress(d.address), d.portName ?? effectivePort(vs, d));
}
function timeoutChange(want: IpvsTimeouts | undefined, got: IpvsTimeouts | undefined): IpvsTimeouts | undefined {
  if (!want) return undefined;
  return (['tcp', 'tcpfin', 'udp'] as const).some((k) => want[k] !== 0 && want[k] !== got?.[k]) ? want : undefined;
}
function head(vs: VirtualService): ServiceHead {
  if (vs.kind === 'fwmark') return { kind: vs.kind, family: vs.family, fwmark: vs.fwmark ?? 0 };
  return { kind: vs.kind, family: vs.family, address: normalizeAddress(vs.address ?? ''), port: vs.port ?? 0 };
}

/** Addresses that spell one destination in several ways, and some that only look alike. */
const ADDRESSES = ['10.0.0.1', '10.0.0.2', '010.0.0.1', '10.0.0.01', '255.255.255.255', '0.0.0.0', '1.2.3', '999.0.0.1', 'host1',
  '2001:db8::1', '2001:DB8:0::1', '2001:db8:0:0:0:0:0:1', '::ffff:10.0.0.1', '::ffff:a00:1', 'fe80::1%eth0', '2001:db8::zz'];
const PORTS: Array<number> = [0, 80, 443, 8080, 65535, 65536, -1, 80.5, Number.NaN];
const PORT_NAMES: Array<string | undefined> = [undefined, undefined, undefined, undefined, 'http', '80', '080', '', '65536'];

function randomTable(r: () => number, base?: IpvsTable): IpvsTable {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const services: VirtualService[] = [];
  const n = base ? base.services.length : 1 + Math.floor(r() * 4);
  for (let s = 0; s < n; s++) {
    const b = base?.services[s];
    if (b && r() < 0.1) continue; // a service dropped
    const vs: VirtualService = b
      ? { ...b, scheduler: r() < 0.1 ? 'rr' : b.scheduler, destinations: [] }
      : r() < 0.2
        ? { kind: 'fwmark', family: 'inet', fwmark: s + 1, scheduler: 'wlc', schedFlags: [], ops: false, destinations: [] }
        : { kind: pick(['tcp', 'udp'] as const), family: 'inet', address: `10.9.9.${s}`, port: pick([80, 443]), scheduler: 'wlc', schedFlags: [], ops: false, destinations: [] };
    const from = b ? b.destinations : [];
    for (const d of from) {
      if (r() < 0.15) continue; // removed
      const copy: Destination = { ...d };
      if (r() < 0.2) copy.weight = pick([0, 1, 2, 5]);
      if (r() < 0.1) copy.method = pick(['nat', 'dr', 'tun'] as const);
      if (r() < 0.1) copy.address = pick(ADDRESSES);
      vs.destinations.push(copy);
    }
    const extra = b ? Math.floor(r() * 3) : 1 + Math.floor(r() * 8);
    for (let i = 0; i < extra; i++) {
      const d: Destination = { address: pick(ADDRESSES), port: pick(PORTS), method: pick(['nat', 'dr', 'tun', 'local'] as const), weight: pick([0, 1, 3]) };
      const name = pick(PORT_NAMES);
      if (name !== undefined) d.portName = name;
      if (r() < 0.5) d.counters = { activeConn: pick([0, 2]), inactConn: pick([0, 1]) };
      vs.destinations.push(d);
    }
    // Shuffle a little: listing order means nothing.
    if (r() < 0.5) vs.destinations.reverse();
    services.push(vs);
  }
  return { services };
}

describe('planIpvs: destSlot keys plan exactly what string keys planned', () => {
  it('ipv4Number reads canonical dotted quads only', () => {
    expect(ipv4Number('10.0.0.1')).toBe(0x0a000001);
    expect(ipv4Number('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(ipv4Number('0.0.0.0')).toBe(0);
    for (const bad of ['010.0.0.1', '10.0.0.01', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4 ', '', '::1']) expect(ipv4Number(bad)).toBe(-1);
  });

  it('same slot exactly when the same identity text', () => {
    const vs: VirtualService = { kind: 'tcp', family: 'inet', address: '10.0.0.9', port: 80, scheduler: 'wlc', schedFlags: [], ops: false, destinations: [] };
    const dests: Destination[] = [];
    for (const address of ADDRESSES) for (const port of PORTS) for (const portName of PORT_NAMES) for (const method of ['nat', 'dr'] as const) {
      dests.push({ address, port, method, weight: 1, ...(portName !== undefined ? { portName } : {}) });
    }
    const bySlot = new Map<unknown, string>();
    const byText = new Map<string, unknown>();
    for (const d of dests) {
      const slot = destSlot(vs, d);
      const text = destIdentity(vs, d);
      if (bySlot.has(slot)) expect(bySlot.get(slot)).toBe(text);
      if (byText.has(text)) expect(byText.get(text)).toBe(slot);
      bySlot.set(slot, text);
      byText.set(text, slot);
    }
  });

  it('on 5000 random desired/current pairs (ops, order, drains and errors)', () => {
    const r = rng(99);
    for (let n = 0; n < 5000; n++) {
      const current = randomTable(r);
      const desired = r() < 0.2 ? current : randomTable(r, current);
      const opts: PlanIpvsOptions = { drain: r() < 0.7, drainTimeoutSec: 30, ...(r() < 0.1 ? { only: [serviceKey(current.services[0]!)] } : {}) };
      const plan = outcome(() => planIpvs(desired, current, opts));
      sameOutcome(plan, outcome(() => referencePlan(desired, current, opts)), `case ${n}`);
      // The serialiser checks a service's selector once for its consecutive ops: same lines, same refusals.
      if (plan.ok) {
        const p = plan.value as IpvsPlan;
        for (const ops of [p.now, p.afterDrain]) sameOutcome(outcome(() => toRestoreLines(ops)), outcome(() => ops.map((op) => restoreLine(op))), `lines ${n}`);
      }
      for (const table of [desired, current]) sameOutcome(outcome(() => tableText(table)), outcome(() => referenceTableText(table)), `text ${n}`);
    }
  });

  it('on a generated big table, converged and reweighted', () => {
    const g = generate(30, 40, 11);
    for (const current of [parseSave(g.save), parseListWith(g.list, true) as IpvsTable]) {
      const desired = { services: current.services.map((s) => ({ ...s, destinations: s.destinations.map(({ counters: _c, ...d }) => d) })) };
      const changed = { services: desired.services.map((s, i) => (i % 3 === 0 ? { ...s, destinations: s.destinations.map((d) => ({ ...d, weight: d.weight + 1 })) } : s)) };
      for (const want of [desired, changed]) {
        const o = { drain: true, drainTimeoutSec: 30 };
        sameOutcome(outcome(() => planIpvs(want, current, o)), outcome(() => referencePlan(want, current, o)), 'big');
      }
    }
  });
});
