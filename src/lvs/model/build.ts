/**
 * Raw cluster.yml -> ClusterModel: defaults applied, VRRP addresses parsed, realserver addresses resolved
 * from the inventory. Problems of a single field are reported here; problems between hosts in checks.ts.
 */
import type { PathSegment } from '../../config/source.js';
import type { Lans } from './lans.js';
import { canonicalIp, formatIp, netmaskPrefix, parseCidr as looseCidr, parseIp as looseIp, type Family } from './net.js';
import { cidr as cidrGrammar, ipAddress } from '../../grammar/ip.js';
import type { RawCluster, RawRealServer, RawVirtualService, RawVrrp } from './raw.js';
import { buildIpvsSysctls, checkIpvsSysctls, type RawIpvsSysctls } from './director-sysctls.js';
import type {
  ClusterModel, HealthCheck, RealServer, SchedFlag, Scheduler, VirtualService, VrrpAddress, VrrpInstance,
} from './types.js';

export interface Reporter {
  error(path: PathSegment[], message: string): void;
  warn(path: PathSegment[], message: string): void;
  /** `line 12` for messages that point at a second place in the file. */
  where(path: PathSegment[]): string;
}

const fam = (f: Family): string => (f === 4 ? 'IPv4' : 'IPv6');

// Addresses as every tool reads them alike (src/grammar/ip.ts): net.ts alone would take 198.51.100.01 and
// silently make it .1, where inet_aton-style readers see octal.
const parseIp = (s: string) => (ipAddress(s) === null ? looseIp(s) : null);
const parseCidr = (s: string) => (cidrGrammar(s) === null ? looseCidr(s) : null);
const notAnAddress = (s: string, prefix = false) => (prefix ? cidrGrammar(s) : ipAddress(s)) ?? 'is not an IPv4/IPv6 address';

export function buildModel(raw: RawCluster, file: string, lans: Lans, known: Set<string>, r: Reporter): ClusterModel {
  const lvs = raw.lvs;
  const directors = lvs.directors;
  directors.forEach((d, i) => {
    const first = directors.indexOf(d);
    if (first !== i) r.error(['lvs', 'directors', i], `director "${d}" is listed twice (also at ${r.where(['lvs', 'directors', first])})`);
    else if (!known.has(d)) r.error(['lvs', 'directors', i], unknownHost(d, known));
    else if (!lans.knows(d)) r.error(['lvs', 'directors', i], `director "${d}" has no lvs_interfaces host var: lvsible needs its LAN addresses (dev: CIDR)`);
  });
  const vrrp = (lvs.vrrp_instances ?? []).map((v, i) => buildVrrp(v, ['lvs', 'vrrp_instances', i], r));
  const model: ClusterModel = {
    file,
    manager: lvs.manager ?? (vrrp.length ? 'keepalived' : 'ipvsadm'),
    directors,
    interfaces: {},
    virtual_services: [],
    vrrp_instances: vrrp,
    static_vips: [],
    sync_daemon: lvs.sync_daemon,
    timeouts: lvs.timeouts ? { tcp: 0, tcpfin: 0, udp: 0, ...lvs.timeouts } : undefined,
    manage_ip_forward: lvs.manage_ip_forward ?? true,
    ipvs_sysctls: buildIpvsSysctls((lvs as { ipvs_sysctls?: RawIpvsSysctls }).ipvs_sysctls, {
      sync: lvs.sync_daemon !== undefined,
      direct: lvs.virtual_services.some((v) => (v.realservers ?? []).some((rs) => rs.method !== 'nat')),
    }),
    warnings: [],
  };
  (lvs.static_vips ?? []).forEach((s, i) => {
    const path = ['lvs', 'static_vips', i];
    const a = parseAddress(s.address, path, r);
    if (!a) return;
    if (!directors.includes(s.host)) r.error([...path, 'host'], `static VIP host "${s.host}" is not one of the directors (${directors.join(', ')})`);
    const dev = s.dev ?? lans.subnetOf(s.host, a.address)?.dev;
    if (!dev) r.error(path, `static VIP ${a.address}: no interface of ${s.host} has a subnet containing it (${lans.describe(s.host)}); say which with dev:`);
    else model.static_vips.push({ ...a, dev, host: s.host, derived: false, path });
  });
  model.virtual_services = lvs.virtual_services.map((vs, i) => buildService(vs, ['lvs', 'virtual_services', i], model, lans, known, r));
  deriveStaticVips(model, lans, r);
  checkIpvsSysctls(model, r);
  for (const h of known) {
    if (!lans.knows(h)) continue;
    const devs: Record<string, string[]> = {};
    for (const a of lans.addrs(h)) (devs[a.dev] ??= []).push(`${a.address}/${a.cidr.prefix}`);
    model.interfaces[h] = devs;
  }
  return model;
}

function parseAddress(text: string, path: PathSegment[], r: Reporter): { address: string; prefix: number } | null {
  const c = parseCidr(text);
  if (!c) {
    r.error(path, `"${text}" ${notAnAddress(text, true)} (an IPv4/IPv6 address, optionally with /prefix)`);
    return null;
  }
  return { address: formatIp(c), prefix: c.prefix };
}

function buildVrrp(v: RawVrrp, path: PathSegment[], r: Reporter): VrrpInstance {
  const addresses: VrrpAddress[] = [];
  v.virtual_ipaddress.forEach((e, i) => {
    const text = typeof e === 'string' ? e : e.address;
    const a = parseAddress(text, [...path, 'virtual_ipaddress', i], r);
    if (a) addresses.push({ ...a, dev: (typeof e === 'string' ? undefined : e.dev) ?? v.interface });
  });
  return {
    name: v.name,
    interface: v.interface,
    virtual_router_id: v.virtual_router_id,
    advert_int: v.advert_int ?? 1,
    members: Object.entries(v.priority).map(([host, priority]) => ({ host, priority, state: v.state?.[host] ?? 'BACKUP' })),
    nopreempt: v.nopreempt ?? false,
    authentication: v.authentication ? { type: v.authentication.type ?? 'PASS', pass: v.authentication.pass } : undefined,
    unicast: v.unicast ?? false,
    addresses,
    path,
  };
}

// Address -> the instance carrying it, built once per model: large clusters ask for every realserver.
const instanceIndex = new WeakMap<ClusterModel, Map<string, VrrpInstance>>();

export function instanceCarrying(model: ClusterModel, address: string): VrrpInstance | undefined {
  let index = instanceIndex.get(model);
  if (!index) {
    index = new Map();
    for (const v of model.vrrp_instances) for (const a of v.addresses) if (!index.has(a.address)) index.set(a.address, v);
    instanceIndex.set(model, index);
  }
  return index.get(address);
}

/** The directors that may hold `vip`: the members of the instance carrying it, its static host, or all. */
export function carriers(model: ClusterModel, vip: string | undefined): string[] {
  if (vip === undefined) return model.directors;
  const inst = instanceCarrying(model, vip);
  if (inst) return inst.members.map((m) => m.host).filter((h) => model.directors.includes(h));
  const stat = model.static_vips.filter((s) => s.address === vip).map((s) => s.host);
  return stat.length ? stat : model.directors;
}

function buildService(vs: RawVirtualService, path: PathSegment[], model: ClusterModel, lans: Lans, known: Set<string>, r: Reporter): VirtualService {
  const protocol = vs.protocol ?? 'tcp';
  const vipIp = vs.vip !== undefined ? parseIp(vs.vip) : null;
  if (vs.vip !== undefined && !vipIp) r.error([...path, 'vip'], `"${vs.vip}" ${notAnAddress(vs.vip)} (a VIP is an address, with no /prefix here)`);
  if (protocol !== 'fwmark' && vs.vip === undefined) r.error(path, `missing required field "vip" (${protocol} services listen on a VIP)`);
  if (protocol === 'fwmark' && vs.fwmark === undefined) r.error(path, 'missing required field "fwmark" (protocol fwmark)');
  if (protocol !== 'fwmark' && vs.fwmark !== undefined) r.error([...path, 'fwmark'], `fwmark is only for protocol fwmark (this service is ${protocol})`);
  if (protocol === 'fwmark' && vs.port !== undefined) r.error([...path, 'port'], 'a fwmark service has no port: the mark selects the traffic');
  const family: Family = vipIp?.family ?? (vs.family === 'ipv6' ? 6 : 4);
  if (vipIp && vs.family && vs.family !== (vipIp.family === 4 ? 'ipv4' : 'ipv6')) r.error([...path, 'family'], `family ${vs.family} contradicts vip ${vs.vip}`);

  const scheduler = (vs.scheduler ?? 'wlc') as Scheduler;
  const flags = (vs.scheduler_flags ?? []) as SchedFlag[];
  flags.forEach((f, i) => {
    const owner = f.startsWith('sh-') ? 'sh' : f.startsWith('mh-') ? 'mh' : null;
    if (owner && owner !== scheduler) r.error([...path, 'scheduler_flags', i], `${f} only applies to scheduler ${owner} (this service uses ${scheduler})`);
  });
  const pers = typeof vs.persistence === 'number' ? { timeout: vs.persistence } : vs.persistence;
  let persistencePrefix = family === 4 ? 32 : 128;
  if (pers?.netmask !== undefined) {
    const p = netmaskPrefix(pers.netmask, family);
    if (p === null) r.error([...path, 'persistence', 'netmask'], `"${pers.netmask}" is not a ${fam(family)} netmask (IPv4: 255.255.255.0 or 24; IPv6: a prefix length)`);
    else persistencePrefix = p;
  }
  const persistence = pers ? pers.timeout ?? 360 : 0;
  const port = protocol === 'fwmark' ? 0 : vs.port;
  if (protocol !== 'fwmark' && port === undefined) r.error(path, 'missing required field "port"');
  if (port === 0 && protocol !== 'fwmark' && !persistence) r.error([...path, 'port'], 'port 0 (all ports) needs persistence: ipvsadm refuses a zero port on a non-persistent service');
  if (vs.ops && protocol === 'tcp') r.error([...path, 'ops'], 'one-packet scheduling (ops) is only for UDP and fwmark services');

  const vip = vipIp ? formatIp(vipIp) : undefined;
  const svc: VirtualService = {
    name: vs.name ?? (protocol === 'fwmark' ? `fwmark-${vs.fwmark}` : `${protocol}-${vip}-${port}`),
    protocol,
    vip,
    family,
    port: port ?? 0,
    fwmark: vs.fwmark,
    scheduler,
    sched_flags: flags,
    persistence_timeout: persistence,
    persistence_prefix: persistencePrefix,
    ops: vs.ops ?? false,
    delay_loop: vs.delay_loop ?? 6,
    sorry_server: vs.sorry_server ? sorry(vs.sorry_server, port ?? 0) : undefined,
    realservers: [],
    path,
  };
  if (vs.sorry_server && !parseIp(vs.sorry_server.address)) {
    r.error([...path, 'sorry_server', 'address'], `sorry server "${vs.sorry_server.address}" ${notAnAddress(vs.sorry_server.address)}`);
  } else if (vs.sorry_server && parseIp(vs.sorry_server.address)?.family !== family) {
    r.error([...path, 'sorry_server', 'address'], `sorry server "${vs.sorry_server.address}" must be an ${fam(family)} address like the service`);
  }
  const defaultCheck = normalizeCheck(vs.health_check, [...path, 'health_check'], r);
  svc.realservers = vs.realservers
    .map((rs, j) => buildRealServer(rs, [...path, 'realservers', j], svc, defaultCheck, model, lans, known, r))
    .filter((x): x is RealServer => x !== null);
  return svc;
}

function sorry(s: NonNullable<RawVirtualService['sorry_server']>, vport: number): VirtualService['sorry_server'] {
  const port = s.port ?? vport;
  // Only NAT can change the port: keepalived otherwise resets it to the virtual port, with a warning.
  return { address: canonicalIp(s.address), port, method: s.method ?? (port !== vport ? 'nat' : 'dr') };
}

const CHECK_FIELDS: Record<string, string[]> = {
  TCP_CHECK: ['connect_port', 'connect_ip', 'connect_timeout', 'retry', 'delay_before_retry'],
  HTTP_GET: ['connect_port', 'connect_ip', 'connect_timeout', 'retry', 'delay_before_retry', 'path', 'status_code', 'virtualhost'],
  MISC_CHECK: ['misc_path', 'misc_timeout', 'misc_dynamic'],
};
CHECK_FIELDS.SSL_GET = CHECK_FIELDS.HTTP_GET!;

export function normalizeCheck(c: RawVirtualService['health_check'], path: PathSegment[], r: Reporter): HealthCheck | null {
  if (!c) return null;
  const allowed = CHECK_FIELDS[c.type] ?? [];
  for (const k of Object.keys(c)) {
    if (k !== 'type' && !allowed.includes(k)) r.error([...path, k], `${k} does not apply to ${c.type} (it takes: ${allowed.join(', ')})`);
  }
  if (c.type === 'MISC_CHECK' && c.misc_path === undefined) r.error(path, 'MISC_CHECK needs misc_path (the command to run)');
  if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') return { path: '/', status_code: 200, ...c } as HealthCheck;
  return c as unknown as HealthCheck;
}

function buildRealServer(
  rs: RawRealServer, path: PathSegment[], svc: VirtualService, defaultCheck: HealthCheck | null,
  model: ClusterModel, lans: Lans, known: Set<string>, r: Reporter,
): RealServer | null {
  if (rs.host === undefined && rs.address === undefined) {
    r.error(path, 'a realserver needs `host:` (an inventory host) or `address:` (a host lvsible does not manage)');
    return null;
  }
  if (rs.host !== undefined && !known.has(rs.host)) {
    r.error([...path, 'host'], unknownHost(rs.host, known));
    return null;
  }
  let address: string | undefined;
  let family: Family | undefined;
  if (rs.address !== undefined) {
    const ip = parseIp(rs.address);
    if (!ip) {
      r.error([...path, 'address'], `"${rs.address}" ${notAnAddress(rs.address)}`);
      return null;
    }
    [address, family] = [formatIp(ip), ip.family];
  } else {
    const picked = pickRip(rs.host!, rs.method, svc, model, lans);
    if (!picked) {
      r.error([...path, 'host'], `cannot tell the address of realserver ${rs.host}: it has no ${rs.method === 'tun' ? '' : fam(svc.family) + ' '}address in lvs_interfaces (${lans.describe(rs.host!)}); set lvs_interfaces or give address:`);
      return null;
    }
    [address, family] = [picked.address, picked.cidr.family];
  }
  if (family !== svc.family && rs.method !== 'tun') {
    r.error(path, `realserver ${address} is ${fam(family)} but the service is ${fam(svc.family)}: only TUN realservers may differ in family`);
  }
  if (rs.u_threshold && rs.l_threshold !== undefined && rs.l_threshold >= rs.u_threshold) {
    r.error([...path, 'l_threshold'], `l_threshold (${rs.l_threshold}) must be below u_threshold (${rs.u_threshold})`);
  }
  const check = rs.health_check === undefined ? defaultCheck : normalizeCheck(rs.health_check, [...path, 'health_check'], r);
  return {
    host: rs.host,
    address,
    family,
    method: rs.method,
    // DR/TUN cannot change the port (ipvsadm silently rewrites it): a mismatch is reported by the checks.
    port: rs.port ?? svc.port,
    weight: rs.weight ?? 1,
    u_threshold: rs.u_threshold ?? 0,
    l_threshold: rs.l_threshold ?? 0,
    health_check: check,
    path,
  };
}

/** A realserver's RIP: its address on a LAN it shares with a director that may carry the VIP, else any. */
function pickRip(host: string, method: string, svc: VirtualService, model: ClusterModel, lans: Lans) {
  const own = lans.addrs(host);
  const sameFamily = own.filter((a) => a.cidr.family === svc.family);
  for (const d of carriers(model, svc.vip)) {
    const shared = lans.sharedWith(host, d).filter((a) => a.cidr.family === svc.family);
    if (shared[0]) return shared[0];
  }
  if (method === 'tun') return sameFamily[0] ?? own[0];
  return sameFamily[0];
}

/** Without keepalived, a VIP goes on the one director whose LAN contains it. */
function deriveStaticVips(model: ClusterModel, lans: Lans, r: Reporter): void {
  const carried = (a: string) =>
    model.vrrp_instances.some((v) => v.addresses.some((x) => x.address === a)) || model.static_vips.some((s) => s.address === a);
  for (const svc of model.virtual_services) {
    if (!svc.vip || carried(svc.vip)) continue;
    const where = [...svc.path, 'vip'];
    if (model.vrrp_instances.length) {
      const declared = model.vrrp_instances.flatMap((v) => v.addresses.map((a) => a.address));
      r.error(where, `VIP ${svc.vip} is carried by no vrrp_instance (they carry ${declared.join(', ')}): a typo? IPVS would accept it and nobody would answer for it`);
      continue;
    }
    if (model.directors.length !== 1) {
      r.error(where, `VIP ${svc.vip}: ${model.directors.length} directors and no keepalived: carry it with a vrrp_instance, or put it on one director with static_vips`);
      continue;
    }
    const host = model.directors[0]!;
    const lan = lans.subnetOf(host, svc.vip);
    if (!lan) {
      r.error(where, `VIP ${svc.vip} is on no LAN of director ${host} (${lans.describe(host)}): a typo? If traffic for it is routed to ${host}, declare it in static_vips with a dev`);
      continue;
    }
    model.static_vips.push({ address: svc.vip, prefix: svc.family === 4 ? 32 : 128, dev: lan.dev, host, derived: true, path: where });
  }
}

export function unknownHost(name: string, known: Set<string>): string {
  const near = [...known].map((k) => [k, distance(k, name)] as const).sort((a, b) => a[1] - b[1])[0];
  const hint = near && near[1] <= Math.max(2, name.length / 3) ? ` (did you mean "${near[0]}"?)` : '';
  return `host "${name}" is not in the inventory${hint}`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
