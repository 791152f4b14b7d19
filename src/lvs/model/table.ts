/**
 * The IPVS table a director should hold, in the ipvs engineer's types: what the `ipvs` module is given
 * (`services:`) and what `verify` compares the live `ipvsadm -Ln` against.
 */
import type { Destination, IpvsTable, VirtualService as IpvsService } from '../ipvs/types.js';
import { carriers } from './build.js';
import { prefixToNetmask } from './net.js';
import type { ClusterModel, VirtualService } from './types.js';

export function desiredTable(model: ClusterModel, director: string): IpvsTable {
  const services = model.virtual_services.filter((s) => carriers(model, s.vip).includes(director)).map(toIpvs);
  const table: IpvsTable = { services };
  if (model.timeouts) table.timeouts = { ...model.timeouts };
  return table;
}

export function toIpvs(svc: VirtualService): IpvsService {
  const out: IpvsService = {
    kind: svc.protocol,
    family: svc.family === 4 ? 'inet' : 'inet6',
    scheduler: svc.scheduler,
    schedFlags: [...svc.sched_flags],
    ops: svc.ops,
    destinations: svc.realservers.map((rs): Destination => {
      const d: Destination = {
        address: rs.address,
        // fwmark DR/TUN destinations keep the packet's port: IPVS stores 0.
        port: svc.protocol === 'fwmark' && rs.method !== 'nat' ? 0 : rs.port,
        method: rs.method,
        weight: rs.weight,
      };
      if (rs.u_threshold) d.upperThreshold = rs.u_threshold;
      if (rs.l_threshold) d.lowerThreshold = rs.l_threshold;
      return d;
    }),
  };
  if (svc.protocol === 'fwmark') out.fwmark = svc.fwmark;
  else {
    out.address = svc.vip;
    out.port = svc.port;
  }
  if (svc.persistence_timeout) {
    out.persistence = { timeout: svc.persistence_timeout };
    const full = svc.family === 4 ? 32 : 128;
    if (svc.persistence_prefix !== full) {
      out.persistence.netmask = svc.family === 4 ? prefixToNetmask(svc.persistence_prefix) : String(svc.persistence_prefix);
    }
  }
  return out;
}
