import { familyOf, splitAddrPort } from './keys.js';
import type { Persistence, TrafficStats, VirtualService } from './types.js';

/** ipvsadm text that does not read as what it claims to be: names the line and shows it. */
export class IpvsParseError extends Error {
  constructor(
    readonly lineNo: number,
    readonly line: string,
    readonly reason: string,
  ) {
    // The line is shown escaped: a hostile file must not write control sequences to the operator's terminal.
    super(`line ${lineNo}: ${reason}\n  ${JSON.stringify(line.trim().slice(0, 200)).slice(1, -1)}`);
    this.name = 'IpvsParseError';
  }
}

/** ipvsadm could not talk to the kernel (ip_vs absent or not loadable): `Can't initialize ipvs: ...`. */
export class IpvsUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'IpvsUnavailableError';
  }
}

const CANT_INIT = /Can't initialize ipvs:[^\n]*/;

/**
 * The first line of ipvsadm's "ip_vs unusable" complaint, if the text carries one. It comes first (ipvsadm
 * fails before printing anything else), so only the head of a possibly huge listing is searched.
 */
export function ipvsUnavailableMessage(text: string): string | undefined {
  return CANT_INIT.exec(text.length > 4096 ? text.slice(0, 4096) : text)?.[0].trim();
}

export interface Line {
  no: number;
  text: string;
  tokens: string[];
}

/** Split on blanks (spaces, tabs, a stray CR): columns are not fixed-width (§2.6). A plain loop: hot path. */
export function tokenize(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && (c = s.charCodeAt(i)) !== 32 && c !== 9 && c !== 13) i++;
    out.push(s.slice(start, i));
  }
  return out;
}

/** Non-blank lines with their 1-based numbers and tokens. */
export function splitLines(text: string): Line[] {
  const out: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const tokens = tokenize(raw[i]!);
    if (tokens.length) out.push({ no: i + 1, text: raw[i]!, tokens });
  }
  return out;
}

/** Digits only, as a number; -1 otherwise. Cheaper than a regex on 100,000-line listings. */
export function digits(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return Number(s);
}

const UINT = /^\d+$/;
const INT = /^-?\d+$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function isIpLiteral(address: string): boolean {
  const c = address.charCodeAt(address.length - 1);
  // Host names end in a letter or a dot; addresses in a digit (IPv4) or a hex digit/colon (IPv6).
  if (!address.includes(':')) return c >= 48 && c <= 57 && IPV4.test(address);
  return (address.includes(':') && /^[0-9a-fA-F:.%]+$/.test(address));
}

export function uint(token: string | undefined, line: Line, what: string): number {
  const v = token === undefined ? -1 : digits(token);
  if (v >= 0) return v;
  if (token === undefined || !UINT.test(token)) throw new IpvsParseError(line.no, line.text, `expected ${what}, got ${token ?? 'end of line'}`);
  return inRange(Number(token), line, what);
}

/** ipvsadm prints at most 64-bit counters; anything longer is not its output (and would read as Infinity). */
function inRange(n: number, line: Line, what: string): number {
  if (!Number.isFinite(n) || Math.abs(n) > 2 ** 64) throw new IpvsParseError(line.no, line.text, `${what} out of range`);
  return n;
}

export function int(token: string | undefined, line: Line, what: string): number {
  if (token !== undefined) {
    const negative = token.charCodeAt(0) === 45;
    const v = digits(negative ? token.slice(1) : token);
    if (v >= 0) return negative ? -v : v;
  }
  if (token === undefined || !INT.test(token)) throw new IpvsParseError(line.no, line.text, `expected ${what}, got ${token ?? 'end of line'}`);
  return inRange(Number(token), line, what);
}

/** ipvsadm <= 1.31 printed marks >= 2^31 as negative (`%d`): bring them back to the unsigned mark. */
export function fwmarkOf(token: string | undefined, line: Line): number {
  const n = int(token, line, 'a firewall mark');
  const mark = n < 0 ? n + 2 ** 32 : n;
  if (mark <= 0 || mark >= 2 ** 32) throw new IpvsParseError(line.no, line.text, `firewall mark ${token} out of range`);
  return mark;
}

const SUFFIX: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** One `print_largenum` value: `12345`, or `830843K` (rounded down to thousands, so only a lower bound). */
export function largenum(token: string | undefined, line: Line): { value: number; approximate: boolean } {
  const m = token === undefined ? null : /^(\d+)([KMGT])?$/.exec(token);
  if (!m) throw new IpvsParseError(line.no, line.text, `expected a counter, got ${token ?? 'end of line'}`);
  return m[2] ? { value: Number(m[1]) * SUFFIX[m[2]]!, approximate: true } : { value: Number(m[1]), approximate: false };
}

const STAT_FIELDS = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const;

export function trafficStats(tokens: string[], line: Line): TrafficStats {
  if (tokens.length !== 5) throw new IpvsParseError(line.no, line.text, `expected 5 counters, got ${tokens.length}`);
  const stats = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 } as TrafficStats;
  const approximate: NonNullable<TrafficStats['approximate']> = [];
  STAT_FIELDS.forEach((f, i) => {
    const v = largenum(tokens[i], line);
    stats[f] = v.value;
    if (v.approximate) approximate.push(f);
  });
  if (approximate.length) stats.approximate = approximate;
  return stats;
}

/** An `addr:port` endpoint; non-numeric listings give host and service names, kept as strings. */
export interface Endpoint {
  address: string;
  port: number;
  portName?: string;
  hasPort: boolean;
  /** False when a host name or a service name stands in for the number. */
  numeric: boolean;
}

export function endpoint(text: string, line: Line): Endpoint {
  const { address, port } = splitAddrPort(text);
  if (!address) throw new IpvsParseError(line.no, line.text, `expected an address, got ${text}`);
  const numeric = isIpLiteral(address);
  if (port === undefined) return { address, port: 0, hasPort: false, numeric };
  const num = digits(port);
  if (num >= 0 && num <= 65535) return { address, port: num, hasPort: true, numeric };
  if (/^[A-Za-z][\w.+-]*$/.test(port)) return { address, port: 0, portName: port, hasPort: true, numeric: false };
  throw new IpvsParseError(line.no, line.text, `bad port in ${text}`);
}

/** A mask equal to a single host (/32, /128) is what ipvsadm omits: keep the default implicit. */
export function normalizeNetmask(mask: string | undefined): string | undefined {
  if (mask === undefined || mask === '255.255.255.255' || mask === '128') return undefined;
  return mask;
}

export type ServiceHead = Pick<VirtualService, 'kind' | 'family' | 'address' | 'port' | 'portName' | 'fwmark'>;

/** `TCP  1.2.3.4:80`, `FWM  7`, `FWM  7 IPv6`: the service identity and how many tokens it used. */
export function serviceHead(line: Line): { head: ServiceHead; used: number; numeric: boolean } {
  const t = line.tokens;
  const proto = t[0];
  if (proto === 'FWM') {
    const fwmark = fwmarkOf(t[1], line);
    const v6 = t[2] === 'IPv6';
    return { head: { kind: 'fwmark', family: v6 ? 'inet6' : 'inet', fwmark }, used: v6 ? 3 : 2, numeric: true };
  }
  const kind = proto === 'TCP' ? 'tcp' : proto === 'UDP' ? 'udp' : proto === 'SCTP' ? 'sctp' : undefined;
  if (!kind || !t[1]) throw new IpvsParseError(line.no, line.text, 'expected a service line (TCP, UDP, SCTP or FWM)');
  const ep = endpoint(t[1], line);
  const head: ServiceHead = { kind, family: familyOf(ep.address), address: ep.address, port: ep.port };
  if (ep.portName) head.portName = ep.portName;
  return { head, used: 2, numeric: ep.numeric };
}

/** The tail of a listing's service line: `[(flags)] [persistent N [mask M] [pe NAME]] [ops]`. */
export function serviceOptions(
  tokens: string[],
  line: Line,
): { schedFlags: string[]; persistence?: Persistence; pe?: string; ops: boolean } {
  const out: { schedFlags: string[]; persistence?: Persistence; pe?: string; ops: boolean } = { schedFlags: [], ops: false };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.startsWith('(') && tok.endsWith(')')) {
      out.schedFlags = tok.slice(1, -1).split(',').filter(Boolean);
    } else if (tok === 'persistent') {
      out.persistence = { timeout: uint(tokens[++i], line, 'a persistence timeout') };
    } else if (tok === 'mask') {
      const mask = normalizeNetmask(tokens[++i]);
      if (!out.persistence) throw new IpvsParseError(line.no, line.text, '`mask` without `persistent`');
      if (mask) out.persistence.netmask = mask;
    } else if (tok === 'pe') {
      const pe = tokens[++i];
      if (!pe) throw new IpvsParseError(line.no, line.text, '`pe` without a name');
      out.pe = pe;
    } else if (tok === 'ops') {
      out.ops = true;
    } else {
      throw new IpvsParseError(line.no, line.text, `unexpected ${tok} in the service flags`);
    }
  }
  return out;
}

/*
 * In-place readers for the parsers' fast paths (parse-list's fastDest, parse-save's fastAddDest): indexes
 * into the line, no token strings. Each accepts exactly what the careful readers above accept as numeric.
 */

export const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 13;

export function skipBlanks(s: string, i: number, n: number): number {
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  return i;
}

export function tokenEnd(s: string, i: number, n: number): number {
  while (i < n && !isBlank(s.charCodeAt(i))) i++;
  return i;
}

/** s[from, to) if it is 1-15 digits (an optional `-` first when `signed`), as a number; NaN otherwise. */
export function numberIn(s: string, from: number, to: number, signed: boolean): number {
  const negative = signed && s.charCodeAt(from) === 45;
  if (negative) from++;
  if (to <= from || to - from > 15) return NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
    v = v * 10 + (c - 48);
  }
  // `-0` reads as -0, as int() gives it.
  return negative ? -v : v;
}

/** `^\d{1,3}(\.\d{1,3}){3}$` on s[from, to): isIpLiteral's test for an address without a colon. */
function dottedQuad(s: string, from: number, to: number): boolean {
  let groups = 0;
  let run = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run > 3) return false;
    } else if (c === 46 && run > 0 && groups < 3) {
      groups++;
      run = 0;
    } else return false;
  }
  return groups === 3 && run > 0;
}

/** `^[0-9a-fA-F:.%]+$` with a colon in it, on s[from, to): isIpLiteral's test for an address with one. */
function ipv6Literal(s: string, from: number, to: number): boolean {
  let colon = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) colon = true;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46 || c === 37)) return false;
  }
  return colon;
}

/**
 * s[from, to) as a numeric endpoint with a port (`a.b.c.d:port`, `[v6]:port`, port <= 65535) that endpoint()
 * would read the same way (numeric, no port name): the index of the colon before the port; -1 otherwise.
 */
export function numericEndpoint(s: string, from: number, to: number): number {
  let colon: number;
  if (s.charCodeAt(from) === 91) {
    const close = s.indexOf(']', from);
    if (close < 0 || close >= to || s.charCodeAt(close + 1) !== 58 || !ipv6Literal(s, from + 1, close)) return -1;
    colon = close + 1;
  } else {
    colon = s.lastIndexOf(':', to - 1);
    if (colon < from || !dottedQuad(s, from, colon)) return -1;
  }
  return numberIn(s, colon + 1, to, false) <= 65535 ? colon : -1;
}
