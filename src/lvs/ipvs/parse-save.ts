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
  digits,
  type Endpoint,
  type Line,
  type ServiceHead,
} from './parse-common.js';
import type { Destination, ForwardMethod, IpvsTable, TunnelChecksum, TunnelType, VirtualService } from './types.js';

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

function need(t: string[], i: number, line: Line): string {
  const v = t[i];
  if (v === undefined) throw new IpvsParseError(line.no, line.text, `${t[i - 1]} needs a value`);
  return v;
}

/** One -S line's options. A switch over plain strings: this runs once per line of a 100,000-line table. */
function options(t: string[], line: Line): Parsed {
  let head: ServiceHead | undefined;
  const svc: Parsed['svc'] = { scheduler: 'wlc', schedFlags: [], ops: false };
  let ep: Endpoint | undefined;
  let numeric = true;
  let method: ForwardMethod = 'dr';
  let weight = 1;
  let upper = 0;
  let lower = 0;
  let tun: TunnelType | undefined;
  let tunPort: number | undefined;
  let tunCsum: TunnelChecksum | undefined;
  for (let i = 0; i < t.length; i++) {
    const o = t[i]!;
    switch (o) {
      case '-t': case '--tcp-service': case '-u': case '--udp-service': case '--sctp-service': {
        const e = endpoint(need(t, ++i, line), line);
        if (!e.numeric) numeric = false;
        const kind = o === '-t' || o === '--tcp-service' ? 'tcp' : o === '--sctp-service' ? 'sctp' : 'udp';
        head = { kind, family: familyOf(e.address), address: e.address, port: e.port };
        if (e.portName) head.portName = e.portName;
        break;
      }
      case '-f': case '--fwmark-service':
        head = { kind: 'fwmark', family: 'inet', fwmark: fwmarkOf(need(t, ++i, line), line) };
        break;
      case '-6': case '--ipv6':
        if (head?.kind !== 'fwmark') throw new IpvsParseError(line.no, line.text, '-6 used before -f');
        head.family = 'inet6';
        break;
      case '-s': case '--scheduler':
        svc.scheduler = need(t, ++i, line);
        break;
      case '-p': case '--persistent': {
        // The timeout is optional: `-p` alone means 360 s.
        const next = t[i + 1];
        const timeout = next !== undefined && digits(next) >= 0 ? uint(t[++i], line, 'a timeout') : 360;
        svc.persistence = { ...svc.persistence, timeout };
        break;
      }
      case '-M': case '--netmask': {
        const mask = normalizeNetmask(need(t, ++i, line));
        svc.persistence = { timeout: svc.persistence?.timeout ?? 360, ...(mask ? { netmask: mask } : {}) };
        break;
      }
      // ipvsadm 1.26 saved `pe sip` and `ops` without dashes (fixed in 1.27): read them too.
      case '--pe': case 'pe':
        svc.pe = need(t, ++i, line);
        break;
      case '-o': case '--ops': case 'ops':
        svc.ops = true;
        break;
      case '-b': case '--sched-flags':
        svc.schedFlags = need(t, ++i, line).split(',').filter(Boolean);
        break;
      case '-r': case '--real-server':
        ep = endpoint(need(t, ++i, line), line);
        if (!ep.numeric) numeric = false;
        break;
      case '-g': case '--gatewaying':
        method = 'dr';
        break;
      case '-m': case '--masquerading':
        method = 'nat';
        break;
      case '-i': case '--ipip':
        method = 'tun';
        break;
      case '-w': case '--weight':
        weight = uint(need(t, ++i, line), line, 'a weight');
        break;
      case '-x': case '--u-threshold':
        upper = uint(need(t, ++i, line), line, 'a threshold');
        break;
      case '-y': case '--l-threshold':
        lower = uint(need(t, ++i, line), line, 'a threshold');
        break;
      case '--tun-type':
        tun = tunType(need(t, ++i, line), line);
        break;
      case '--tun-port':
        tunPort = uint(need(t, ++i, line), line, 'a port');
        break;
      case '--tun-nocsum':
        tunCsum = 'nocsum';
        break;
      case '--tun-csum':
        tunCsum = 'csum';
        break;
      case '--tun-remcsum':
        tunCsum = 'remcsum';
        break;
      default:
        throw new IpvsParseError(line.no, line.text, `unknown option ${o}`);
    }
  }
  if (!head) throw new IpvsParseError(line.no, line.text, 'no service (-t, -u, --sctp-service or -f)');
  const out: Parsed = { head, svc, destPortGiven: ep?.hasPort ?? false, numeric };
  if (ep) {
    const dest: Destination = { address: ep.address, port: ep.port, method, weight };
    if (ep.portName) dest.portName = ep.portName;
    if (upper) dest.upperThreshold = upper;
    if (lower) dest.lowerThreshold = lower;
    if (tun) dest.tunType = tun;
    if (tunPort !== undefined) dest.tunPort = tunPort;
    if (tunCsum) dest.tunCsum = tunCsum;
    out.dest = dest;
  }
  return out;
}

function sameHead(vs: VirtualService | undefined, h: ServiceHead): boolean {
  return !!vs && vs.kind === h.kind && vs.address === h.address && vs.port === h.port && vs.fwmark === h.fwmark && vs.family === h.family && vs.portName === h.portName;
}

function tunType(v: string, line: Line): TunnelType {
  if (v === 'ipip' || v === 'gue' || v === 'gre') return v;
  throw new IpvsParseError(line.no, line.text, `unknown tunnel type ${v}`);
}
