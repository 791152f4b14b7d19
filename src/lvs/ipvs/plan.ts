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
