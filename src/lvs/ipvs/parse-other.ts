import { endpoint, IpvsParseError, ipvsUnavailableMessage, IpvsUnavailableError, splitLines, uint } from './parse-common.js';
import { parseList, type IpvsListing } from './parse-list.js';
import { parseSave } from './parse-save.js';
import type { IpvsTable, IpvsTimeouts } from './types.js';

export interface ConnEndpoint {
  address: string;
  port: number;
}

export interface IpvsConnection {
  protocol: string;
  /** Seconds left (`MM:SS` in the listing; minutes may exceed 99). */
  expiresIn: number;
  state: string;
  client: ConnEndpoint;
  virtual: ConnEndpoint;
  destination: ConnEndpoint;
  /** A persistence template (state NONE, client port 0) rather than a real connection. */
  template: boolean;
  /** `--persistent-conn` adds the persistence engine and its data. */
  pe?: string;
  peData?: string;
}

/** `ipvsadm -Lnc` (the connection table). Tokens after the known columns are ignored (fixture 03). */
export function parseConnections(text: string): IpvsConnection[] {
  const unavailable = ipvsUnavailableMessage(text);
  if (unavailable) throw new IpvsUnavailableError(unavailable);
  let withPe = false;
  const out: IpvsConnection[] = [];
  for (const line of splitLines(text)) {
    const t = line.tokens;
    if (t[0] === 'IPVS' && t[1] === 'connection') continue;
    if (t[0] === 'pro' && t[1] === 'expire') {
      withPe = t.includes('pe');
      continue;
    }
    if (t.length < 6) throw new IpvsParseError(line.no, line.text, `expected 6 columns, got ${t.length}`);
    const m = /^(\d+):(\d\d)$/.exec(t[1]!);
    if (!m) throw new IpvsParseError(line.no, line.text, `expected an expiry MM:SS, got ${t[1]}`);
    const ep = (s: string): ConnEndpoint => {
      const e = endpoint(s, line);
      return { address: e.address, port: e.port };
    };
    const conn: IpvsConnection = {
      protocol: t[0]!,
      expiresIn: Number(m[1]) * 60 + Number(m[2]),
      state: t[2]!,
      client: ep(t[3]!),
      virtual: ep(t[4]!),
      destination: ep(t[5]!),
      template: false,
    };
    conn.template = conn.state === 'NONE' && conn.client.port === 0;
    if (withPe && t[6] !== undefined) {
      conn.pe = t[6];
      if (t[7] !== undefined) conn.peData = t[7];
    }
    out.push(conn);
  }
  return out;
}

const TIMEOUT = /^Timeout \(tcp tcpfin udp\):\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;

/** `ipvsadm -Ln --timeout`: `Timeout (tcp tcpfin udp): 900 120 300`. */
export function parseTimeout(text: string): IpvsTimeouts {
  const unavailable = ipvsUnavailableMessage(text);
  if (unavailable) throw new IpvsUnavailableError(unavailable);
  const lines = splitLines(text);
  for (const line of lines) {
    const m = TIMEOUT.exec(line.text.trim());
    if (m) return { tcp: Number(m[1]), tcpfin: Number(m[2]), udp: Number(m[3]) };
  }
  const first = lines[0];
  throw new IpvsParseError(first?.no ?? 1, first?.text ?? '', 'expected `Timeout (tcp tcpfin udp): N N N`');
}

export interface SyncDaemon {
  state: 'master' | 'backup';
  mcastInterface: string;
  syncid: number;
  [option: string]: string | number;
}

/** `ipvsadm -Ln --daemon`: one line per running sync daemon; nothing when none runs. */
export function parseDaemon(text: string): SyncDaemon[] {
  const out: SyncDaemon[] = [];
  for (const line of splitLines(text)) {
    const m = /^(master|backup) sync daemon \((.*)\)$/.exec(line.text.trim());
    if (!m) throw new IpvsParseError(line.no, line.text, 'expected `master|backup sync daemon (...)`');
    const d: SyncDaemon = { state: m[1] as 'master' | 'backup', mcastInterface: '', syncid: 0 };
    for (const kv of m[2]!.split(/,\s*/)) {
      const [k, v] = kv.split('=');
      if (!k || v === undefined) throw new IpvsParseError(line.no, line.text, `unexpected ${kv}`);
      if (k === 'mcast') d.mcastInterface = v;
      else if (k === 'syncid') d.syncid = uint(v, line, 'a sync id');
      else d[k] = /^\d+$/.test(v) ? Number(v) : v;
    }
    out.push(d);
  }
  return out;
}

export type ParsedOutput =
  | { format: 'save'; table: IpvsTable }
  | { format: 'connections'; connections: IpvsConnection[] }
  | { format: 'timeout'; timeouts: IpvsTimeouts }
  | { format: 'daemon'; daemons: SyncDaemon[] }
  | IpvsListing;

/**
 * Whatever ipvsadm printed, recognised from its first line: `-S` rules, `-c` connections, `--timeout`,
 * `--daemon`, or one of the `-L` listings. Returns JSON-able data (`lvsible ipvsadm parse`).
 */
export function parseIpvsadmOutput(text: string): ParsedOutput {
  const unavailable = ipvsUnavailableMessage(text);
  if (unavailable) throw new IpvsUnavailableError(unavailable);
  const first = splitLines(text).find((l) => !l.tokens[0]!.startsWith('#'));
  const t0 = first?.tokens[0] === 'ipvsadm' ? first.tokens[1] : first?.tokens[0];
  if (t0 === '-A' || t0 === '-a' || t0 === '--add-service') return { format: 'save', table: parseSave(text) };
  if (t0 === 'IPVS' || t0 === 'pro') return { format: 'connections', connections: parseConnections(text) };
  if (t0 === 'Timeout') return { format: 'timeout', timeouts: parseTimeout(text) };
  if (t0 === 'master' || t0 === 'backup') return { format: 'daemon', daemons: parseDaemon(text) };
  return parseList(text);
}
