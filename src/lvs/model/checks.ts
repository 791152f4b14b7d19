/**
 * Checks across hosts, all run before anything connects; every finding is collected and names its line.
 * The rules and why each exists are listed in docs/cluster-model.md (most come from the seeds' mistakes).
 */
import { carriers, instanceCarrying, type Reporter } from './build.js';
import type { Lans } from './lans.js';
import { contains, networkOf, parseIp } from './net.js';
import type { ClusterModel, RealServer, VirtualService, VrrpAddress, VrrpInstance } from './types.js';

export function checkCluster(model: ClusterModel, lans: Lans, r: Reporter): void {
  checkNames(model, r);
  checkServices(model, r);
  checkVips(model, lans, r);
  checkVipPrefixes(model, lans, r);
  checkVrrp(model, lans, r);
  for (const svc of model.virtual_services) for (const rs of svc.realservers) checkRealServer(model, lans, svc, rs, r);
  checkMethodConflicts(model, r);
  checkSyncDaemon(model, lans, r);
}

/**
 * Names are how errors, verify and keepalived.conf tell instances and services apart: two VRRP instances of
 * one name are two `vrrp_instance VI_1` blocks (keepalived refuses the file) and make `sync_daemon`
 * ambiguous; two services of one name make every message about either ambiguous.
 */
function checkNames(model: ClusterModel, r: Reporter): void {
  const unique = (items: { name: string; path: (string | number)[] }[], what: string) => {
    const first = new Map<string, (string | number)[]>();
    for (const it of items) {
      const prev = first.get(it.name);
      if (prev) r.error([...it.path, 'name'], `${what} name "${it.name}" is used twice (first at ${r.where(prev)}): names must be unique`);
      else first.set(it.name, it.path);
    }
  };
  unique(model.vrrp_instances, 'vrrp_instance');
  unique(model.virtual_services, 'virtual service');
}

const serviceKey = (s: VirtualService) => (s.protocol === 'fwmark' ? `fwmark ${s.fwmark} IPv${s.family}` : `${s.protocol} ${s.vip}:${s.port}`);

function checkServices(model: ClusterModel, r: Reporter): void {
  const seen = new Map<string, VirtualService>();
  for (const svc of model.virtual_services) {
    const ss = svc.sorry_server;
    if (ss && ss.method !== 'nat' && ss.port !== svc.port) {
      r.error([...svc.path, 'sorry_server', 'port'], `sorry server port ${ss.port} differs from the virtual port ${svc.port} but its method is ${ss.method.toUpperCase()}: only NAT can change ports (keepalived resets it)`);
    }
    if (model.manager === 'ipvsadm') {
      const checked = svc.realservers.find((x) => x.health_check);
      if (checked) r.warn(checked.path, `health checks run only when keepalived programs IPVS (manager: keepalived); with manager ipvsadm they are ignored`);
      if (ss) r.warn([...svc.path, 'sorry_server'], 'a sorry server needs keepalived (manager: keepalived); with manager ipvsadm it is ignored');
    }
    const key = serviceKey(svc);
    const first = seen.get(key);
    if (first) r.error(svc.path, `virtual service ${key} is declared twice (first as "${first.name}" at ${r.where(first.path)}): IPVS has one entry per protocol, VIP and port`);
    else seen.set(key, svc);
    const dests = new Map<string, RealServer>();
    for (const rs of svc.realservers) {
      const k = `${rs.address}:${rs.port}`;
      const prev = dests.get(k);
      if (prev) r.error(rs.path, `realserver ${k} appears twice in ${svc.name} (also at ${r.where(prev.path)}): IPVS keys destinations by address and port`);
      else dests.set(k, rs);
    }
  }
}

function checkVips(model: ClusterModel, lans: Lans, r: Reporter): void {
  // Every place an address is declared to float or sit on a director.
  const decl: { address: string; prefix: number; dev: string; where: string; path: (string | number)[] }[] = [];
  for (const v of model.vrrp_instances) {
    v.addresses.forEach((a, i) => decl.push({ ...a, where: `vrrp_instance ${v.name}`, path: [...v.path, 'virtual_ipaddress', i] }));
  }
  for (const s of model.static_vips) decl.push({ ...s, where: `static VIP on ${s.host}` });
  const byAddr = new Map<string, (typeof decl)[number]>();
  for (const d of decl) {
    const prev = byAddr.get(d.address);
    if (prev) {
      const same = prev.prefix === d.prefix && prev.dev === d.dev;
      r.error(d.path, `${d.address} is declared twice: in ${prev.where} and in ${d.where}${same ? '' : ` with different settings (/${prev.prefix} dev ${prev.dev} vs /${d.prefix} dev ${d.dev})`}; two owners would both answer ARP for it`);
    } else byAddr.set(d.address, d);
    // A derived static VIP is the service's own VIP, checked with the services below.
    if ('derived' in d && d.derived) continue;
    for (const o of lans.owners(d.address)) {
      r.error(d.path, `${d.address} is host ${o.host}'s own address (${o.dev}): a VIP or floating DIP must be a spare address, or the hosts fight over it`);
    }
  }
  for (const svc of model.virtual_services) {
    if (!svc.vip) continue;
    for (const o of lans.owners(svc.vip)) {
      if (!model.directors.includes(o.host)) {
        r.error([...svc.path, 'vip'], `VIP ${svc.vip} is the address of ${o.host} (${o.dev}), not a VIP: a typo?`);
      }
    }
  }
}

/**
 * The prefix of a VIP or floating DIP is the on-link route keepalived (or the static VIP) adds with it on the
 * director holding it: `198.51.100.10/0` adds 0.0.0.0/0 as on-link on that device, a second default route that
 * takes over on failover, and `/1` claims half the Internet as on-link. So a prefix may be as long as the host's
 * (/32, /128: no route, the usual VIP) or as long as the LAN the address is on (equal: the usual DIP), never
 * shorter (wider) than the LAN of that device it is on, nor wide enough to cover a LAN of the director, and
 * never /0. An address on no LAN (routed to the director) keeps its prefix, with the warning checkVrrp gives.
 */
function checkVipPrefixes(model: ClusterModel, lans: Lans, r: Reporter): void {
  const check = (a: VrrpAddress, hosts: string[], path: (string | number)[], adder: string) => {
    const ip = parseIp(a.address);
    if (!ip) return;
    const host = ip.family === 4 ? 32 : 128;
    const net = { ...ip, prefix: a.prefix };
    const known = hosts.filter((h) => lans.knows(h));
    // The LAN of its device that the address is on, else a LAN of the director that its prefix would cover.
    const onLan = known.flatMap((h) => lans.addrs(h).filter((l) => l.dev === a.dev && contains(l.cidr, ip)));
    const covered = known.flatMap((h) => lans.addrs(h).filter((l) => l.cidr.prefix > a.prefix && contains(net, l.cidr)));
    const lan = onLan.find((l) => l.cidr.prefix > a.prefix) ?? (onLan.length ? undefined : covered[0]);
    const fix = lan ? `/${lan.cidr.prefix} (the prefix of ${lan.host}'s LAN ${lan.network} on ${lan.dev}) or /${host}` : `/${host}`;
    if (a.prefix === 0) {
      r.error(path, `${a.address}/0: a /0 prefix would make ${adder} add ${networkOf(net)} as an on-link route on ${a.dev} (a second default route) on the director holding it; give ${fix}`);
    } else if (lan) {
      const what = lan.dev === a.dev && contains(lan.cidr, ip) ? 'wider than the LAN it is on' : `wide enough to cover ${lan.host}'s LAN on ${lan.dev}`;
      r.error(path, `${a.address}/${a.prefix}: the prefix /${a.prefix} is ${what} (${lan.network}): the director holding it would route all of ${networkOf(net)} as on-link through ${a.dev}; give ${fix}`);
    }
  };
  for (const v of model.vrrp_instances) {
    v.addresses.forEach((a, i) => check(a, v.members.map((m) => m.host), [...v.path, 'virtual_ipaddress', i], 'keepalived'));
  }
  for (const s of model.static_vips) if (!s.derived) check(s, [s.host], [...s.path, 'address'], 'the static VIP');
}

function checkVrrp(model: ClusterModel, lans: Lans, r: Reporter): void {
  const vrids = new Map<string, string>();
  for (const v of model.vrrp_instances) {
    const masters = v.members.filter((m) => m.state === 'MASTER');
    if (masters.length > 1) {
      r.error([...v.path, 'state'], `vrrp_instance ${v.name}: ${masters.map((m) => m.host).join(', ')} all have state MASTER; give one director state MASTER (or all BACKUP with distinct priorities)`);
    }
    const prios = v.members.map((m) => m.priority);
    if (!masters.length && new Set(prios).size !== prios.length) {
      r.error([...v.path, 'priority'], `vrrp_instance ${v.name}: no MASTER and equal priorities (${v.members.map((m) => `${m.host}=${m.priority}`).join(', ')}): the election would depend on addresses; make priorities distinct`);
    }
    const top = Math.max(...prios);
    for (const m of masters) {
      if (m.priority < top) r.warn([...v.path, 'priority', m.host], `vrrp_instance ${v.name}: MASTER ${m.host} has priority ${m.priority} but a BACKUP has ${top}: the BACKUP takes over at once`);
    }
    if (v.nopreempt && masters.length) {
      r.error([...v.path, 'nopreempt'], `vrrp_instance ${v.name}: nopreempt only works with state BACKUP, and ${masters.map((m) => m.host).join(', ')} is MASTER (keepalived clears nopreempt there); use state BACKUP on every director and let priority elect the master`);
    }
    if (v.authentication && v.authentication.pass.length > 8) {
      r.error([...v.path, 'authentication', 'pass'], `vrrp_instance ${v.name}: auth_pass is ${v.authentication.pass.length} characters; keepalived silently uses only the first 8, so give at most 8`);
    }
    v.members.forEach((m) => {
      if (!model.directors.includes(m.host)) {
        r.error([...v.path, 'priority', m.host], `vrrp_instance ${v.name}: "${m.host}" is not one of the directors (${model.directors.join(', ')})`);
        return;
      }
      if (!lans.knows(m.host)) return;
      const devs = new Set(lans.addrs(m.host).map((a) => a.dev));
      if (!devs.has(v.interface)) r.error([...v.path, 'interface'], `vrrp_instance ${v.name}: director ${m.host} has no interface ${v.interface} in lvs_interfaces (${lans.describe(m.host)})`);
      v.addresses.forEach((a, i) => {
        if (!devs.has(a.dev)) r.error([...v.path, 'virtual_ipaddress', i], `${a.address}: director ${m.host} has no interface ${a.dev} (${lans.describe(m.host)})`);
        else if (!lans.subnetOf(m.host, a.address)) {
          r.warn([...v.path, 'virtual_ipaddress', i], `${a.address} is on no LAN of ${m.host} (${lans.describe(m.host)}): only reachable if a router sends it there; a typo?`);
        }
      });
    });
    const families = new Set(v.addresses.map((a) => (a.address.includes(':') ? 6 : 4)));
    if (families.size > 1) r.error([...v.path, 'virtual_ipaddress'], `vrrp_instance ${v.name} mixes IPv4 and IPv6 addresses: VRRP runs one address family per instance; use two instances`);
    if (families.has(6) && v.authentication) r.error([...v.path, 'authentication'], `vrrp_instance ${v.name} carries IPv6 addresses (VRRPv3), which has no authentication: remove it`);
    if (v.members.length < 2) r.warn(v.path, `vrrp_instance ${v.name} has a single director: nothing to fail over to`);
    // VRIDs must be unique per LAN; two instances on the same LAN with the same id fight each other.
    const first = v.members.find((m) => lans.knows(m.host));
    const lan = first ? lans.addrs(first.host).find((a) => a.dev === v.interface) : undefined;
    const key = `${lan ? lan.network : v.interface} ${v.virtual_router_id}`;
    const prev = vrids.get(key);
    if (prev) r.error([...v.path, 'virtual_router_id'], `virtual_router_id ${v.virtual_router_id} is also used by vrrp_instance ${prev} on the same LAN (${lan?.network ?? v.interface}); VRIDs must be unique per LAN`);
    else vrids.set(key, v.name);
  }
}

function checkRealServer(model: ClusterModel, lans: Lans, svc: VirtualService, rs: RealServer, r: Reporter): void {
  const who = rs.host ?? rs.address;
  if (rs.host && model.directors.includes(rs.host)) {
    r.error([...rs.path, 'host'], `${rs.host} is a director and a realserver; lvsible does not support collocated directors (their IPVS would forward the traffic again)`);
    return;
  }
  if (rs.method !== 'nat') {
    const want = svc.protocol === 'fwmark' ? 0 : svc.port;
    if (rs.port !== want) {
      r.error([...rs.path, 'port'], svc.protocol === 'fwmark'
        ? `${rs.method.toUpperCase()} realserver ${who} of a fwmark service keeps the packet's port: leave port out (it is 0)`
        : `${rs.method.toUpperCase()} realserver ${who} port ${rs.port} differs from the virtual port ${svc.port}: ${rs.method.toUpperCase()} cannot rewrite ports (ipvsadm silently uses ${svc.port}); use NAT or port ${svc.port}`);
    }
  }
  const c = rs.health_check;
  if (c && c.type !== 'MISC_CHECK' && c.connect_port === undefined && rs.port === 0) {
    r.error([...rs.path], `${c.type} of ${who} would connect to port 0 (the service has no port): set health_check.connect_port`);
  }
  if (rs.method === 'tun') return;
  const ip = parseIp(rs.address)!;
  const dirs = carriers(model, svc.vip).filter((d) => lans.knows(d));
  for (const d of dirs) {
    const lan = lans.addrs(d).find((a) => contains(a.cidr, ip));
    if (!lan) {
      r.error(rs.path, rs.method === 'dr'
        ? `DR realserver ${who} (${rs.address}) shares no LAN with director ${d} (${lans.describe(d)}): DR forwards by MAC address, so the realserver must be on a LAN of every director that can hold the VIP; use TUN across networks`
        : `NAT realserver ${who} (${rs.address}) shares no LAN with director ${d} (${lans.describe(d)}): its replies must return through the director, which needs an address on its LAN`);
    }
  }
  if (rs.method === 'nat') checkNatWayBack(model, lans, svc, rs, dirs, r);
}

type Floating = { v: VrrpInstance; a: VrrpAddress };
const floatingIndex = new WeakMap<ClusterModel, Map<string, Floating[]>>();

/** Floating addresses by director LAN (network key), computed once per model. */
function floatingByLan(model: ClusterModel, lans: Lans): Map<string, Floating[]> {
  let index = floatingIndex.get(model);
  if (index) return index;
  index = new Map();
  const all = model.vrrp_instances.flatMap((v) => v.addresses.map((a) => ({ v, a, ip: parseIp(a.address) })));
  for (const d of model.directors) {
    for (const lan of lans.addrs(d)) {
      if (index.has(lan.network)) continue;
      index.set(lan.network, all.filter((f) => f.ip !== null && contains(lan.cidr, f.ip)).map(({ v, a }) => ({ v, a })));
    }
  }
  floatingIndex.set(model, index);
  return index;
}

/** The gateway a NAT realserver's replies take: a floating DIP on its LAN, or the single director's address. */
export function natGateway(model: ClusterModel, lans: Lans, svc: VirtualService, rs: RealServer): { address?: string; problem?: string } {
  const ip = parseIp(rs.address)!;
  const dirs = carriers(model, svc.vip);
  const rsLans = dirs.map((d) => lans.addrs(d).find((x) => contains(x.cidr, ip))).filter((l) => l !== undefined);
  const index = floatingByLan(model, lans);
  const floating = rsLans.flatMap((l) => index.get(l.network) ?? []).filter((f) => f.a.address !== svc.vip);
  if (floating[0]) {
    const vipInst = svc.vip ? instanceCarrying(model, svc.vip) : undefined;
    if (vipInst && floating[0].v !== vipInst) {
      return { address: floating[0].a.address, problem: `its gateway ${floating[0].a.address} floats with vrrp_instance ${floating[0].v.name} but the VIP ${svc.vip} with ${vipInst.name}: they can end up on different directors; put both in one instance` };
    }
    return { address: floating[0].a.address };
  }
  if (dirs.length > 1) {
    return { problem: `${dirs.length} directors can hold the VIP but no keepalived floating address (DIP) is on its LAN: its default route cannot follow the master; add a DIP to the vrrp_instance carrying ${svc.vip}` };
  }
  const own = rsLans[0];
  return own ? { address: own.address } : { problem: 'no director address on its LAN' };
}

function checkNatWayBack(model: ClusterModel, lans: Lans, svc: VirtualService, rs: RealServer, dirs: string[], r: Reporter): void {
  const who = rs.host ?? rs.address;
  if (!model.manage_ip_forward) {
    r.error(rs.path, `NAT realserver ${who}: the directors must forward (net.ipv4.ip_forward=1) but manage_ip_forward is false`);
  }
  if (!dirs.length) return;
  const gw = natGateway(model, lans, svc, rs);
  if (gw.problem && gw.problem !== 'no director address on its LAN') r.error(rs.path, `NAT realserver ${who}: ${gw.problem}`);
  else if (gw.address && !rs.host) {
    r.warn(rs.path, `NAT realserver ${rs.address} is not managed by lvsible: its default route must point at ${gw.address}`);
  }
}

/**
 * A NAT realserver's default route goes through the director; DR and TUN realservers answer clients directly
 * with the VIP as source. On one host both cannot hold: DR/TUN replies would go to the director, which owns
 * the VIP and drops packets arriving with its own address as source (and the client would get no answer).
 */
function checkMethodConflicts(model: ClusterModel, r: Reporter): void {
  const uses = new Map<string, { method: string; svc: VirtualService; rs: RealServer }[]>();
  for (const svc of model.virtual_services) {
    for (const rs of svc.realservers) {
      if (!rs.host) continue;
      uses.set(rs.host, [...(uses.get(rs.host) ?? []), { method: rs.method, svc, rs }]);
    }
  }
  for (const [host, list] of uses) {
    const nat = list.find((u) => u.method === 'nat');
    const direct = list.filter((u) => u.method !== 'nat');
    if (!nat || !direct.length) continue;
    for (const d of direct) {
      r.error(d.rs.path, `${host} is a NAT realserver (${nat.svc.name}, at ${r.where(nat.rs.path)}) and a ${d.method.toUpperCase()} realserver here: NAT needs its default route through the director, while ${d.method.toUpperCase()} replies leave with the VIP as source straight to the client; through the director they are dropped (the director owns the VIP). Use one method per host`);
    }
  }
}

function checkSyncDaemon(model: ClusterModel, lans: Lans, r: Reporter): void {
  const s = model.sync_daemon;
  if (!s) return;
  // The sync daemon is started by keepalived (lvs_sync_daemon); with ipvsadm alone nothing would start it.
  if (model.manager !== 'keepalived' && !model.vrrp_instances.length) {
    r.error(['lvs', 'sync_daemon'], 'the connection sync daemon is run by keepalived, and no director here runs keepalived (manager: ipvsadm, no vrrp_instances): remove sync_daemon or use keepalived');
  }
  if (s.instance && !model.vrrp_instances.some((v) => v.name === s.instance)) {
    r.error(['lvs', 'sync_daemon', 'instance'], `no vrrp_instance named "${s.instance}" (have: ${model.vrrp_instances.map((v) => v.name).join(', ') || 'none'})`);
  }
  for (const d of model.directors) {
    if (lans.knows(d) && !lans.addrs(d).some((a) => a.dev === s.interface)) {
      r.error(['lvs', 'sync_daemon', 'interface'], `director ${d} has no interface ${s.interface} (${lans.describe(d)})`);
    }
  }
}
