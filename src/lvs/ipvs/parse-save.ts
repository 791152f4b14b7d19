import { describeService, familyOf, serviceKey } from './keys.js';
import {
  endpoint,
  fwmarkOf,
  IpvsParseError,
  ipvsUnavailableMessage,
  IpvsUnavailableError,
  normalizeNetmask,
  tokenize,
  uint,
  type Line,
  type ServiceHead,
} from './parse-common.js';
import type { Destination, ForwardMethod, IpvsTable, TunnelType, VirtualService } from './types.js';

/**
 * `ipvsadm -S -n` (also a rules file: `#` comment lines and a leading `ipvsadm` token are skipped, as the
 * Debian init script does). Without -n ipvsadm writes host and service names: they are kept as strings and the
 * table is marked non-numeric. Thresholds are never in this format (lvs-reference §3).
 */
export function parseSave(text: string): IpvsTable {
  const unavailable = ipvsUnavailableMessage(text);
  if (unavailable) throw new IpvsUnavailableError(unavailable);
  const services: VirtualService[] = [];
  const byKey = new Map<string, VirtualService>();
  let numeric = true;
  let lastKey = '';
  let last: VirtualService | undefined;
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const all = tokenize(raw[i]!);
    if (!all.length || all[0]!.startsWith('#')) continue;
    const line: Line = { no: i + 1, text: raw[i]!, tokens: all };
    const tokens = all.includes('ipvsadm') ? all.filter((t) => t !== 'ipvsadm') : all;
    const cmd = tokens[0];
    const opts = options(tokens.slice(1), line);
    if (opts.numeric === false) numeric = false;
    if (cmd === '-A' || cmd === '--add-service') {
      const vs: VirtualService = { ...opts.head, ...opts.svc, destinations: [] };
      const key = serviceKey(vs);
      if (byKey.has(key)) throw new IpvsParseError(line.no, line.text, `${describeService(vs)} is added twice`);
      byKey.set(key, vs);
      services.push(vs);
      lastKey = key;
      last = vs;
    } else if (cmd === '-a' || cmd === '--add-server') {
      // -S lists a service's destinations right after it: skip the key lookup while that holds.
      const key = sameHead(last, opts.head) ? lastKey : serviceKey(opts.head);
      const vs = key === lastKey ? last : byKey.get(key);
      lastKey = key;
      last = vs;
      if (!vs) throw new IpvsParseError(line.no, line.text, `destination for ${describeService(opts.head)}, which is not added above`);
      if (!opts.dest) throw new IpvsParseError(line.no, line.text, 'destination line without -r');
      // DR and TUN destinations of address services always use the service port (ipvsadm overwrites it).
      const dest = opts.dest;
      if (!opts.destPortGiven && vs.kind !== 'fwmark') dest.port = vs.port ?? 0;
      vs.destinations.push(dest);
    } else {
      throw new IpvsParseError(line.no, line.text, `expected -A or -a, got ${cmd}`);
    }
  }
  return { services, numeric };
}

interface Parsed {
  head: ServiceHead;
  svc: Omit<VirtualService, keyof ServiceHead | 'destinations'>;
  dest?: Destination;
  destPortGiven: boolean;
  numeric: boolean;
}

const METHOD: Record<string, ForwardMethod> = {
  '-g': 'dr', '--gatewaying': 'dr', '-m': 'nat', '--masquerading': 'nat', '-i': 'tun', '--ipip': 'tun',
};

function options(t: string[], line: Line): Parsed {
  let head: ServiceHead | undefined;
  const svc: Parsed['svc'] = { scheduler: 'wlc', schedFlags: [], ops: false };
  let dest: Destination | undefined;
  let destPortGiven = false;
  let numeric = true;
  let method: ForwardMethod = 'dr';
  let weight = 1;
  const extra: Partial<Destination> = {};
  const value = (i: number): string => {
    const v = t[i];
    if (v === undefined) throw new IpvsParseError(line.no, line.text, `${t[i - 1]} needs a value`);
    return v;
  };
  for (let i = 0; i < t.length; i++) {
    const o = t[i]!;
    if (o === '-t' || o === '--tcp-service' || o === '-u' || o === '--udp-service' || o === '--sctp-service') {
      const ep = endpoint(value(++i), line);
      if (!ep.numeric) numeric = false;
      const kind = o === '-t' || o === '--tcp-service' ? 'tcp' : o === '--sctp-service' ? 'sctp' : 'udp';
      head = { kind, family: familyOf(ep.address), address: ep.address, port: ep.port, ...(ep.portName ? { portName: ep.portName } : {}) };
    } else if (o === '-f' || o === '--fwmark-service') {
      head = { kind: 'fwmark', family: 'inet', fwmark: fwmarkOf(value(++i), line) };
    } else if (o === '-6' || o === '--ipv6') {
      if (head?.kind !== 'fwmark') throw new IpvsParseError(line.no, line.text, '-6 used before -f');
      head.family = 'inet6';
    } else if (o === '-s' || o === '--scheduler') svc.scheduler = value(++i);
    else if (o === '-p' || o === '--persistent') {
      // The timeout is optional: `-p` alone means 360 s.
      const next = t[i + 1];
      svc.persistence = { ...svc.persistence, timeout: next !== undefined && /^\d+$/.test(next) ? uint(t[++i], line, 'a timeout') : 360 };
    } else if (o === '-M' || o === '--netmask') {
      const mask = normalizeNetmask(value(++i));
      svc.persistence = { timeout: svc.persistence?.timeout ?? 360, ...(mask ? { netmask: mask } : {}) };
    } else if (o === '--pe' || o === 'pe') svc.pe = value(++i);
    // ipvsadm 1.26 saved `pe sip` and `ops` without dashes (fixed in 1.27): `pe` above and `ops` here read them.
    else if (o === '-o' || o === '--ops' || o === 'ops') svc.ops = true;
    else if (o === '-b' || o === '--sched-flags') svc.schedFlags = value(++i).split(',').filter(Boolean);
    else if (o === '-r' || o === '--real-server') {
      const text = value(++i);
      const ep = endpoint(text, line);
      if (!ep.numeric) numeric = false;
      destPortGiven = ep.hasPort;
      dest = { address: ep.address, port: ep.port, ...(ep.portName ? { portName: ep.portName } : {}), method: 'dr', weight: 1 };
    } else if (METHOD[o]) method = METHOD[o]!;
    else if (o === '-w' || o === '--weight') weight = uint(value(++i), line, 'a weight');
    else if (o === '-x' || o === '--u-threshold') extra.upperThreshold = uint(value(++i), line, 'a threshold');
    else if (o === '-y' || o === '--l-threshold') extra.lowerThreshold = uint(value(++i), line, 'a threshold');
    else if (o === '--tun-type') extra.tunType = tunType(value(++i), line);
    else if (o === '--tun-port') extra.tunPort = uint(value(++i), line, 'a port');
    else if (o === '--tun-nocsum') extra.tunCsum = 'nocsum';
    else if (o === '--tun-csum') extra.tunCsum = 'csum';
    else if (o === '--tun-remcsum') extra.tunCsum = 'remcsum';
    else throw new IpvsParseError(line.no, line.text, `unknown option ${o}`);
  }
  if (!head) throw new IpvsParseError(line.no, line.text, 'no service (-t, -u, --sctp-service or -f)');
  if (dest) {
    dest.method = method;
    dest.weight = weight;
    if (extra.upperThreshold) dest.upperThreshold = extra.upperThreshold;
    if (extra.lowerThreshold) dest.lowerThreshold = extra.lowerThreshold;
    if (extra.tunType) dest.tunType = extra.tunType;
    if (extra.tunPort !== undefined) dest.tunPort = extra.tunPort;
    if (extra.tunCsum) dest.tunCsum = extra.tunCsum;
  }
  return { head, svc, ...(dest ? { dest } : {}), destPortGiven, numeric };
}

function sameHead(vs: VirtualService | undefined, h: ServiceHead): boolean {
  return !!vs && vs.kind === h.kind && vs.address === h.address && vs.port === h.port && vs.fwmark === h.fwmark && vs.family === h.family && vs.portName === h.portName;
}

function tunType(v: string, line: Line): TunnelType {
  if (v === 'ipip' || v === 'gue' || v === 'gre') return v;
  throw new IpvsParseError(line.no, line.text, `unknown tunnel type ${v}`);
}
