import { readInputText } from '../config/read.js';
import type { Connection, Probe, Vars } from '../types.js';
import { ConfigError, ExitCode } from '../errors.js';
import { runProbe } from '../engine/probe.js';
import { Redactor } from '../engine/redact.js';
import { connector } from '../engine/connect.js';
import { compareTables, describeService, formatAddrPort, formatDrift, normalizeService, verifyDirectorOffline, type Drift } from '../lvs/ipvs/index.js';
import type { IpvsTable } from '../lvs/ipvs/types.js';
import { desiredTable, hostView, realserverHosts, type ClusterModel } from '../lvs/model/index.js';
import { addressProbe, compareVrrpPlacement, directorNetExpectation, directorProbe, vrrpSettleSeconds } from '../lvs/verify/director.js';
import { compareRealserver, realserverProbe, type Finding, type RealserverExpectation, type RealserverState } from '../lvs/verify/realserver.js';
import { palette, wantsColor } from '../report/format.js';
import { checkInventoryExists, LAB_INVENTORY } from './common.js';
import { openInventory, type OpenedInventory } from './inventory-view.js';
import { limitIssues } from './input-checks.js';
import { asInputError } from './ipvsadm.js';

interface DirectorReport {
  host: string;
  error?: string;
  desired: IpvsTable;
  actual?: IpvsTable;
  /** ip_vs is not in the kernel (read without loading it): every declared service is missing. */
  unloaded?: true;
  drift: Drift[];
  /** Static VIPs on their devices, ip_forward for NAT. */
  findings: Finding[];
}
interface RealserverReport {
  host: string;
  error?: string;
  findings: Finding[];
}

const becomes = (vars: Vars) => ['true', 'yes', '1'].includes(String(vars.ansible_become ?? '').toLowerCase());

/**
 * Read every director's IPVS table, VIPs and ip_forward, and every realserver's VIPs and ARP settings, and
 * compare them with the model: the same parser and the same comparison as `plan`, so verify passes exactly
 * when nothing drifted. Each VRRP address must be held by exactly one director of its instance.
 * One round trip per host; directors are read again (bounded) only while a VRRP election is unsettled.
 * Returns true when anything drifted (or could not be read).
 */
export async function verifyCluster(
  opened: OpenedInventory,
  opts: { limit?: string; connect: (host: string, vars: Vars) => Promise<Connection>; redactor: Redactor },
): Promise<{ drift: boolean; report: unknown; text: string }> {
  const model = opened.cluster!;
  const allowed = opts.limit ? new Set(opened.view.resolve(opts.limit).hosts) : undefined;
  const pick = (hosts: string[]) => hosts.filter((h) => !allowed || allowed.has(h));
  /** Connect, read with one probe (through sudo when the host says so), close: one round trip per host. */
  const probeHost = async <S>(host: string, probe: Probe<S>): Promise<S> => {
    const vars = opened.view.hostVars(host);
    const conn = await opts.connect(host, vars);
    try {
      return await runProbe(conn, probe, { become: becomes(vars) });
    } finally {
      await conn.close();
    }
  };

  const nets = new Map<string, RealserverState>();
  const directors = await Promise.all(
    pick(model.directors).map(async (host): Promise<DirectorReport> => {
      const desired = desiredTable(model, host);
      const exp = directorNetExpectation(model, host);
      try {
        const { live, net } = await probeHost(host, directorProbe(exp));
        nets.set(host, net);
        const findings = compareRealserver(host, exp, net);
        if (!live.available) return { host, desired, drift: [], findings, error: live.error };
        return { host, desired, actual: live.table, ...(live.loaded === false ? { unloaded: true as const } : {}), drift: compareTables(desired, live.table), findings };
      } catch (e) {
        return { host, desired, drift: [], findings: [], error: (e as Error).message };
      }
    }),
  );
  // A VIP held by none or by two is what an election looks like while it runs (right after keepalived
  // starts or reloads, a MASTER spends 3 adverts in BACKUP): read the addresses again before calling it drift.
  let vrrp = compareVrrpPlacement(model, nets);
  for (let round = 0; round < 2 && vrrp.some((f) => !f.ok); round++) {
    await new Promise((r) => setTimeout(r, vrrpSettleSeconds(model) * 1000));
    const unsettled = new Set(model.vrrp_instances.filter((v) => vrrp.some((f) => !f.ok && f.instance === v.name)).flatMap((v) => v.members.map((m) => m.host)));
    await Promise.all([...unsettled].map(async (h) => nets.set(h, await probeHost(h, addressProbe()).catch(() => nets.get(h)!))));
    vrrp = compareVrrpPlacement(model, nets);
  }
  const realservers = await Promise.all(
    pick(realserverHosts(model)).map(async (host): Promise<RealserverReport> => {
      const exp = hostView(model, host).lvs_realserver as RealserverExpectation;
      try {
        return { host, findings: compareRealserver(host, exp, await probeHost(host, realserverProbe(exp))) };
      } catch (e) {
        return { host, findings: [], error: (e as Error).message };
      }
    }),
  );
  const drifted =
    directors.some((d) => d.error || d.drift.length || d.findings.some((f) => !f.ok)) ||
    vrrp.some((f) => !f.ok) ||
    realservers.some((r) => r.error || r.findings.some((f) => !f.ok));
  const report = opts.redactor.deep({ drift: drifted, directors: directors.map(({ actual: _a, desired: _d, ...d }) => d), vrrp, realservers });
  return { drift: drifted, report, text: opts.redactor.text(renderReport(directors, vrrp, realservers, drifted)) };
}

function renderReport(directors: DirectorReport[], vrrp: Finding[], realservers: RealserverReport[], drifted: boolean): string {
  const p = palette(wantsColor(process.stdout));
  const ok = p.green('✓');
  const bad = p.red('✗');
  const finding = (f: Finding) => `  ${f.ok ? ok : bad} ${f.subject}: ${f.ok ? f.got : `want ${f.want}, got ${f.got}`}`;
  const lines: string[] = ['', p.bold('VERIFY '.padEnd(72, '*'))];
  for (const d of directors) {
    const note = d.error ? `  ${bad} cannot read IPVS: ${d.error}` : d.unloaded && d.desired.services.length ? `  ${bad} ip_vs is not loaded: no virtual service is live` : '';
    lines.push(`director ${p.bold(d.host)}${note}`);
    if (d.error) continue;
    for (const svc of d.desired.services.map(normalizeService)) {
      const name = describeService(svc);
      const sd = d.drift.filter((x) => x.service === name);
      const persist = svc.persistence ? ` persistent ${svc.persistence.timeout}` : '';
      lines.push(`  ${sd.length ? bad : ok} ${name} ${svc.scheduler}${persist}`);
      for (const dest of svc.destinations) {
        const addr = formatAddrPort(dest.address, dest.port);
        const dd = sd.filter((x) => x.dest === addr);
        lines.push(`      ${dd.length ? bad : ok} -> ${addr.padEnd(24)} ${dest.method.padEnd(4)} weight ${dest.weight}`);
        for (const x of dd) lines.push(p.red(`          ${x.field}: want ${x.want}, got ${x.got}`));
      }
      for (const x of sd.filter((x) => !x.dest || !svc.destinations.some((dest) => formatAddrPort(dest.address, dest.port) === x.dest))) {
        lines.push(p.red(`      ${formatDrift(x)}`));
      }
    }
    for (const x of d.drift.filter((x) => !d.desired.services.some((s) => describeService(normalizeService(s)) === x.service))) {
      lines.push(`  ${bad} ${formatDrift(x)}`);
    }
    lines.push(...d.findings.map(finding));
  }
  if (vrrp.length) lines.push('keepalived', ...vrrp.map(finding));
  for (const r of realservers) {
    lines.push(`realserver ${p.bold(r.host)}${r.error ? `  ${bad} cannot read: ${r.error}` : ''}`);
    lines.push(...r.findings.map(finding));
  }
  lines.push('', drifted ? p.red('drift: the live cluster differs from the model') : p.green('verified: the live cluster matches the model'), '');
  return lines.join('\n');
}

export async function verifyCommand(flags: {
  inventory?: string[];
  cluster?: string;
  limit?: string;
  ipvsadmOutput?: string;
  director?: string;
  json?: boolean;
}): Promise<number> {
  const paths = flags.inventory?.length ? flags.inventory : [LAB_INVENTORY];
  checkInventoryExists(paths);
  const redactor = new Redactor();
  const opened = openInventory(paths, { cluster: flags.cluster, redactor });
  const limitProblems = limitIssues(opened, flags.limit);
  if (limitProblems.length) throw new ConfigError(limitProblems);
  if (!opened.cluster) {
    process.stderr.write(`error: no cluster model: put cluster.yml in the inventory directory or pass --cluster FILE\n`);
    return ExitCode.error;
  }
  if (flags.ipvsadmOutput) return verifyOffline(opened.cluster, flags.ipvsadmOutput, flags.director, Boolean(flags.json));
  const v = await verifyCluster(opened, { limit: flags.limit, connect: connector(), redactor });
  process.stdout.write(flags.json ? `${JSON.stringify(v.report, null, 2)}\n` : v.text);
  return v.drift ? ExitCode.drift : ExitCode.ok;
}

function verifyOffline(model: ClusterModel, file: string, director: string | undefined, json: boolean): number {
  const host = director ?? (model.directors.length === 1 ? model.directors[0] : undefined);
  if (!host) {
    process.stderr.write(`error: the model has ${model.directors.length} directors (${model.directors.join(', ')}): say which with --director\n`);
    return ExitCode.error;
  }
  let drift: ReturnType<typeof verifyDirectorOffline>;
  try {
    drift = verifyDirectorOffline(desiredTable(model, host), readInputText(file));
  } catch (e) {
    throw asInputError(e, file);
  }
  if (json) process.stdout.write(`${JSON.stringify({ director: host, drift }, null, 2)}\n`);
  else {
    for (const d of drift) process.stdout.write(`✗ ${formatDrift(d)}\n`);
    process.stdout.write(drift.length ? `drift: ${drift.length} difference(s) on ${host}\n` : `verified: ${file} matches the model for ${host}\n`);
  }
  return drift.length ? ExitCode.drift : ExitCode.ok;
}
