/** cluster.yml as the schema admits it, before defaults and host resolution. */

type CheckRaw = false | ({ type: string } & Record<string, unknown>);

export interface RawRealServer {
  host?: string;
  address?: string;
  method: 'nat' | 'dr' | 'tun';
  port?: number;
  weight?: number;
  u_threshold?: number;
  l_threshold?: number;
  health_check?: CheckRaw;
}

export interface RawVirtualService {
  name?: string;
  protocol?: 'tcp' | 'udp' | 'fwmark';
  vip?: string;
  port?: number;
  fwmark?: number;
  family?: 'ipv4' | 'ipv6';
  scheduler?: string;
  scheduler_flags?: string[];
  persistence?: number | { timeout?: number; netmask?: string | number };
  ops?: boolean;
  delay_loop?: number;
  health_check?: CheckRaw;
  sorry_server?: { address: string; port?: number; method?: 'nat' | 'dr' | 'tun' };
  realservers: RawRealServer[];
}

export interface RawVrrp {
  name: string;
  interface: string;
  virtual_router_id: number;
  advert_int?: number;
  priority: Record<string, number>;
  state?: Record<string, 'MASTER' | 'BACKUP'>;
  nopreempt?: boolean;
  authentication?: { type?: 'PASS' | 'AH'; pass: string };
  unicast?: boolean;
  virtual_ipaddress: (string | { address: string; dev?: string })[];
}

export interface RawCluster {
  lvs: {
    manager?: 'keepalived' | 'ipvsadm';
    directors: string[];
    manage_ip_forward?: boolean;
    virtual_services: RawVirtualService[];
    vrrp_instances?: RawVrrp[];
    static_vips?: { address: string; dev?: string; host: string }[];
    sync_daemon?: { interface: string; instance?: string; id?: number };
    timeouts?: { tcp?: number; tcpfin?: number; udp?: number };
  };
}
