import { normalizeAddress } from '../ipvs/index.js';
import type { ClusterModel, RealServer, VirtualService } from '../model/index.js';
import type { DrainRecord } from './state.js';

/**
 * A drain is an overlay on the model: the same cluster with the drained realservers at weight 0 (quiescent:
 * no new connections, established ones go on). Everything that renders desired state from the model (the IPVS
 * table, keepalived.conf, verify's expectations) then keeps them drained with no code of its own.
 */
export function drainedModel(model: ClusterModel, addresses: Iterable<string>): ClusterModel {
  const set = new Set([...addresses].map(canonical));
  if (!set.size) return model;
  const drainRs = (rs: RealServer): RealServer => (set.has(canonical(rs.address)) ? { ...rs, weight: 0 } : rs);
  return {
    ...model,
    virtual_services: model.virtual_services.map((vs): VirtualService => (vs.realservers.some((r) => set.has(canonical(r.address))) ? { ...vs, realservers: vs.realservers.map(drainRs) } : vs)),
  };
}

const canonical = (a: string): string => {
  try {
    return normalizeAddress(a);
  } catch {
    return a;
  }
};

/** A realserver as the drain commands name it: an inventory host (all its addresses) or one address. */
export interface DrainTarget {
  /** What the operator typed. */
  name: string;
  host?: string;
  addresses: string[];
  /** The model's entries for it, one per virtual service it is in. */
  members: { service: VirtualService; rs: RealServer }[];
}

/**
 * Resolve `drain`/`restore` arguments against the model: an inventory host that is a realserver of some
 * virtual service, or a realserver address the model declares (unmanaged realservers have no host). Every
 * name that is neither is a problem, all reported at once, before any connection.
 */
export function resolveTargets(model: ClusterModel, names: string[]): { targets: DrainTarget[]; problems: string[] } {
  const targets: DrainTarget[] = [];
  const problems: string[] = [];
  const all = model.virtual_services.flatMap((service) => service.realservers.map((rs) => ({ service, rs })));
  for (const name of names) {
    let members = all.filter((m) => m.rs.host === name);
    if (!members.length) {
      const addr = canonical(name);
      members = all.filter((m) => canonical(m.rs.address) === addr);
    }
    if (!members.length) {
      const hosts = [...new Set(all.map((m) => m.rs.host).filter(Boolean))];
      problems.push(`${name}: not a realserver of ${model.file} (realservers: ${hosts.slice(0, 12).join(', ') || 'none'}${hosts.length > 12 ? ', ...' : ''})`);
      continue;
    }
    const host = members.find((m) => m.rs.host)?.rs.host;
    targets.push({ name, ...(host ? { host } : {}), addresses: [...new Set(members.map((m) => canonical(m.rs.address)))], members });
  }
  return { targets, problems };
}

/** Records on a director whose address the model no longer has: kept (still drained), and said. */
export function strayRecords(model: ClusterModel, records: DrainRecord[]): DrainRecord[] {
  const known = new Set(model.virtual_services.flatMap((s) => s.realservers.map((r) => canonical(r.address))));
  return records.filter((r) => !known.has(r.address));
}
