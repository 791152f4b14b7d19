/**
 * The LVS cluster model after loading: every default applied, every host reference resolved to an
 * address, every cross-host check passed. Roles, the keepalived renderer and the ipvs module read this.
 */
import type { ConfigIssue } from '../../errors.js';

export type Method = 'nat' | 'dr' | 'tun';
export type Protocol = 'tcp' | 'udp' | 'fwmark';
export type Scheduler =
  | 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'sed' | 'nq' | 'fo' | 'ovf' | 'mh' | 'twos';
export type SchedFlag = 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port' | 'flag-1' | 'flag-2' | 'flag-3';
export type VrrpState = 'MASTER' | 'BACKUP';

export interface TcpCheck {
  type: 'TCP_CHECK';
  connect_port?: number;
  connect_ip?: string;
  connect_timeout?: number;
  retry?: number;
  delay_before_retry?: number;
}
export interface HttpCheck {
  type: 'HTTP_GET' | 'SSL_GET';
  path: string;
  status_code: number;
  connect_port?: number;
  connect_ip?: string;
  connect_timeout?: number;
  retry?: number;
  delay_before_retry?: number;
  virtualhost?: string;
}
export interface MiscCheck {
  type: 'MISC_CHECK';
  misc_path: string;
  misc_timeout?: number;
  misc_dynamic?: boolean;
}
export type HealthCheck = TcpCheck | HttpCheck | MiscCheck;

export interface RealServer {
  /** Inventory host, or undefined for an address lvsible does not manage. */
  host?: string;
  /** The address the director forwards to (RIP), canonical text. */
  address: string;
  family: 4 | 6;
  method: Method;
  /** Always set: DR/TUN equal the virtual port (0 for fwmark), NAT may differ. */
  port: number;
  weight: number;
  u_threshold: number;
  l_threshold: number;
  health_check: HealthCheck | null;
  /** Dotted path inside cluster.yml, for errors found later (verify, plan). */
  path: (string | number)[];
}

export interface VirtualService {
  name: string;
  protocol: Protocol;
  /** VIP (canonical text); for fwmark services the VIP the marked traffic is addressed to, if given. */
  vip?: string;
  family: 4 | 6;
  port: number;
  fwmark?: number;
  scheduler: Scheduler;
  sched_flags: SchedFlag[];
  /** Seconds; 0 = not persistent. */
  persistence_timeout: number;
  /** Prefix length (32/128 = per client address). */
  persistence_prefix: number;
  ops: boolean;
  delay_loop: number;
  sorry_server?: { address: string; port: number; method: Method };
  realservers: RealServer[];
  path: (string | number)[];
}

export interface VrrpAddress {
  /** Canonical address without prefix. */
  address: string;
  prefix: number;
  dev: string;
}

export interface VrrpInstance {
  name: string;
  interface: string;
  virtual_router_id: number;
  advert_int: number;
  /** Per director: state and priority. */
  members: { host: string; state: VrrpState; priority: number }[];
  nopreempt: boolean;
  authentication?: { type: 'PASS' | 'AH'; pass: string };
  unicast: boolean;
  addresses: VrrpAddress[];
  path: (string | number)[];
}

export interface StaticVip extends VrrpAddress {
  host: string;
  /** True when lvsible placed it (single director, no keepalived) rather than the operator. */
  derived: boolean;
  path: (string | number)[];
}

export interface ClusterModel {
  file: string;
  manager: 'keepalived' | 'ipvsadm';
  directors: string[];
  /** Each managed host's LAN addresses (from `lvs_interfaces`): dev -> CIDR texts. */
  interfaces: Record<string, Record<string, string[]>>;
  virtual_services: VirtualService[];
  vrrp_instances: VrrpInstance[];
  /** VIPs placed on a director's interface because no keepalived instance carries them. */
  static_vips: StaticVip[];
  sync_daemon?: { interface: string; instance?: string; id?: number };
  timeouts?: { tcp: number; tcpfin: number; udp: number };
  /** lvsible sets ip_forward=1 on the directors when NAT is used (on by default). */
  manage_ip_forward: boolean;
  /** net.ipv4.vs.* on the directors, defaults applied (src/lvs/model/director-sysctls.ts). */
  ipvs_sysctls: IpvsSysctls;
  /** Problems worth reading that do not stop a run. */
  warnings: ConfigIssue[];
}

/** The net.ipv4.vs keys `lvs.ipvs_sysctls` manages. */
export type IpvsSysctlKey =
  | 'expire_nodest_conn' | 'expire_quiescent_template' | 'sloppy_tcp' | 'schedule_icmp' | 'conn_reuse_mode'
  | 'sync_threshold' | 'sync_refresh_period' | 'sync_retries' | 'sync_persist_mode' | 'sync_ports';

/** A value as the kernel prints it (`3 50` for a vector), `auto` (conn_reuse_mode, per kernel), or null: not managed. */
export type IpvsSysctlValue = number | string | null;

export type IpvsSysctls = Record<IpvsSysctlKey, IpvsSysctlValue> & {
  /** The keys cluster.yml sets itself (the others hold their defaults). */
  explicit: IpvsSysctlKey[];
};
