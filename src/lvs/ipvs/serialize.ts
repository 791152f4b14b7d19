import { formatAddrPort, serviceKey, destKey } from './keys.js';
import type { ServiceHead } from './parse-common.js';
import type { Destination, IpvsTable, TunnelChecksum, VirtualService } from './types.js';

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
    case 'fwmark':
      return vs.family === 'inet6' ? ['-f', String(vs.fwmark), '-6'] : ['-f', String(vs.fwmark)];
    case 'tcp':
      return ['-t', formatAddrPort(vs.address ?? '', vs.port ?? 0)];
    case 'udp':
      return ['-u', formatAddrPort(vs.address ?? '', vs.port ?? 0)];
    case 'sctp':
      return ['--sctp-service', formatAddrPort(vs.address ?? '', vs.port ?? 0)];
  }
}

/** Everything -A/-E set. Omitted options would be reset to defaults by -E, so nothing is left implicit. */
export function serviceSpec(vs: VirtualService): string[] {
  const out = ['-s', vs.scheduler];
  if (vs.persistence) {
    out.push('-p', String(vs.persistence.timeout));
    if (vs.persistence.netmask) out.push('-M', vs.persistence.netmask);
    if (vs.pe) out.push('--pe', vs.pe);
  }
  if (vs.ops) out.push('-o');
  if (vs.schedFlags.length) out.push('-b', vs.schedFlags.join(','));
  return out;
}

const METHOD_FLAG = { nat: '-m', dr: '-g', tun: '-i', local: '-g' } as const;
const CSUM_FLAG: Record<TunnelChecksum, string> = { nocsum: '--tun-nocsum', csum: '--tun-csum', remcsum: '--tun-remcsum' };

/** Everything -a/-e set. `--tun-type` only when not plain ipip: ipvsadm < 1.31 refuses the option. */
export function destSpec(d: Destination): string[] {
  const out = ['-r', formatAddrPort(d.address, d.port), METHOD_FLAG[d.method], '-w', String(d.weight)];
  if (d.upperThreshold) out.push('-x', String(d.upperThreshold));
  if (d.lowerThreshold) out.push('-y', String(d.lowerThreshold));
  if (d.method === 'tun' && d.tunType && d.tunType !== 'ipip') {
    out.push('--tun-type', d.tunType);
    if (d.tunPort !== undefined) out.push('--tun-port', String(d.tunPort));
    if (d.tunCsum) out.push(CSUM_FLAG[d.tunCsum]);
  }
  return out;
}

export function restoreLine(op: IpvsOp): string {
  const sel = serviceSelector(op.service);
  switch (op.op) {
    case 'add-service':
      return ['-A', ...sel, ...serviceSpec(op.service)].join(' ');
    case 'edit-service':
      return ['-E', ...sel, ...serviceSpec(op.service)].join(' ');
    case 'delete-service':
      return ['-D', ...sel].join(' ');
    case 'add-dest':
      return ['-a', ...sel, ...destSpec(op.dest)].join(' ');
    case 'edit-dest':
      return ['-e', ...sel, ...destSpec(op.dest)].join(' ');
    case 'delete-dest':
      return ['-d', ...sel, '-r', formatAddrPort(op.dest.address, op.dest.port)].join(' ');
  }
}

export function toRestoreLines(ops: IpvsOp[]): string[] {
  return ops.map(restoreLine);
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
    lines.push(restoreLine({ op: 'add-service', service: vs }));
    const dests = vs.destinations.map((d) => ({ key: destKey(d), d })).sort((a, b) => cmp(a.key, b.key));
    for (const { d } of dests) lines.push(restoreLine({ op: 'add-dest', service: vs, dest: d }));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
