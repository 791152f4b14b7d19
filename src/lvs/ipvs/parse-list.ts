import { serviceKey } from './keys.js';
import {
  endpoint,
  numberIn,
  numericEndpoint,
  IpvsParseError,
  ipvsUnavailableMessage,
  IpvsUnavailableError,
  serviceHead,
  serviceOptions,
  tokenize,
  trafficStats,
  uint,
  int,
  type Line,
  type ServiceHead,
} from './parse-common.js';
import type { Destination, ForwardMethod, IpvsTable, TrafficStats, TunnelChecksum, VirtualService } from './types.js';

/**
 * `ipvsadm -Ln` and its format variants, recognised from the header lines (lvs-reference §2):
 * the default listing, --thresholds, --persistent-conn and --tun-info carry the service spec;
 * --stats and --rate carry only counters.
 */
export type FullFormat = 'list' | 'tun-info';
/** These print no Forward column (and --thresholds no weight): those fields are absent from their destinations. */
export type PartialFormat = 'thresholds' | 'persistent-conn';
export type SpecFormat = FullFormat | PartialFormat;
export type CounterFormat = 'stats' | 'rate';
export type ListFormat = SpecFormat | CounterFormat;

export type PartialDestination = Omit<Destination, 'method' | 'weight'> & Partial<Pick<Destination, 'method' | 'weight'>>;
export type PartialTable = Omit<IpvsTable, 'services'> & {
  services: Array<Omit<VirtualService, 'destinations'> & { destinations: PartialDestination[] }>;
};

export type SpecListing = (IpvsTable & { format: FullFormat }) | (PartialTable & { format: PartialFormat });

/** --stats / --rate: service identities and counters, no scheduler, method or weight. */
export interface CounterListing {
  format: CounterFormat;
  version?: string;
  connTableSize?: number;
  numeric: boolean;
  services: Array<ServiceHead & { stats: TrafficStats; destinations: Array<{ address: string; port: number; portName?: string; stats: TrafficStats }> }>;
}

export type IpvsListing = SpecListing | CounterListing;

const BANNER = /^IP Virtual Server version (\d+\.\d+\.\d+) \(size=(\d+)\)$/;
const METHODS: Record<string, ForwardMethod> = { Masq: 'nat', Route: 'dr', Tunnel: 'tun', Local: 'local' };

/** Parse any `ipvsadm -L -n` listing, with or without the banner. */
export function parseList(text: string): IpvsListing {
  return parseListWith(text, true);
}

/**
 * parseList with the destination-line fast path on or off. Off is the careful path alone: the reference the
 * fast path is tested against (test/unit/ipvs-parse-fast.test.ts), not for production use.
 */
export function parseListWith(text: string, fast: boolean): IpvsListing {
  const unavailable = ipvsUnavailableMessage(text);
  if (unavailable) throw new IpvsUnavailableError(unavailable);
  let format: ListFormat = 'list';
  let version: string | undefined;
  let connTableSize: number | undefined;
  let numeric = true;
  const specs: PartialTable['services'] = [];
  const counters: CounterListing['services'] = [];
  let current: PartialTable['services'][number] | CounterListing['services'][number] | undefined;
  const seen = new Map<string, number>();

  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    // Destination lines (all but a few of a big table's) in the common numeric layouts are read in place
    // (fastDest); anything it does not vouch for, errors included, takes the careful path below.
    if (fast && current !== undefined && format !== 'stats' && format !== 'rate') {
      const next = fastDests(raw, i, format, (current as PartialTable['services'][number]).destinations);
      if (next > i) {
        i = next - 1;
        continue;
      }
    }
    const t = tokenize(raw[i]!);
    if (!t.length) continue;
    const line: Line = { no: i + 1, text: raw[i]!, tokens: t };
    if (t[0] === '->') {
      if (t[1] === 'RemoteAddress:Port') {
        if (t[2] === 'Uthreshold') format = 'thresholds';
        else if (t[2] === 'Weight' && t[3] === 'PersistConn') format = 'persistent-conn';
        else if (t[3] === 'TunnelInfo') format = 'tun-info';
        continue;
      }
      if (!current) throw new IpvsParseError(line.no, line.text, 'destination line before any service line');
      const ep = endpoint(t[1] ?? '', line);
      if (!ep.numeric) numeric = false;
      if (format === 'stats' || format === 'rate') {
        const d: CounterListing['services'][number]['destinations'][number] = { address: ep.address, port: ep.port, stats: trafficStats(t.slice(2), line) };
        if (ep.portName) d.portName = ep.portName;
        (current as CounterListing['services'][number]).destinations.push(d);
      } else {
        const d = destFields(format, t, line, ep.address, ep.port);
        if (ep.portName) d.portName = ep.portName;
        (current as PartialTable['services'][number]).destinations.push(d);
      }
    } else if (t[0] === 'IP' && t[1] === 'Virtual') {
      const banner = BANNER.exec(raw[i]!.trim());
      if (!banner) throw new IpvsParseError(line.no, line.text, 'unreadable banner');
      version = banner[1];
      connTableSize = Number(banner[2]);
    } else if (t[0] === 'Prot') {
      // ipvsadm 1.31 puts the --thresholds and --persistent-conn column names on this first line (captured on
      // the lab); the `->` line check above also accepts them on the second line.
      if (t[2] === 'Conns') format = 'stats';
      else if (t[2] === 'CPS') format = 'rate';
      else if (t[2] === 'Uthreshold') format = 'thresholds';
      else if (t[2] === 'Weight' && t[3] === 'PersistConn') format = 'persistent-conn';
    } else {
      const { head, used, numeric: n } = serviceHead(line);
      if (!n) numeric = false;
      // ipvsadm prints each service once: a second one is not a listing (an edited or concatenated file), and
      // merging them would let the last block decide what verify compares.
      const key = serviceKey(head as Parameters<typeof serviceKey>[0]);
      const first = seen.get(key);
      if (first !== undefined) throw new IpvsParseError(line.no, line.text, `the service is listed twice (first at line ${first}): not one ipvsadm listing`);
      seen.set(key, line.no);
      const rest = t.slice(used);
      if (format === 'stats' || format === 'rate') {
        current = { ...head, stats: trafficStats(rest, line), destinations: [] };
        counters.push(current);
      } else {
        if (!rest[0]) throw new IpvsParseError(line.no, line.text, 'service line without a scheduler');
        current = { ...head, scheduler: rest[0], ...serviceOptions(rest.slice(1), line), destinations: [] };
        specs.push(current);
      }
    }
  }
  const meta = { ...(version ? { version } : {}), ...(connTableSize !== undefined ? { connTableSize } : {}), numeric };
  if (format === 'stats' || format === 'rate') return { format, ...meta, services: counters };
  if (format === 'thresholds' || format === 'persistent-conn') return { format, ...meta, services: specs };
  // Full formats: every destination line went through a branch that sets method and weight.
  return { format, ...meta, services: specs as VirtualService[] };
}

/** A listing that must carry the service spec (planning, verify): counters-only formats are refused. */
export function parseTable(text: string): IpvsTable {
  const listing = parseList(text);
  if (listing.format !== 'list' && listing.format !== 'tun-info') {
    throw new IpvsParseError(1, text.split('\n')[0] ?? '', `this is \`ipvsadm -Ln --${listing.format}\` output, which lacks forwarding methods or weights`);
  }
  const { format: _format, ...table } = listing;
  return table;
}


function method(token: string | undefined, line: Line): ForwardMethod {
  const m = token === undefined ? undefined : METHODS[token];
  if (!m) throw new IpvsParseError(line.no, line.text, `unknown forwarding method ${token ?? '(missing)'}`);
  return m;
}

/** `n` counts every token of the line, `->` and the address included. */
function expectCount(tokens: string[], n: number, line: Line): void {
  if (tokens.length !== n) throw new IpvsParseError(line.no, line.text, `expected ${n - 2} columns after the address, got ${tokens.length - 2}`);
}

/** Columns after `->` and the address, per format. Objects get their fields in one order (one hidden class). */
function destFields(format: SpecFormat, tokens: string[], line: Line, address: string, port: number): PartialDestination {
  const t = tokens;
  switch (format) {
    case 'list':
      expectCount(t, 6, line);
      return {
        address,
        port,
        method: method(t[2], line),
        weight: int(t[3], line, 'a weight'),
        counters: { activeConn: uint(t[4], line, 'ActiveConn'), inactConn: uint(t[5], line, 'InActConn') },
      };
    case 'thresholds': {
      // No method or weight in this format: the caller merges it with -Sn (thresholds are not saved there).
      expectCount(t, 6, line);
      const d: PartialDestination = {
        address,
        port,
        counters: { activeConn: uint(t[4], line, 'ActiveConn'), inactConn: uint(t[5], line, 'InActConn') },
      };
      const upper = uint(t[2], line, 'Uthreshold');
      const lower = uint(t[3], line, 'Lthreshold');
      if (upper) d.upperThreshold = upper;
      if (lower) d.lowerThreshold = lower;
      return d;
    }
    case 'persistent-conn':
      expectCount(t, 6, line);
      return {
        address,
        port,
        weight: int(t[2], line, 'a weight'),
        counters: {
          persistConn: uint(t[3], line, 'PersistConn'),
          activeConn: uint(t[4], line, 'ActiveConn'),
          inactConn: uint(t[5], line, 'InActConn'),
        },
      };
    case 'tun-info':
      expectCount(t, 7, line);
      return {
        address,
        port,
        method: method(t[2], line),
        ...tunnelInfo(t[3]!, line),
        weight: int(t[4], line, 'a weight'),
        counters: { activeConn: uint(t[5], line, 'ActiveConn'), inactConn: uint(t[6], line, 'InActConn') },
      };
  }
}

const CSUM: Record<string, TunnelChecksum> = { '-c': 'nocsum', '+c': 'csum', 'r+c': 'remcsum' };

/** `ipip`, `gue:6080:-c`, `gre:+c`, `n/a` (non-tunnel destinations). */
function tunnelInfo(token: string, line: Line): Pick<Destination, 'tunType' | 'tunPort' | 'tunCsum'> {
  if (token === 'n/a') return {};
  const [type, a, b] = token.split(':');
  if (type === 'ipip') return { tunType: 'ipip' };
  if (type === 'gue' && a && b && CSUM[b]) return { tunType: 'gue', tunPort: uint(a, line, 'a GUE port'), tunCsum: CSUM[b] };
  if (type === 'gre' && a && CSUM[a]) return { tunType: 'gre', tunCsum: CSUM[a] };
  throw new IpvsParseError(line.no, line.text, `unknown tunnel info ${token}`);
}

/*
 * The fast path for one destination line: one charCodeAt pass over the line, no token array, no Line object,
 * numbers read in place. It only ever answers for lines the careful path (tokenize, endpoint, destFields)
 * would read without complaint, as a numeric endpoint without a port name, and then with the very same
 * object (same fields, same order); for anything else it answers undefined and the careful path decides,
 * error message and column included. test/unit/ipvs-parse-fast.test.ts holds the two paths to that.
 */

/** s[from, to) is exactly `word`. */
function spells(s: string, from: number, to: number, word: string): boolean {
  if (to - from !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (s.charCodeAt(from + k) !== word.charCodeAt(k)) return false;
  return true;
}

/** s[from, to) if it is one of ipvsadm's forwarding methods. */
function methodIn(s: string, from: number, to: number): ForwardMethod | undefined {
  switch (s.charCodeAt(from)) {
    case 77: return spells(s, from, to, 'Masq') ? 'nat' : undefined;
    case 82: return spells(s, from, to, 'Route') ? 'dr' : undefined;
    case 84: return spells(s, from, to, 'Tunnel') ? 'tun' : undefined;
    case 76: return spells(s, from, to, 'Local') ? 'local' : undefined;
  }
  return undefined;
}

/**
 * The run of destination lines from raw[from] that fastDest reads, added to `into`; the index of the first line
 * it does not (the careful path's). A small loop of its own: the JIT optimises it apart from parseListWith.
 */
function fastDests(raw: string[], from: number, format: SpecFormat, into: PartialDestination[]): number {
  let i = from;
  for (; i < raw.length; i++) {
    const d = fastDest(raw[i]!, format);
    if (d === undefined) break;
    into.push(d);
  }
  return i;
}

/** Token k of the line is s[at[2k], at[2k+1]): tokenize's cuts, without the strings. Reused (no allocation). */
const at = new Int32Array(16);

function fastDest(s: string, format: SpecFormat): PartialDestination | undefined {
  // tokenize's loop, recording where each token starts and ends; more than 8 tokens is never a fast line.
  const n = s.length;
  let k = 0;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (k === 16) return undefined;
    at[k++] = i;
    while (i < n && (c = s.charCodeAt(i)) !== 32 && c !== 9 && c !== 13) i++;
    at[k++] = i;
  }
  // As many tokens as destFields' expectCount wants, the first one `->`.
  if (k !== (format === 'tun-info' ? 14 : 12) || at[1]! - at[0]! !== 2 || s.charCodeAt(at[0]!) !== 45 || s.charCodeAt(at[0]! + 1) !== 62) return undefined;
  // The endpoint: `a.b.c.d:port` or `[v6]:port`, numeric (a host or service name takes the careful path).
  const a0 = at[2]!;
  const a1 = at[3]!;
  const colon = numericEndpoint(s, a0, a1);
  if (colon < 0) return undefined;
  const port = numberIn(s, colon + 1, a1, false);
  const address = s.charCodeAt(a0) === 91 ? s.slice(a0 + 1, colon - 1) : s.slice(a0, colon);
  switch (format) {
    case 'list': {
      const method = methodIn(s, at[4]!, at[5]!);
      const weight = numberIn(s, at[6]!, at[7]!, true);
      const activeConn = numberIn(s, at[8]!, at[9]!, false);
      const inactConn = numberIn(s, at[10]!, at[11]!, false);
      if (method === undefined || Number.isNaN(weight) || Number.isNaN(activeConn) || Number.isNaN(inactConn)) return undefined;
      return { address, port, method, weight, counters: { activeConn, inactConn } };
    }
    case 'tun-info': {
      const method = methodIn(s, at[4]!, at[5]!);
      // `n/a` and plain `ipip` only; GUE and GRE options take the careful path.
      const ipip = spells(s, at[6]!, at[7]!, 'ipip');
      if (method === undefined || (!ipip && !spells(s, at[6]!, at[7]!, 'n/a'))) return undefined;
      const weight = numberIn(s, at[8]!, at[9]!, true);
      const activeConn = numberIn(s, at[10]!, at[11]!, false);
      const inactConn = numberIn(s, at[12]!, at[13]!, false);
      if (Number.isNaN(weight) || Number.isNaN(activeConn) || Number.isNaN(inactConn)) return undefined;
      return ipip
        ? { address, port, method, tunType: 'ipip', weight, counters: { activeConn, inactConn } }
        : { address, port, method, weight, counters: { activeConn, inactConn } };
    }
    case 'thresholds': {
      const upper = numberIn(s, at[4]!, at[5]!, false);
      const lower = numberIn(s, at[6]!, at[7]!, false);
      const activeConn = numberIn(s, at[8]!, at[9]!, false);
      const inactConn = numberIn(s, at[10]!, at[11]!, false);
      if (Number.isNaN(upper) || Number.isNaN(lower) || Number.isNaN(activeConn) || Number.isNaN(inactConn)) return undefined;
      const d: PartialDestination = { address, port, counters: { activeConn, inactConn } };
      if (upper) d.upperThreshold = upper;
      if (lower) d.lowerThreshold = lower;
      return d;
    }
    case 'persistent-conn': {
      const weight = numberIn(s, at[4]!, at[5]!, true);
      const persistConn = numberIn(s, at[6]!, at[7]!, false);
      const activeConn = numberIn(s, at[8]!, at[9]!, false);
      const inactConn = numberIn(s, at[10]!, at[11]!, false);
      if (Number.isNaN(weight) || Number.isNaN(persistConn) || Number.isNaN(activeConn) || Number.isNaN(inactConn)) return undefined;
      return { address, port, weight, counters: { persistConn, activeConn, inactConn } };
    }
  }
}
