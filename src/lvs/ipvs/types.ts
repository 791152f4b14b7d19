/**
 * The IPVS table as data. The same shape is produced by the parsers (live state), built from the cluster model
 * (desired state) and compared by the planner and by verify. Plain and JSON-serialisable.
 */

export type ServiceKind = 'tcp' | 'udp' | 'sctp' | 'fwmark';
export type AddressFamily = 'inet' | 'inet6';
/** `local` is the kernel's LOCALNODE: never requested, reported when a destination is a director address. */
export type ForwardMethod = 'nat' | 'dr' | 'tun' | 'local';
export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';

export interface Persistence {
  /** Seconds (ipvsadm's `-p` default is 360). */
  timeout: number;
  /** IPv4 dotted mask or IPv6 prefix length; absent = a single client address (/32, /128). */
  netmask?: string;
}

/**
 * Counters from `--stats` (totals). From `--rate` the same fields hold per-second values
 * (conns = CPS, inPkts = InPPS, outPkts = OutPPS, inBytes = InBPS, outBytes = OutBPS).
 */
export interface TrafficStats {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
  /**
   * Fields ipvsadm printed with a K/M/G/T suffix (value rounded down to that unit): the number is a lower bound.
   * Absent when every value is exact.
   */
  approximate?: Array<'conns' | 'inPkts' | 'outPkts' | 'inBytes' | 'outBytes'>;
}

export interface DestCounters {
  activeConn: number;
  inactConn: number;
  /** Only from `--persistent-conn`. */
  persistConn?: number;
}

export interface Destination {
  /** IPv4 dotted quad or IPv6 (no brackets); a host name when read from a non-numeric listing. */
  address: string;
  /** 0 for fwmark DR/TUN destinations that keep the packet's port. */
  port: number;
  /** Set instead of a meaningful `port` when a non-numeric listing printed a service name (`http`). */
  portName?: string;
  method: ForwardMethod;
  /** 0..65535; 0 = quiescent (no new connections). */
  weight: number;
  /** `-x`: 0 or absent = no limit. */
  upperThreshold?: number;
  /** `-y`: 0 or absent = no limit. */
  lowerThreshold?: number;
  tunType?: TunnelType;
  /** GUE only. */
  tunPort?: number;
  tunCsum?: TunnelChecksum;
  /** Live state only (`-Ln`, `--thresholds`, `--persistent-conn`). */
  counters?: DestCounters;
  stats?: TrafficStats;
  rate?: TrafficStats;
}

export interface VirtualService {
  kind: ServiceKind;
  family: AddressFamily;
  /** Absent for fwmark services. */
  address?: string;
  port?: number;
  /** Set when a non-numeric listing printed a service name instead of the port. */
  portName?: string;
  /** fwmark services only; always an unsigned 32-bit value (ipvsadm <= 1.31 prints marks >= 2^31 negative). */
  fwmark?: number;
  scheduler: string;
  /** e.g. `sh-fallback`, `sh-port`, `mh-port`, `flag-1`. */
  schedFlags: string[];
  persistence?: Persistence;
  /** Persistence engine (`sip`). */
  pe?: string;
  /** One-packet scheduling (UDP and fwmark only). */
  ops: boolean;
  destinations: Destination[];
  stats?: TrafficStats;
  rate?: TrafficStats;
}

export interface IpvsTimeouts {
  tcp: number;
  tcpfin: number;
  udp: number;
}

export interface IpvsTable {
  services: VirtualService[];
  timeouts?: IpvsTimeouts;
  /** From the banner, when printed: kernel IPVS version and connection hash table size. */
  version?: string;
  connTableSize?: number;
  /** False when the listing was not numeric (host names, service names): not fit for planning. */
  numeric?: boolean;
}

/** Default values of a field when ipvsadm leaves it out (lvs-reference §1). */
export const IPVS_DEFAULTS = {
  scheduler: 'wlc',
  persistenceTimeout: 360,
  weight: 1,
  method: 'dr' as ForwardMethod,
  timeouts: { tcp: 900, tcpfin: 120, udp: 300 } as IpvsTimeouts,
};
