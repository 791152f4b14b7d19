/**
 * What the roles see: per-host vars derived from the model (pure), the dynamic groups the engine adds to
 * the inventory, and the secrets the engine must redact. Roles stay simple loops over these lists.
 */
import { renderKeepalivedConf, usesKeepalived } from '../keepalived/render.js';
import { carriers } from './build.js';
import { directorSysctls } from './director-sysctls.js';
import { natGateway } from './checks.js';
import { Lans } from './lans.js';
import { desiredTable } from './table.js';
import type { ClusterModel, Method, RealServer, VirtualService } from './types.js';

export interface AddressSpec {
  address: string;
  dev: string;
}
export interface SysctlSpec {
  name: string;
  value: string;
}

const hostPrefix = (a: string) => (a.includes(':') ? '/128' : '/32');

/** The variables hostView gives every host. */
export const CLUSTER_VIEW_NAMES = ['lvs_is_director', 'lvs_is_realserver', 'lvs_manager', 'lvs_director', 'lvs_realserver'] as const;

/**
 * `net.ipv4.conf.DEV.KEY` in sysctl's dotted form: a VLAN device's own dots are written as `/`
 * (`eth0.100` -> `net.ipv4.conf.eth0/100.rp_filter`), as sysctl.d(5) reads it; otherwise the kernel path
 * would be `conf/eth0/100/`, which does not exist.
 */
export const confKey = (dev: string, key: string) => `net.ipv4.conf.${dev.replace(/\./g, '/')}.${key}`;

export function hostView(model: ClusterModel, host: string): Record<string, unknown> {
  const isDirector = model.directors.includes(host);
  const rs = realserverView(model, host);
  return {
    lvs_is_director: isDirector,
    lvs_is_realserver: rs.methods.length > 0,
    lvs_manager: model.manager,
    lvs_director: isDirector ? directorView(model, host) : emptyDirector(),
    lvs_realserver: rs,
  };
}

function emptyDirector() {
  return {
    ipvs_services: [], ipvs_timeouts: null, keepalived: false, keepalived_conf: '', needs_ip_forward: false,
    vips: [], modules: [], packages: [], manager: 'none', sysctls: [], sysctls_unmanaged: [],
  };
}

export function directorView(model: ClusterModel, host: string) {
  const table = desiredTable(model, host);
  const keepalived = usesKeepalived(model);
  const scheds = [...new Set(model.virtual_services.map((s) => s.scheduler))].sort();
  const nat = model.virtual_services.some((s) => carriers(model, s.vip).includes(host) && s.realservers.some((r) => r.method === 'nat'));
  return {
    manager: model.manager,
    // With keepalived managing IPVS the ipvs module is not used (one owner per director).
    ipvs_services: model.manager === 'ipvsadm' ? table.services : [],
    ipvs_timeouts: model.manager === 'ipvsadm' ? (table.timeouts ?? null) : null,
    keepalived,
    keepalived_conf: keepalived ? renderKeepalivedConf(model, host) : '',
    needs_ip_forward: nat && model.manage_ip_forward,
    vips: model.static_vips.filter((v) => v.host === host).map((v): AddressSpec => ({ address: `${v.address}/${v.prefix}`, dev: v.dev })),
    modules: ['ip_vs', ...scheds.map((s) => `ip_vs_${s}`)],
    packages: keepalived ? ['ipvsadm', 'keepalived'] : ['ipvsadm'],
    ...directorSysctls(model), // net.ipv4.vs.* (lvs.ipvs_sysctls): sysctls [{name, value, before_kernel, label}], sysctls_unmanaged
  };
}

// Per model, built once: hostView is asked for every host of a cluster that may have thousands of members.
const indexes = new WeakMap<ClusterModel, { lans: Lans; members: Map<string, { svc: VirtualService; rs: RealServer }[]> }>();

function indexOf(model: ClusterModel) {
  let ix = indexes.get(model);
  if (!ix) {
    const members = new Map<string, { svc: VirtualService; rs: RealServer }[]>();
    for (const svc of model.virtual_services) {
      for (const rs of svc.realservers) if (rs.host) members.set(rs.host, [...(members.get(rs.host) ?? []), { svc, rs }]);
    }
    ix = { lans: new Lans(model.interfaces), members };
    indexes.set(model, ix);
  }
  return ix;
}

function realserverView(model: ClusterModel, host: string) {
  const { lans, members } = indexOf(model);
  const methods = new Set<Method>();
  const dr = new Set<string>();
  const tun = new Set<string>();
  const devs = new Set<string>();
  let gateway: string | null = null;
  for (const { svc, rs } of members.get(host) ?? []) {
    methods.add(rs.method);
    const dev = lans.addrs(host).find((a) => a.address === rs.address)?.dev;
    if (dev) devs.add(dev);
    if (rs.method === 'nat') gateway ??= natGateway(model, lans, svc, rs).address ?? null;
    else if (svc.vip) (rs.method === 'dr' ? dr : tun).add(svc.vip);
  }
  // ARP sysctls concern IPv4 VIPs only (IPv6 neighbour discovery answers for the receiving interface only).
  const direct = [...dr, ...tun].some((v) => !v.includes(':'));
  const sysctls: SysctlSpec[] = [];
  if (direct) {
    // Effective value = max(all, iface): `all` does the work, the interfaces are set too for readers.
    for (const d of ['all', ...[...devs].sort()]) {
      sysctls.push({ name: confKey(d, 'arp_ignore'), value: '1' }, { name: confKey(d, 'arp_announce'), value: '2' });
    }
  }
  if (tun.size) {
    // Decapsulated packets arrive on tunl0 with the client as source, reverse path via eth: strict rp_filter drops them.
    sysctls.push({ name: 'net.ipv4.conf.tunl0.rp_filter', value: '0' }, { name: 'net.ipv4.conf.all.rp_filter', value: '2' });
  }
  const addresses: AddressSpec[] = [
    ...[...dr].map((v) => ({ address: `${v}${hostPrefix(v)}`, dev: 'lo' })),
    ...[...tun].map((v) => ({ address: `${v}${hostPrefix(v)}`, dev: 'tunl0' })),
  ];
  return {
    methods: [...methods].sort(),
    dr_vips: [...dr],
    tun_vips: [...tun],
    nat_gateway: gateway,
    addresses,
    sysctls,
    modules: tun.size ? ['ipip'] : [],
    arp_interfaces: direct ? ['all', ...[...devs].sort()] : [],
  };
}

/** Dynamic inventory groups; site playbooks order plays realservers -> lvs_backup -> lvs_master. */
/** Every host that is a realserver of some virtual service, once each, in declaration order. */
export function realserverHosts(model: ClusterModel): string[] {
  return [...new Set(model.virtual_services.flatMap((s) => s.realservers.map((r) => r.host)).filter((h): h is string => h !== undefined))];
}

export function clusterGroups(model: ClusterModel): Record<string, string[]> {
  const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => x !== undefined))];
  const all = model.virtual_services.flatMap((s) => s.realservers);
  const byMethod = (m: Method) => uniq(all.filter((r) => r.method === m).map((r) => r.host));
  const master = masterOf(model);
  return {
    lvs_directors: [...model.directors],
    lvs_master: master,
    lvs_backup: model.directors.filter((d) => !master.includes(d)),
    lvs_realservers: realserverHosts(model),
    lvs_rs_nat: byMethod('nat'),
    lvs_rs_dr: byMethod('dr'),
    lvs_rs_tun: byMethod('tun'),
  };
}

/** The director(s) expected to be master: state MASTER in the first instance, else its highest priority. */
function masterOf(model: ClusterModel): string[] {
  const v = model.vrrp_instances[0];
  if (!v) return [...model.directors];
  const m = v.members.find((x) => x.state === 'MASTER') ?? [...v.members].sort((a, b) => b.priority - a.priority)[0];
  return m ? [m.host] : [];
}

/** Values the engine must redact from every output, log and error. */
export function clusterSecrets(model: ClusterModel): string[] {
  return [...new Set(model.vrrp_instances.flatMap((v) => (v.authentication ? [v.authentication.pass] : [])))];
}
