import { formatAddrPort, serviceKey, destKey } from './keys.js';
import type { ServiceHead } from './parse-common.js';
import type { Destination, IpvsTable, TunnelChecksum, VirtualService } from './types.js';
import {
  ipAddress, ipvsAddrPort, ipvsCount, ipvsFwmark, ipvsName, ipvsNetmask, ipvsSchedFlags, ipvsScheduler, ipvsWeight, ipvsWord,
  first, mustFit, type Check,
} from '../../grammar/index.js';

/*
 * Every value word passes its ipvsadm grammar (src/grammar/ipvsadm.ts) and the generic word rule (no blanks,
 * no newline, no leading `-` or `#`): one line of the batch must stay one command, whatever a value holds.
 * A refusal throws a GrammarError naming the service and field.
 */
// Wrapped once per check (a module constant), not per value: a 100,000-destination table checks ~10 values each.
const wrapped = new Map<Check, Check>();
const word = (check: Check): Check => {
  let w = wrapped.get(check);
  if (!w) {
    w = (v) => first(() => ipvsWord(v), () => check(v));
    wrapped.set(check, w);
  }
  return w;
};
// Names in messages are quoted when they hold blanks or control characters, so a message stays one line.
const show = (s: string) => (/[\s\u0000-\u001f\u007f-\u009f]/u.test(s) ? JSON.stringify(s) : s);
const where = (vs: ServiceHead) =>
  vs.kind === 'fwmark' ? `ipvs service fwmark ${show(String(vs.fwmark))}` : `ipvs service ${vs.kind} ${show(formatAddrPort(String(vs.address), String(vs.port)))}`;
// The field's name is built only when a value is refused: a 100,000-destination table checks ~10 values each.
type Label = string | (() => string);
const fit = (vs: ServiceHead, field: Label, value: unknown, check: Check): string => {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text === 'string' && word(check)(text) === null) return text;
  return mustFit(`${where(vs)}: ${typeof field === 'string' ? field : field()}`, value, word(check));
};
const addrPort = (vs: ServiceHead, field: Label, address: string, port: number | undefined) => {
  fit(vs, () => `${typeof field === 'string' ? field : field()} address`, address, ipAddress);
  return fit(vs, field, formatAddrPort(address, port ?? 0), ipvsAddrPort);
};

/**
 * `ipvsadm -R` input. Each line is one ipvsadm invocation without the `ipvsadm` token; no comments (a `#` line
 * aborts the whole restore, lvs-reference §3). `-E`/`-e` replace a whole entry, so every add or edit carries the
 * complete spec.
 */

export type IpvsOp =
  | { op: 'add-service'; service: VirtualService }
  | { op: 'edit-service'; service: VirtualService }
  | { op: 'delete-service'; service: ServiceHead }
  | { op: 'add-dest'; service: ServiceHead; dest: Destination }
  | { op: 'edit-dest'; service: ServiceHead; dest: Destination }
  | { op: 'delete-dest'; service: ServiceHead; dest: Pick<Destination, 'address' | 'port'> };

/** `-t 10.0.0.1:80`, `-u [2001:db8::1]:53`, `--sctp-service ...`, `-f 7`, `-f 7 -6`. */
export function serviceSelector(vs: ServiceHead): string[] {
  switch (vs.kind) {
    case 'fwmark': {
      const mark = fit(vs, 'fwmark', vs.fwmark, ipvsFwmark);
      return vs.family === 'inet6' ? ['-f', mark, '-6'] : ['-f', mark];
    }
    case 'tcp':
      return ['-t', addrPort(vs, 'service', vs.address ?? '', vs.port)];
    case 'udp':
      return ['-u', addrPort(vs, 'service', vs.address ?? '', vs.port)];
    case 'sctp':
      return ['--sctp-service', addrPort(vs, 'service', vs.address ?? '', vs.port)];
  }
  throw new Error(`ipvs service: unknown kind ${JSON.stringify((vs as ServiceHead).kind)}`);
}

/** Everything -A/-E set. Omitted options would be reset to defaults by -E, so nothing is left implicit. */
export function serviceSpec(vs: VirtualService): string[] {
  const out = ['-s', fit(vs, 'scheduler', vs.scheduler, ipvsScheduler)];
  if (vs.persistence) {
    out.push('-p', fit(vs, 'persistence timeout', vs.persistence.timeout, ipvsCount));
    if (vs.persistence.netmask) out.push('-M', fit(vs, 'persistence netmask', vs.persistence.netmask, ipvsNetmask));
    if (vs.pe) out.push('--pe', fit(vs, 'persistence engine', vs.pe, ipvsName));
  }
  if (vs.ops) out.push('-o');
  if (vs.schedFlags.length) out.push('-b', fit(vs, 'scheduler flags', vs.schedFlags.join(','), ipvsSchedFlags));
  return out;
}

const METHOD_FLAG = { nat: '-m', dr: '-g', tun: '-i', local: '-g' } as const;
const CSUM_FLAG: Record<TunnelChecksum, string> = { nocsum: '--tun-nocsum', csum: '--tun-csum', remcsum: '--tun-remcsum' };

/** Everything -a/-e set. `--tun-type` only when not plain ipip: ipvsadm < 1.31 refuses the option. */
export function destSpec(d: Destination, vs?: ServiceHead): string[] {
  const at: ServiceHead = vs ?? { kind: 'tcp', family: 'inet', address: '?', port: 0 };
  const r = () => `realserver ${show(formatAddrPort(d.address, String(d.port)))}`;
  const method = METHOD_FLAG[d.method];
  if (!method) throw new Error(`${where(at)}: ${r()} method ${JSON.stringify(d.method)} is not nat, dr or tun`);
  const out = ['-r', addrPort(at, r, d.address, d.port), method, '-w', fit(at, () => `${r()} weight`, d.weight, ipvsWeight)];
  if (d.upperThreshold) out.push('-x', fit(at, () => `${r()} u_threshold`, d.upperThreshold, ipvsCount));
  if (d.lowerThreshold) out.push('-y', fit(at, () => `${r()} l_threshold`, d.lowerThreshold, ipvsCount));
  if (d.method === 'tun' && d.tunType && d.tunType !== 'ipip') {
    out.push('--tun-type', fit(at, () => `${r()} tun_type`, d.tunType, ipvsName));
    if (d.tunPort !== undefined) out.push('--tun-port', fit(at, () => `${r()} tun_port`, d.tunPort, ipvsWeight));
    if (d.tunCsum) {
      const flag = CSUM_FLAG[d.tunCsum];
      if (!flag) throw new Error(`${where(at)}: ${r()} tun checksum ${JSON.stringify(d.tunCsum)} is not nocsum, csum or remcsum`);
      out.push(flag);
    }
  }
  return out;
}

export function restoreLine(op: IpvsOp): string {
  return lineWith(op, serviceSelector(op.service).join(' '));
}

/** One restore line given its service's selector text (`-t 10.0.0.1:80`), checked already. */
function lineWith(op: IpvsOp, sel: string): string {
  switch (op.op) {
    case 'add-service':
      return `-A ${sel} ${serviceSpec(op.service).join(' ')}`;
    case 'edit-service':
      return `-E ${sel} ${serviceSpec(op.service).join(' ')}`;
    case 'delete-service':
      return `-D ${sel}`;
    case 'add-dest':
      return `-a ${sel} ${destSpec(op.dest, op.service).join(' ')}`;
    case 'edit-dest':
      return `-e ${sel} ${destSpec(op.dest, op.service).join(' ')}`;
    case 'delete-dest':
      return `-d ${sel} -r ${addrPort(op.service, 'realserver', op.dest.address, op.dest.port)}`;
  }
}

/** Consecutive ops on one service object (the planner shares it between a service's ops) check its selector once. */
export function toRestoreLines(ops: IpvsOp[]): string[] {
  let service: ServiceHead | undefined;
  let sel = '';
  return ops.map((op) => {
    if (op.service !== service) {
      sel = serviceSelector(op.service).join(' ');
      service = op.service;
    }
    return lineWith(op, sel);
  });
}

/**
 * The whole table as restore lines in a stable order (services, then their destinations, each sorted by key):
 * the before/after text of `--diff`, so a diff shows only real differences. Unlike `-S` it keeps thresholds.
 */
export function tableText(table: IpvsTable): string {
  const lines: string[] = [];
  // Keys computed once, not in the comparator: 100,000 destinations would mean millions of key builds.
  const services = table.services.map((vs) => ({ key: serviceKey(vs), vs })).sort((a, b) => cmp(a.key, b.key));
  for (const { vs } of services) {
    const sel = serviceSelector(vs).join(' ');
    lines.push(lineWith({ op: 'add-service', service: vs }, sel));
    const dests = vs.destinations.map((d) => ({ key: destKey(d), d })).sort((a, b) => cmp(a.key, b.key));
    for (const { d } of dests) lines.push(lineWith({ op: 'add-dest', service: vs, dest: d }, sel));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
