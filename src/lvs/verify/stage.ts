import type { Probe, Vars } from '../../types.js';
import { toBool } from '../../inventory/index.js';
import type { ReadAs } from '../../engine/reads.js';
import type { VerifyStage } from '../../engine/verify-stage.js';
import { combine } from '../../facts/index.js';
import { compareTables, type Drift } from '../ipvs/index.js';
import type { IpvsTable } from '../ipvs/types.js';
import { desiredTable, hostView, realserverHosts, type ClusterModel } from '../model/index.js';
import { drainedModel } from '../drain/overlay.js';
import { drainedFact, type DrainRecord } from '../drain/state.js';
import { addressProbe, compareVrrpPlacement, directorNetExpectation, directorProbe, vrrpSettleSeconds, type DirectorState, type VrrpFinding } from './director.js';
import { compareRealserver, realserverProbe, type Finding, type RealserverExpectation, type RealserverState } from './realserver.js';
import { directorSysctlFindings, directorSysctlsRead } from './director-sysctls.js';

/**
 * Verify as a stage of a run: what it reads on each host (one probe, batched by the engine with the run's first
 * reads) and how it judges the cluster from what was read. The same comparison as `plan` (one parser, one
 * compareTables), so verify passes exactly when nothing drifted. Used by `apply` on the run's connections, and
 * by `lvsible verify` on connections of its own (src/commands/verify.ts).
 */

export interface DirectorReport {
  host: string;
  error?: string;
  desired: IpvsTable;
  actual?: IpvsTable;
  /** ip_vs is not in the kernel (read without loading it): every declared service is missing. */
  unloaded?: true;
  drift: Drift[];
  /** Static VIPs on their devices, ip_forward for NAT. */
  findings: Finding[];
  /** Realservers drained on this director (`lvsible drain`): expected at weight 0, not drift. */
  drained: DrainRecord[];
}

export interface RealserverReport {
  host: string;
  error?: string;
  findings: Finding[];
}

/** What the text reporters draw (src/report/verify.ts). */
export interface VerifyDetails {
  directors: DirectorReport[];
  vrrp: VrrpFinding[];
  realservers: RealserverReport[];
  drifted: boolean;
}

/** A host may be a director and a realserver at once: its read holds whichever parts apply. */
interface HostState {
  director?: DirectorState;
  drained?: DrainRecord[];
  realserver?: RealserverState;
}

/** A director's and a realserver's reads as one (a host may be both), in the facts layer's one framing. */
function pair(director?: Probe<DirectorState>, realserver?: Probe<RealserverState>): Probe<HostState> {
  return combine({ director, drained: director ? drainedFact() : undefined, realserver }, 'verify') as Probe<HostState>;
}

export function verifyStage(model: ClusterModel, hostVars: (host: string) => Vars, allowed?: Set<string>): VerifyStage & { judge: VerifyStage['judge'] } {
  const pick = (hosts: string[]) => hosts.filter((h) => !allowed || allowed.has(h));
  const directors = pick(model.directors);
  const realservers = pick(realserverHosts(model));
  const rsExp = (host: string) => hostView(model, host).lvs_realserver as RealserverExpectation;
  // As the connection itself reads `ansible_become` (the same `toBool`).
  const readAs = (host: string): ReadAs => ({ become: toBool(hostVars(host).ansible_become) ?? false });
  return {
    hosts: [...new Set([...directors, ...realservers])],
    readAs,
    read(host): { probe: Probe<unknown>; as: ReadAs; label: string } {
      const d = directors.includes(host) ? directorProbe(directorNetExpectation(model, host), directorSysctlsRead(model)) : undefined;
      const r = realservers.includes(host) ? realserverProbe(rsExp(host)) : undefined;
      return { probe: pair(d, r) as Probe<unknown>, as: readAs(host), label: 'verify' };
    },
    async judge(states, errors, reread) {
      const state = (h: string) => states.get(h) as HostState | undefined;
      const nets = new Map<string, RealserverState>();
      const dReports = directors.map((host): DirectorReport => {
        const got = state(host)?.director;
        const drained = state(host)?.drained ?? [];
        // Each director is judged by its own drain records: the weights it was told to hold.
        const desired = desiredTable(drainedModel(model, drained.map((r) => r.address)), host);
        if (!got) return { host, desired, drift: [], findings: [], drained, error: errors.get(host) ?? 'not read' };
        const { live, net } = got;
        nets.set(host, net);
        const findings = [...compareRealserver(host, directorNetExpectation(model, host), net), ...drainAgreement(host, drained, directors, state)];
        if (!live.available) return { host, desired, drift: [], findings, drained, error: live.error };
        return { host, desired, actual: live.table, ...(live.loaded === false ? { unloaded: true as const } : {}), drift: compareTables(desired, live.table), findings, drained };
      });
      for (const d of dReports) d.findings.push(...directorSysctlFindings(model, d.host, state(d.host)?.director?.sysctls));
      // A VIP held by none or by two is what an election looks like while it runs (right after keepalived
      // starts or reloads, a MASTER spends 3 adverts in BACKUP): read the addresses again before calling it drift.
      let vrrp = compareVrrpPlacement(model, nets);
      for (let round = 0; round < 2 && vrrp.some((f) => !f.ok); round++) {
        await new Promise((r) => setTimeout(r, vrrpSettleSeconds(model) * 1000));
        const unsettled = new Set(model.vrrp_instances.filter((v) => vrrp.some((f) => !f.ok && f.instance === v.name)).flatMap((v) => v.members.map((m) => m.host)));
        await Promise.all([...unsettled].filter((h) => nets.has(h)).map(async (h) => nets.set(h, ((await reread(h, addressProbe()).catch(() => undefined)) as RealserverState | undefined) ?? nets.get(h)!)));
        vrrp = compareVrrpPlacement(model, nets);
      }
      const rReports = realservers.map((host): RealserverReport => {
        const got = state(host)?.realserver;
        if (!got) return { host, findings: [], error: errors.get(host) ?? 'not read' };
        return { host, findings: compareRealserver(host, rsExp(host), got) };
      });
      const drifted =
        dReports.some((d) => d.error || d.drift.length || d.findings.some((f) => !f.ok)) ||
        vrrp.some((f) => !f.ok) ||
        rReports.some((r) => r.error || r.findings.some((f) => !f.ok));
      const details: VerifyDetails = { directors: dReports, vrrp, realservers: rReports, drifted };
      const report = { drift: drifted, directors: dReports.map(({ actual: _a, desired: _d, ...d }) => d), vrrp, realservers: rReports };
      return { drift: drifted, report, details };
    },
  };
}

/**
 * Directors that disagree about a drain are drift: after a failover the other one would send new connections
 * to a realserver an operator took out (a director that was down while `drain` ran, or a record removed by hand).
 */
function drainAgreement(host: string, mine: DrainRecord[], directors: string[], state: (h: string) => HostState | undefined): Finding[] {
  const out: Finding[] = [];
  const have = new Set(mine.map((r) => r.address));
  for (const other of directors) {
    if (other === host || !state(other)?.director) continue;
    for (const r of state(other)?.drained ?? []) {
      if (!have.has(r.address)) out.push({ host, field: 'drain', ok: false, subject: `drain of ${r.host ?? r.address}`, want: `drained here as on ${other}`, got: `not drained on ${host}` });
    }
  }
  return out;
}
