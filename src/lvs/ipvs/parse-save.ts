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
  isBlank,
  numberIn,
  numericEndpoint,
  skipBlanks,
  tokenEnd,
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
  return parseSaveWith(text, true);
}

/**
 * parseSave with the `-a` fast path on or off. Off is the careful path alone: the reference the fast path is
 * tested against (test/unit/ipvs-fast-paths.test.ts), not for production use.
 */
export function parseSaveWith(text: string, fast: boolean): IpvsTable {
  const unavailable = ipvsUnavailableMessage(text);
  if (unavailable) throw new IpvsUnavailableError(unavailable);
  const services: VirtualService[] = [];
  const byKey = new Map<string, VirtualService>();
  let numeric = true;
  let lastKey = '';
  let last: VirtualService | undefined;
  // The service selector (`-t`/`-u` and its endpoint, as written) of the last line that named its service
  // in nothing else, and that service: a following `-a` with the very same selector text belongs to it.
  let cachedOpt = '';
  let cachedSel = '';
  let cached: VirtualService | undefined;
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    if (cached !== undefined) {
      const dest = fastAddDest(raw[i]!, cachedOpt, cachedSel);
      if (dest !== undefined) {
        // What the careful path does with this line: the selector names `cached`, which is `last`.
        cached.destinations.push(dest);
        continue;
      }
    }
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
    cached = undefined;
    if (fast && (tokens[1] === '-t' || tokens[1] === '-u') && tokens.length > 2 && onlySelector(tokens)) {
      cachedOpt = tokens[1];
      cachedSel = tokens[2]!;
      cached = last;
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

const SELECTORS = new Set(['-t', '--tcp-service', '-u', '--udp-service', '--sctp-service', '-f', '--fwmark-service', '-6', '--ipv6']);

/** No selector option (nor -6) after tokens[1]: the service is named by tokens[1] and tokens[2] alone. */
function onlySelector(tokens: string[]): boolean {
  for (let i = 3; i < tokens.length; i++) if (SELECTORS.has(tokens[i]!)) return false;
  return true;
}

/**
 * The fast path for the line -Sn writes for each destination, `-a -t SEL -r ADDR:PORT -g|-m|-i -w N
 * [-x N] [-y N]` with SEL exactly the cached selector text and a numeric endpoint: the destination the careful
 * path (tokenize, options, the checks in parseSaveWith) would add to the cached service, or undefined to let
 * the careful path read the line (and say what is wrong with it).
 */
function fastAddDest(s: string, opt: string, sel: string): Destination | undefined {
  const n = s.length;
  let i = skipBlanks(s, 0, n);
  if (s.charCodeAt(i) !== 45 || s.charCodeAt(i + 1) !== 97 || !isBlank(s.charCodeAt(i + 2))) return undefined;
  i = skipBlanks(s, i + 2, n);
  if (!s.startsWith(opt, i) || !isBlank(s.charCodeAt(i + opt.length))) return undefined;
  i = skipBlanks(s, i + opt.length, n);
  if (!s.startsWith(sel, i) || (i + sel.length < n && !isBlank(s.charCodeAt(i + sel.length)))) return undefined;
  i = skipBlanks(s, i + sel.length, n);
  if (s.charCodeAt(i) !== 45 || s.charCodeAt(i + 1) !== 114 || !isBlank(s.charCodeAt(i + 2))) return undefined;
  const a0 = skipBlanks(s, i + 2, n);
  const a1 = tokenEnd(s, a0, n);
  const colon = numericEndpoint(s, a0, a1);
  if (colon < 0) return undefined;
  i = skipBlanks(s, a1, n);
  if (s.charCodeAt(i) !== 45 || !isBlank(s.charCodeAt(i + 2))) return undefined;
  const f = s.charCodeAt(i + 1);
  const method: ForwardMethod | undefined = f === 103 ? 'dr' : f === 109 ? 'nat' : f === 105 ? 'tun' : undefined;
  if (method === undefined) return undefined;
  i = skipBlanks(s, i + 2, n);
  if (s.charCodeAt(i) !== 45 || s.charCodeAt(i + 1) !== 119 || !isBlank(s.charCodeAt(i + 2))) return undefined;
  let v0 = skipBlanks(s, i + 2, n);
  let v1 = tokenEnd(s, v0, n);
  const weight = numberIn(s, v0, v1, false);
  if (Number.isNaN(weight)) return undefined;
  let upper = 0;
  let lower = 0;
  i = skipBlanks(s, v1, n);
  // -x then -y, each once: the order -Sn would write them in (any other order takes the careful path).
  for (const letter of [120, 121]) {
    if (i < n && s.charCodeAt(i) === 45 && s.charCodeAt(i + 1) === letter && isBlank(s.charCodeAt(i + 2))) {
      v0 = skipBlanks(s, i + 2, n);
      v1 = tokenEnd(s, v0, n);
      const v = numberIn(s, v0, v1, false);
      if (Number.isNaN(v)) return undefined;
      if (letter === 120) upper = v;
      else lower = v;
      i = skipBlanks(s, v1, n);
    }
  }
  if (i !== n) return undefined;
  const address = s.charCodeAt(a0) === 91 ? s.slice(a0 + 1, colon - 1) : s.slice(a0, colon);
  const dest: Destination = { address, port: numberIn(s, colon + 1, a1, false), method, weight };
  if (upper) dest.upperThreshold = upper;
  if (lower) dest.lowerThreshold = lower;
  return dest;
}
