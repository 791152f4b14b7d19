/**
 * Which host sits on which LAN, from the host var `lvs_interfaces: { dev: CIDR }`. Two hosts "share a LAN"
 * when they have addresses in the same network; that is all the topology the cross-host checks need.
 */
import { contains, formatIp, networkOf, parseCidr, parseIp, sameIp, type Cidr } from './net.js';
import { cidr as cidrGrammar } from '../../grammar/ip.js';

export interface HostAddr {
  host: string;
  dev: string;
  cidr: Cidr;
  /** Canonical address text, without prefix. */
  address: string;
  /** Network key, e.g. `192.0.2.0/24`. */
  network: string;
  /** Position in `lvs_interfaces.DEV` when that is a list (for errors pointing at the entry). */
  index?: number;
}

export class Lans {
  private readonly byHost = new Map<string, HostAddr[]>();
  /** `host: dev=value` entries that did not parse, for the loader to report (`index` when the value is a list). */
  readonly invalid: { host: string; dev: string; value: string; index?: number; reason: string }[] = [];

  constructor(interfaces: Record<string, Record<string, unknown>>) {
    for (const [host, devs] of Object.entries(interfaces)) {
      const list: HostAddr[] = [];
      for (const [dev, value] of Object.entries(devs)) {
        (Array.isArray(value) ? value : [value]).forEach((text, i) => {
          const reason = typeof text === 'string' ? cidrGrammar(text, { required: true }) : `is a ${text === null ? 'null' : typeof text}, not text`;
          const cidr = reason === null ? parseCidr(text as string) : null;
          if (!cidr) {
            this.invalid.push({ host, dev, value: String(text), reason: reason ?? 'is not an address/prefix', ...(Array.isArray(value) ? { index: i } : {}) });
            return;
          }
          list.push({ host, dev, cidr, address: formatIp(cidr), network: networkOf(cidr), ...(Array.isArray(value) ? { index: i } : {}) });
        });
      }
      this.byHost.set(host, list);
    }
  }

  knows(host: string): boolean {
    return (this.byHost.get(host)?.length ?? 0) > 0;
  }

  addrs(host: string): HostAddr[] {
    return this.byHost.get(host) ?? [];
  }

  /** `host`'s address on `network`, if it has one. */
  onNetwork(host: string, network: string): HostAddr | undefined {
    return this.addrs(host).find((a) => a.network === network);
  }

  /** `host`'s address whose subnet contains `address` (the interface an address "belongs" to). */
  subnetOf(host: string, address: string): HostAddr | undefined {
    const ip = parseIp(address);
    return ip ? this.addrs(host).find((a) => contains(a.cidr, ip)) : undefined;
  }

  /** Every host whose own address is exactly `address`. */
  owners(address: string): HostAddr[] {
    const ip = parseIp(address);
    if (!ip) return [];
    return [...this.byHost.values()].flat().filter((a) => sameIp(a.cidr, ip));
  }

  /** `host`'s addresses on a network where `other` also has an address. */
  sharedWith(host: string, other: string): HostAddr[] {
    const nets = new Set(this.addrs(other).map((a) => a.network));
    return this.addrs(host).filter((a) => nets.has(a.network));
  }

  /** `dev 198.51.100.2/24, ...`: what an operator needs to see in an error about a host's LANs. */
  describe(host: string): string {
    const list = this.addrs(host);
    return list.length ? list.map((a) => `${a.dev} ${a.address}/${a.cidr.prefix}`).join(', ') : 'no lvs_interfaces';
  }
}
