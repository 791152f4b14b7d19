import { familyOf } from './keys.js';
import type { Destination, IpvsTimeouts, VirtualService } from './types.js';

/**
 * Parameters of the `ipvs` module: the declared table in the same shape as VirtualService (minus the live
 * counters), so the director role can pass what it builds from the cluster model as is.
 */

export type DestinationParam = Omit<Destination, 'counters' | 'stats' | 'rate' | 'portName' | 'method' | 'port' | 'weight'> & {
  method: 'nat' | 'dr' | 'tun';
  port?: number;
  weight?: number;
};

export type ServiceParam = Omit<VirtualService, 'stats' | 'rate' | 'portName' | 'destinations' | 'family' | 'scheduler' | 'schedFlags' | 'ops'> & {
  family?: VirtualService['family'];
  scheduler?: string;
  schedFlags?: string[];
  ops?: boolean;
  destinations: DestinationParam[];
};

export interface IpvsParams {
  services: ServiceParam[];
  timeouts?: IpvsTimeouts;
  drain?: boolean;
  drain_timeout?: number;
  persist?: boolean;
  purge?: boolean;
}

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];
const IP = '^[0-9A-Fa-f:.]+$';
const u32 = (description: string, minimum = 0) => ({ type: 'integer', minimum, maximum: 4294967295, description });

const destinationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['address', 'method'],
  properties: {
    address: { type: 'string', pattern: IP, description: 'Real server address, IPv4 or IPv6 literal (no host names: listings are compared numerically).' },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Real server port. Default: the service port (0 for fwmark services). DR and TUN always use the service port (ipvsadm forces it).' },
    method: { enum: ['nat', 'dr', 'tun'], description: 'Forwarding method: nat (masquerading, -m), dr (direct routing, -g), tun (IPIP tunnel, -i). Methods may be mixed within one service.' },
    weight: { type: 'integer', minimum: 0, maximum: 65535, description: 'Scheduling weight (default 1); 0 = quiescent: no new connections.' },
    upperThreshold: u32('Upper connection threshold (-x); 0 or absent = unlimited.'),
    lowerThreshold: u32('Lower connection threshold (-y); 0 or absent = unset.'),
    tunType: { enum: ['ipip', 'gue', 'gre'], description: 'Tunnel encapsulation for tun destinations (default ipip; gue/gre need ipvsadm 1.31 and Linux 5.2/5.3).' },
    tunPort: { type: 'integer', minimum: 1, maximum: 65535, description: 'GUE destination port (required with tunType gue).' },
    tunCsum: { enum: ['nocsum', 'csum', 'remcsum'], description: 'Tunnel checksum mode (gue: all three; gre: nocsum or csum).' },
  },
} as const;

export const ipvsParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['services'],
  properties: {
    services: {
      type: 'array',
      description: 'The virtual services this director should have, each with its real servers. Compared as a set with the live table.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'destinations'],
        properties: {
          kind: { enum: ['tcp', 'udp', 'sctp', 'fwmark'], description: 'Protocol of the virtual service, or fwmark for a firewall-mark service.' },
          family: { enum: ['inet', 'inet6'], description: 'Address family. Default: from the address; inet for fwmark services (set inet6 for IPv6 fwmark services).' },
          address: { type: 'string', pattern: IP, description: 'Virtual IP (VIP), IPv4 or IPv6 literal. Not for fwmark services.' },
          port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Virtual port. 0 only with persistence. Not for fwmark services.' },
          fwmark: u32('Firewall mark (1..4294967295), for kind fwmark.', 1),
          scheduler: { enum: SCHEDULERS, description: 'Scheduling algorithm (default wlc).' },
          schedFlags: {
            type: 'array',
            items: { enum: ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3'] },
            description: 'Scheduler flags (-b): sh-* only with sh, mh-* only with mh.',
          },
          persistence: {
            type: 'object',
            additionalProperties: false,
            required: ['timeout'],
            description: 'Client persistence: connections from one client (or netmask) go to the same real server.',
            properties: {
              timeout: { type: 'integer', minimum: 1, maximum: 2678400, description: 'Seconds (ipvsadm default 360).' },
              netmask: { type: 'string', pattern: '^(\\d{1,3}(\\.\\d{1,3}){3}|\\d{1,3})$', description: 'Group clients by this mask: IPv4 dotted (255.255.255.0) or IPv6 prefix length (64).' },
            },
          },
          pe: { enum: ['sip'], description: 'Persistence engine (needs persistence).' },
          ops: { type: 'boolean', description: 'One-packet scheduling: schedule every datagram on its own (UDP and fwmark only).' },
          destinations: { type: 'array', items: destinationSchema, description: 'Real servers of this service.' },
        },
        allOf: [
          {
            if: { properties: { kind: { const: 'fwmark' } }, required: ['kind'] },
            then: { required: ['fwmark'], not: { anyOf: [{ required: ['address'] }, { required: ['port'] }] } },
            else: { required: ['address', 'port'], not: { required: ['fwmark'] } },
          },
        ],
      },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      required: ['tcp', 'tcpfin', 'udp'],
      description: 'IPVS connection timeouts in seconds (ipvsadm --set); 0 keeps the current value. Kernel defaults 900 120 300.',
      properties: {
        tcp: { type: 'integer', minimum: 0, maximum: 2678400, description: 'Established TCP connections.' },
        tcpfin: { type: 'integer', minimum: 0, maximum: 2678400, description: 'TCP connections after FIN.' },
        udp: { type: 'integer', minimum: 0, maximum: 2678400, description: 'UDP entries.' },
      },
    },
    drain: { type: 'boolean', description: 'Drain a real server that leaves a service: weight 0, then delete once its connections are gone or drain_timeout passes (default true; UDP is deleted at once).' },
    drain_timeout: { type: 'integer', minimum: 0, maximum: 86400, description: 'Seconds to wait for a draining real server (default 30).' },
    persist: { type: 'boolean', description: 'Save the table for the next boot: /etc/ipvsadm.rules + AUTO="true" (Debian) or /etc/sysconfig/ipvsadm + ipvsadm.service enabled (RHEL). Default true.' },
    purge: { type: 'boolean', description: 'Delete live services that are not declared here (default true). false: leave them alone.' },
  },
} as const;

/** Params to the declared table: defaults filled in, the way ipvsadm would fill them. */
export function tableFromParams(p: IpvsParams): { services: VirtualService[]; timeouts?: IpvsTimeouts } {
  const services = p.services.map((s): VirtualService => {
    const vs: VirtualService = {
      kind: s.kind,
      family: s.family ?? (s.kind === 'fwmark' ? 'inet' : familyOf(s.address ?? '')),
      scheduler: s.scheduler ?? 'wlc',
      schedFlags: s.schedFlags ?? [],
      ops: s.ops ?? false,
      destinations: [],
    };
    if (s.kind === 'fwmark') vs.fwmark = s.fwmark ?? 0;
    else {
      vs.address = s.address ?? '';
      vs.port = s.port ?? 0;
    }
    if (s.persistence) vs.persistence = { ...s.persistence };
    if (s.pe) vs.pe = s.pe;
    vs.destinations = s.destinations.map((d) => {
      const { method, port, weight, ...rest } = d;
      return { ...rest, method, port: port ?? (s.kind === 'fwmark' ? 0 : vs.port ?? 0), weight: weight ?? 1 };
    });
    return vs;
  });
  return { services, ...(p.timeouts ? { timeouts: p.timeouts } : {}) };
}
