import { addressesFact, defaultRoutesFact, parseAddresses, parseRoutes } from './net.js';
import { combine, IncompleteReadError, splitFramed, type Fact } from './sections.js';
import { parseSysctl, sysctlFact } from './sysctl.js';

/**
 * What verify reads of a director's or realserver's network: every device's addresses (a VIP on the wrong
 * device is drift too), the default routes (a NAT realserver answers through its director) and the sysctls
 * the model cares about, read at the same /proc/sys path the sysctl module writes.
 */

export interface HostNetState {
  /** dev -> addresses with prefix (`198.51.100.10/32`), from `ip -j addr`. */
  addresses: Map<string, Set<string>>;
  /** Devices with the UP flag. */
  up: Set<string>;
  /** name -> live value (whitespace-normalised), null when the key is missing or unreadable. */
  sysctls: Map<string, string | null>;
  /** Gateways of the default routes (main table). */
  defaultVia: string[];
}

/** Sysctl parts are keyed `sysctl:NAME`, so the parse needs nothing but the output. */
export function hostNetFact(sysctlNames: string[]): Fact<HostNetState> {
  const parts: Record<string, Fact<unknown>> = { addr: addressesFact(), route: defaultRoutesFact() };
  for (const name of sysctlNames) parts[`sysctl:${name}`] = sysctlFact(name);
  const read = combine(parts);
  return { name: 'network', script: read.script, parse: parseHostNet };
}

export function parseHostNet(out: string): HostNetState {
  const { sections, ended } = splitFramed(out);
  const addr = sections.get('addr');
  const route = sections.get('route');
  if (!ended || addr === undefined || route === undefined) throw new IncompleteReadError('the network read stopped before its end');
  const links = parseAddresses(addr);
  const sysctls = new Map<string, string | null>();
  for (const [key, text] of sections) if (key.startsWith('sysctl:')) sysctls.set(key.slice(7), parseSysctl(text).value ?? null);
  return {
    addresses: new Map(links.map((l) => [l.ifname, new Set(l.addresses.map((a) => `${a.local}/${a.prefixlen}`))])),
    up: new Set(links.filter((l) => l.up).map((l) => l.ifname)),
    sysctls,
    defaultVia: parseRoutes(route).map((r) => r.gateway).filter((g): g is string => Boolean(g)),
  };
}
