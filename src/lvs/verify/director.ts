import type { Probe } from '../../types.js';
import { combine, ipvsLiveFact, type LiveIpvs } from '../../facts/index.js';
import { directorView, type ClusterModel } from '../model/index.js';
import { realserverProbe, type Finding, type RealserverExpectation, type RealserverState } from './realserver.js';
import type { DirectorSysctlState } from './director-sysctls.js';

/**
 * A director is more than its IPVS table: the VIP must be on one of its devices or no packet for it arrives,
 * and NAT replies are only routed back with ip_forward=1. A director that rebooted with its table restored but
 * its VIP missing (the lab saw one: its address unit timed out waiting for eth1) answers nothing while its
 * table looks perfect.
 *
 * What is checked where: a static VIP (no keepalived instance carries it) on its own director; a VRRP address
 * across the instance's directors, where exactly one must hold it (none: the VIP is down; two: split brain).
 */

/** Static VIPs and ip_forward, as the director role applies them. */
export function directorNetExpectation(model: ClusterModel, host: string): RealserverExpectation {
  const d = directorView(model, host);
  return {
    addresses: d.vips.map((v) => ({ address: v.address, dev: v.dev })),
    sysctls: d.needs_ip_forward ? [{ name: 'net.ipv4.ip_forward', value: '1' }] : [],
  };
}

export interface DirectorState {
  live: LiveIpvs;
  net: RealserverState;
  /** net.ipv4.vs.* (lvs.ipvs_sysctls, ./director-sysctls.ts), when asked for. */
  sysctls?: DirectorSysctlState;
}

/** The IPVS table and the addresses/sysctls in one read: still one round trip per director. */
export function directorProbe(exp: RealserverExpectation, sysctls?: Probe<DirectorSysctlState>): Probe<DirectorState> {
  return combine({ live: ipvsLiveFact(), net: realserverProbe(exp), sysctls }, 'director') as Probe<DirectorState>;
}

/** Just the addresses: what a re-read during a VRRP election needs. */
export const addressProbe = (): Probe<RealserverState> => realserverProbe({ addresses: [], sysctls: [] });

/** Which hosts hold `address` (any prefix, any device). */
function holders(address: string, nets: Map<string, RealserverState>, hosts: string[]): string[] {
  return hosts.filter((h) => [...(nets.get(h)?.addresses.values() ?? [])].some((set) => [...set].some((cidr) => cidr.slice(0, cidr.lastIndexOf('/')) === address)));
}

/** A finding about one VRRP address, with the instance it belongs to (whose members a re-read asks). */
export interface VrrpFinding extends Finding {
  instance: string;
}

/**
 * One finding per VRRP address: held by exactly one of the instance's directors. An instance whose
 * directors were not all read (--limit, an unreachable host) is not judged: who holds it cannot be known.
 */
export function compareVrrpPlacement(model: ClusterModel, nets: Map<string, RealserverState>): VrrpFinding[] {
  const out: VrrpFinding[] = [];
  for (const inst of model.vrrp_instances) {
    const members = inst.members.map((m) => m.host);
    if (!members.every((h) => nets.has(h))) continue;
    for (const a of inst.addresses) {
      const by = holders(a.address, nets, members);
      const got = by.length === 0 ? 'held by no director: the VIP is down' : by.length === 1 ? `held by ${by[0]}` : `held by ${by.join(' and ')}: split brain`;
      out.push({ instance: inst.name, host: by[0] ?? members[0]!, subject: `VIP ${a.address} (${inst.name})`, field: 'holder', want: `held by one of ${members.join(', ')}`, got, ok: by.length === 1 });
    }
  }
  return out;
}

/** How long a VRRP election may take: keepalived declares the master down after 3 adverts plus skew. */
export function vrrpSettleSeconds(model: ClusterModel): number {
  return Math.max(0, ...model.vrrp_instances.map((v) => 3 * v.advert_int + 1));
}
