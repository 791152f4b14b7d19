import { effectivePort, normalizeDest, normalizeService, sameDest, sameServiceSettings } from './compare.js';
import { describeService, formatAddrPort, normalizeAddress, serviceKey } from './keys.js';
import type { ServiceHead } from './parse-common.js';
import type { IpvsOp } from './serialize.js';
import type { Destination, IpvsTable, IpvsTimeouts, VirtualService } from './types.js';

export interface PlanIpvsOptions {
  /** Quiesce leaving destinations (weight 0) and wait for their connections before deleting them. */
  drain: boolean;
  drainTimeoutSec: number;
  /**
   * Keys (serviceKey) of the live services we own. Live services outside this set are left alone (keepalived's,
   * another tool's); without it every undeclared service is deleted.
   */
  only?: string[];
}

/** A destination to wait for: drained when ActiveConn + InActConn reach 0, or after the timeout anyway. */
export interface DrainTarget {
  service: ServiceHead;
  dest: Pick<Destination, 'address' | 'port'>;
}

export interface IpvsPlan {
  /** The `ipvsadm -R` batch that runs first: adds, edits, immediate deletes and the weight-0 of drains. */
  now: IpvsOp[];
  /** Destinations to wait for after `now`, in one bounded loop. */
  drain: DrainTarget[];
  drainTimeoutSec: number;
  /** The batch that runs once the drain is over: deletes of drained destinations and of their services. */
  afterDrain: IpvsOp[];
  /** `ipvsadm --set tcp tcpfin udp` when the declared timeouts differ from the live ones. */
  timeouts?: IpvsTimeouts;
}

export function isEmptyPlan(p: IpvsPlan): boolean {
  return !p.now.length && !p.drain.length && !p.afterDrain.length && !p.timeouts;
}

/**
 * The minimal difference from `current` to `desired`, as ordered ipvsadm operations. Pure. Compares as sets
 * keyed by service and destination (listing order means nothing), never flushes, and plans nothing when the
 * tables match. A service whose key changes is a delete plus an add; a destination whose method changes is
 * edited in place with its full spec.
 */
export function planIpvs(desired: IpvsTable, current: IpvsTable, opts: PlanIpvsOptions): IpvsPlan {
  // Compared on the raw entries (allocation-free); only what goes into an op is normalised.
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
    // UDP and one-packet scheduling keep no connection state worth waiting for.
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
      const keys = new Set<DestSlot>();
      const at = head(vs);
      for (const d of vs.destinations) {
        const k = destSlot(vs, d);
        if (keys.has(k)) throw new Error(`${describeService(vs)}: real server ${destIdentity(vs, d)} is declared twice`);
        keys.add(k);
        adds.push({ op: 'add-dest', service: at, dest: d });
      }
      continue;
    }
    if (!sameServiceSettings(raw, cur)) edits.push({ op: 'edit-service', service: normalizeService(raw) });
    // One map per service: the live destinations by slot, each replaced by MATCHED once a wanted one took it
    // (a wanted slot that is MATCHED already is declared twice); what is left unmatched is removed.
    const curDests = new Map<DestSlot, Destination | typeof MATCHED>();
    for (const d of cur.destinations) curDests.set(destSlot(cur, d), d);
    let at: ServiceHead | undefined;
    for (const d of raw.destinations) {
      const k = destSlot(raw, d);
      const c = curDests.get(k);
      if (c === MATCHED) throw new Error(`${describeService(raw)}: real server ${destIdentity(raw, d)} is declared twice`);
      curDests.set(k, MATCHED);
      if (!c) adds.push({ op: 'add-dest', service: (at ??= head(raw)), dest: normalizeDest(raw, d) });
      else if (!sameDest(d, c)) edits.push({ op: 'edit-dest', service: (at ??= head(raw)), dest: normalizeDest(raw, d) });
    }
    for (const c of curDests.values()) if (c !== MATCHED) removeDest(cur, c, false);
  }

  // Deletes first (they may free what an add needs), quiesce last so drains start as late as possible.
  const plan: IpvsPlan = {
    now: [...deletes, ...edits, ...adds, ...quiesce],
    drain,
    drainTimeoutSec: opts.drainTimeoutSec,
    afterDrain,
  };
  const timeouts = timeoutChange(desired.timeouts, current.timeouts);
  if (timeouts) plan.timeouts = timeouts;
  return plan;
}

/** A destination's identity inside its service: normalised address and the port IPVS really uses. */
function destIdentity(vs: VirtualService, d: Destination): string {
  return formatAddrPort(normalizeAddress(d.address), d.portName ?? effectivePort(vs, d));
}

const MATCHED = Symbol('matched');

/**
 * A destination's identity inside its service as a Map key, built without a string where it can be: a
 * canonical dotted quad with a port is the number ip * 65536 + port; anything else (IPv6, a port name, a
 * non-canonical address) is destIdentity's text. Two destinations have the same slot exactly when they have
 * the same destIdentity: the number stands for one text only (canonical octets and port, no leading zeros),
 * and no text key can spell a canonical `a.b.c.d:port`, since those always become numbers.
 */
export type DestSlot = number | string;

export function destSlot(vs: VirtualService, d: Destination): DestSlot {
  const p = d.portName ?? effectivePort(vs, d);
  const port = typeof p === 'number' ? (Number.isInteger(p) && p >= 0 && p <= 65535 ? p : -1) : typeof p === 'string' ? canonicalPort(p) : -1;
  const ip = port < 0 ? -1 : ipv4Number(d.address);
  return ip < 0 ? destIdentity(vs, d) : ip * 65536 + port;
}

/** `a.b.c.d` with each octet 0-255 written without leading zeros, as an unsigned 32-bit number; -1 otherwise. */
export function ipv4Number(a: string): number {
  const n = a.length;
  if (n < 7 || n > 15) return -1;
  let ip = 0;
  let octet = 0;
  let len = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = a.charCodeAt(i);
    if (c === 46) {
      if (len === 0 || ++dots > 3) return -1;
      ip = ip * 256 + octet;
      octet = 0;
      len = 0;
    } else if (c >= 48 && c <= 57) {
      if (len === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++len > 3 || octet > 255) return -1;
    } else return -1;
  }
  return dots === 3 && len > 0 ? ip * 256 + octet : -1;
}

/** A port name that spells a port number the way String(number) would (`80`, not `080`): that number. */
function canonicalPort(s: string): number {
  const n = s.length;
  if (n === 0 || n > 5 || (n > 1 && s.charCodeAt(0) === 48)) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= 65535 ? v : -1;
}

/** 0 in a declared timeout means "leave it", as it does for `ipvsadm --set`. */
function timeoutChange(want: IpvsTimeouts | undefined, got: IpvsTimeouts | undefined): IpvsTimeouts | undefined {
  if (!want) return undefined;
  const differs = (['tcp', 'tcpfin', 'udp'] as const).some((k) => want[k] !== 0 && want[k] !== got?.[k]);
  return differs ? want : undefined;
}

function head(vs: VirtualService): ServiceHead {
  if (vs.kind === 'fwmark') return { kind: vs.kind, family: vs.family, fwmark: vs.fwmark ?? 0 };
  return { kind: vs.kind, family: vs.family, address: normalizeAddress(vs.address ?? ''), port: vs.port ?? 0 };
}
