import { normalizeAddress } from './keys.js';
import { normalizeNetmask } from './parse-common.js';
import type { Destination, VirtualService } from './types.js';

/**
 * What "the same" means for IPVS entries, shared by the planner and verify: fields the kernel fills in or
 * rewrites are brought to one form first, so a converged table compares equal.
 */

/** Desired or live service in the normal form: counters dropped, defaults made implicit. */
export function normalizeService(vs: VirtualService): VirtualService {
  const out: VirtualService = {
    kind: vs.kind,
    family: vs.family,
    scheduler: vs.scheduler,
    schedFlags: [...new Set(vs.schedFlags)].sort(),
    ops: vs.ops,
    destinations: vs.destinations.map((d) => normalizeDest(vs, d)),
  };
  if (vs.kind === 'fwmark') out.fwmark = vs.fwmark ?? 0;
  else {
    out.address = normalizeAddress(vs.address ?? '');
    out.port = vs.port ?? 0;
    if (vs.portName) out.portName = vs.portName;
  }
  if (vs.persistence) {
    const mask = normalizeNetmask(vs.persistence.netmask);
    out.persistence = { timeout: vs.persistence.timeout, ...(mask ? { netmask: mask } : {}) };
    // ipvsadm only shows (and only keeps meaningful) a persistence engine on persistent services.
    if (vs.pe) out.pe = vs.pe;
  }
  return out;
}

export function normalizeDest(vs: Pick<VirtualService, 'kind' | 'port'>, d: Destination): Destination {
  const out: Destination = { address: normalizeAddress(d.address), port: d.port, method: d.method, weight: d.weight };
  // ipvsadm silently sets DR and TUN destinations of address services to the service port.
  if (vs.kind !== 'fwmark' && (d.method === 'dr' || d.method === 'tun')) out.port = vs.port ?? d.port;
  if (d.portName) out.portName = d.portName;
  if (d.upperThreshold) out.upperThreshold = d.upperThreshold;
  if (d.lowerThreshold) out.lowerThreshold = d.lowerThreshold;
  if (d.method === 'tun') {
    out.tunType = d.tunType ?? 'ipip';
    if (out.tunType === 'gue' && d.tunPort !== undefined) out.tunPort = d.tunPort;
    if (out.tunType !== 'ipip' && d.tunCsum) out.tunCsum = d.tunCsum;
  }
  if (d.counters) out.counters = d.counters;
  return out;
}

export interface FieldDiff {
  field: string;
  want: string;
  got: string;
}

const show = (v: unknown): string => (v === undefined || v === '' ? 'none' : Array.isArray(v) ? v.join(',') || 'none' : String(v));

/** Differences between two normalised services' own settings (not their destinations). */
export function serviceDiffs(want: VirtualService, got: VirtualService): FieldDiff[] {
  const out: FieldDiff[] = [];
  const add = (field: string, w: unknown, g: unknown) => {
    if (show(w) !== show(g)) out.push({ field, want: show(w), got: show(g) });
  };
  add('scheduler', want.scheduler, got.scheduler);
  add('scheduler flags', want.schedFlags, got.schedFlags);
  add('persistence timeout', want.persistence?.timeout, got.persistence?.timeout);
  add('persistence netmask', want.persistence?.netmask, got.persistence?.netmask);
  add('persistence engine', want.pe, got.pe);
  add('one-packet scheduling', want.ops ? 'on' : 'off', got.ops ? 'on' : 'off');
  return out;
}

/**
 * Differences between two normalised destinations. A live `local` method matches any wanted method: the kernel
 * marks destinations that are addresses of the director itself, and no ipvsadm option can change that.
 */
export function destDiffs(want: Destination, got: Destination, unknown: ReadonlyArray<'thresholds' | 'tunnel'> = []): FieldDiff[] {
  const out: FieldDiff[] = [];
  const add = (field: string, w: unknown, g: unknown) => {
    if (show(w) !== show(g)) out.push({ field, want: show(w), got: show(g) });
  };
  if (got.method !== 'local') add('method', want.method, got.method);
  add('weight', want.weight, got.weight);
  if (!unknown.includes('thresholds')) {
    add('upper threshold', want.upperThreshold, got.upperThreshold);
    add('lower threshold', want.lowerThreshold, got.lowerThreshold);
  }
  if (got.method !== 'local' && !unknown.includes('tunnel')) {
    add('tunnel type', want.tunType, got.tunType);
    add('tunnel port', want.tunPort, got.tunPort);
    add('tunnel checksum', want.tunCsum, got.tunCsum);
  }
  return out;
}

/*
 * Allocation-free equality on un-normalised entries, for the planner's hot loop (100,000 destinations).
 * Same meaning as an empty serviceDiffs/destDiffs on the normalised forms.
 */

/** The port IPVS really uses for `d`: DR and TUN destinations of address services take the service port. */
export function effectivePort(vs: Pick<VirtualService, 'kind' | 'port'>, d: Pick<Destination, 'method' | 'port'>): number {
  return vs.kind !== 'fwmark' && (d.method === 'dr' || d.method === 'tun') ? (vs.port ?? d.port) : d.port;
}

const flagsKey = (f: string[]): string => (f.length === 0 ? '' : [...new Set(f)].sort().join(','));

export function sameServiceSettings(w: VirtualService, g: VirtualService): boolean {
  const wp = w.persistence;
  const gp = g.persistence;
  return (
    w.scheduler === g.scheduler &&
    w.ops === g.ops &&
    flagsKey(w.schedFlags) === flagsKey(g.schedFlags) &&
    wp?.timeout === gp?.timeout &&
    normalizeNetmask(wp?.netmask) === normalizeNetmask(gp?.netmask) &&
    (wp ? w.pe : undefined) === (gp ? g.pe : undefined)
  );
}

export function sameDest(w: Destination, g: Destination): boolean {
  if (w.weight !== g.weight) return false;
  if ((w.upperThreshold || 0) !== (g.upperThreshold || 0)) return false;
  if ((w.lowerThreshold || 0) !== (g.lowerThreshold || 0)) return false;
  if (g.method === 'local') return true;
  if (w.method !== g.method) return false;
  if (w.method !== 'tun') return true;
  const wt = w.tunType ?? 'ipip';
  if (wt !== (g.tunType ?? 'ipip')) return false;
  if (wt === 'gue' && w.tunPort !== g.tunPort) return false;
  return wt === 'ipip' || w.tunCsum === g.tunCsum;
}
