import { describeService, formatAddrPort, formatDrift, normalizeService } from '../lvs/ipvs/index.js';
import { describeRecord } from '../lvs/drain/state.js';
import type { Finding } from '../lvs/verify/realserver.js';
import type { VerifyDetails } from '../lvs/verify/stage.js';
import type { Palette } from './format.js';

/**
 * The VERIFY section, as every text reporter prints it: per director each declared service and destination
 * with a mark, then what differs; the VRRP addresses; per realserver its VIPs and ARP settings.
 */
export function verifyLines(v: VerifyDetails, p: Palette): string[] {
  const ok = p.green('✓');
  const bad = p.red('✗');
  const finding = (f: Finding) => `  ${f.ok ? ok : bad} ${f.subject}: ${f.ok ? f.got : `want ${f.want}, got ${f.got}`}`;
  const lines: string[] = ['', p.bold('VERIFY '.padEnd(72, '*'))];
  for (const d of v.directors) {
    const note = d.error ? `  ${bad} cannot read IPVS: ${d.error}` : d.unloaded && d.desired.services.length ? `  ${bad} ip_vs is not loaded: no virtual service is live` : '';
    lines.push(`director ${p.bold(d.host)}${note}`);
    if (d.error) continue;
    const drainedAt = new Set(d.drained.map((r) => r.address));
    for (const svc of d.desired.services.map(normalizeService)) {
      const name = describeService(svc);
      const sd = d.drift.filter((x) => x.service === name);
      const persist = svc.persistence ? ` persistent ${svc.persistence.timeout}` : '';
      lines.push(`  ${sd.length ? bad : ok} ${name} ${svc.scheduler}${persist}`);
      for (const dest of svc.destinations) {
        const addr = formatAddrPort(dest.address, dest.port);
        const dd = sd.filter((x) => x.dest === addr);
        const drained = drainedAt.has(dest.address) ? ' (drained)' : '';
        lines.push(`      ${dd.length ? bad : ok} -> ${addr.padEnd(24)} ${dest.method.padEnd(4)} weight ${dest.weight}${drained}`);
        for (const x of dd) lines.push(p.red(`          ${x.field}: want ${x.want}, got ${x.got}`));
      }
      for (const x of sd.filter((x) => !x.dest || !svc.destinations.some((dest) => formatAddrPort(dest.address, dest.port) === x.dest))) {
        lines.push(p.red(`      ${formatDrift(x)}`));
      }
    }
    for (const x of d.drift.filter((x) => !d.desired.services.some((s) => describeService(normalizeService(s)) === x.service))) {
      lines.push(`  ${bad} ${formatDrift(x)}`);
    }
    lines.push(...d.drained.map((r) => `  ${p.yellow('⏸')} ${describeRecord(r)} (lvsible restore ${r.host ?? r.address})`));
    lines.push(...d.findings.map(finding));
  }
  if (v.vrrp.length) lines.push('keepalived', ...v.vrrp.map(finding));
  for (const r of v.realservers) {
    lines.push(`realserver ${p.bold(r.host)}${r.error ? `  ${bad} cannot read: ${r.error}` : ''}`);
    lines.push(...r.findings.map(finding));
  }
  lines.push('', v.drifted ? p.red('drift: the live cluster differs from the model') : p.green('verified: the live cluster matches the model'));
  return lines;
}
