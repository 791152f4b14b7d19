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
export function destDiffs(want: Destination, got: Destination): FieldDiff[] {
  const out: FieldDiff[] = [];
  const add = (field: string, w: unknown, g: unknown) => {
    if (show(w) !== show(g)) out.push({ field, want: show(w), got: show(g) });
  };
  if (got.method !== 'local') add('method', want.method, got.method);
  add('weight', want.weight, got.weight);
  add('upper threshold', want.upperThreshold, got.upperThreshold);
  add('lower threshold', want.lowerThreshold, got.lowerThreshold);
  if (got.method !== 'local') {
    add('tunnel type', want.tunType, got.tunType);
    add('tunnel port', want.tunPort, got.tunPort);
    add('tunnel checksum', want.tunCsum, got.tunCsum);
  }
  return out;
}
