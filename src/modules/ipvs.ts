import type { Change, ModuleContext, ParamIssue, Plan, Step } from '../types.js';
import { ipAddress, ipvsName, ipvsNetmask, ipvsSchedFlags, ipvsScheduler } from '../grammar/index.js';
import { ParamChecks } from './checks.js';
import { sh } from '../transport/quote.js';
import { combine, fileFact, fileText, ipvsLiveFact, mapFact, sha256, unitEnabledFact, unitFileFact, type FileState, type LiveIpvs, type UnitState } from '../facts/index.js';
import { atomicWriteSteps, diffText } from './files.js';
import { planUnitAbsent, planUnitPresent, renderUnit } from './netpersist.js';
import { defineModule, noop, rooted } from './util.js';
import { normalizeService } from '../lvs/ipvs/compare.js';
import { serviceKey } from '../lvs/ipvs/keys.js';
import { enableAutoText, persistLayout, rulesFileText } from '../lvs/ipvs/persist.js';
import { isEmptyPlan, planIpvs, type IpvsPlan } from '../lvs/ipvs/plan.js';
import { tableFromParams, ipvsParamsSchema, type IpvsParams } from '../lvs/ipvs/schema.js';
import { tableText, toRestoreLines, type IpvsOp } from '../lvs/ipvs/serialize.js';
import { drainStep, restoreStep, setTimeoutsStep } from '../lvs/ipvs/steps.js';
import type { IpvsTable, IpvsTimeouts } from '../lvs/ipvs/types.js';

/**
 * The `ipvs` module: the director's IPVS table as declared. Reads the live table in one probe, applies the
 * difference as `ipvsadm -R` batches (never `-C`), drains leaving real servers, sets timeouts, and persists
 * the table for the next boot.
 */

export interface IpvsState {
  live: LiveIpvs;
  /** Persistence files as they are now (undefined = absent); `enabled` is `systemctl is-enabled ipvsadm` (RHEL). */
  rulesFile?: string;
  defaultsFile?: string;
  enabled?: string;
  /** The boot unit that sets the timeouts again (read when the table is persisted). */
  timeoutsUnit?: UnitState;
}

/**
 * Neither distribution's ipvsadm service restores timeouts (the rules file holds -A/-a lines only), so a
 * reboot would silently bring back the kernel's 900/120/300. A oneshot unit ordered after ipvsadm.service
 * runs the same `ipvsadm --set` at boot; it exists exactly while timeouts are declared.
 */
export const TIMEOUTS_UNIT = 'lvsible-ipvs-timeouts.service';

export function timeoutsUnitText(t: IpvsTimeouts): string {
  return renderUnit({
    description: 'IPVS connection timeouts declared in lvsible (ipvsadm --set)',
    unitLines: ['After=ipvsadm.service'],
    // /sbin: where Debian's package puts ipvsadm; on merged-/usr systems (RHEL, Debian 12) it is /usr/sbin too.
    exec: [['/sbin/ipvsadm', '--set', String(t.tcp), String(t.tcpfin), String(t.udp)]],
  });
}

/** Every value that becomes a word of the `ipvsadm -R` batch, checked before connecting (src/grammar/ipvsadm.ts). */
function checkIpvs(p: IpvsParams): ParamIssue[] {
  const c = new ParamChecks();
  if (!Array.isArray(p.services)) return c.issues;
  p.services.forEach((s, i) => {
    if (!s || typeof s !== 'object') return;
    const at = `services[${i}]`;
    if (s.kind !== 'fwmark') c.field(`${at}.address`, s.address, ipAddress);
    c.field(`${at}.scheduler`, s.scheduler, ipvsScheduler)
      .each(`${at}.schedFlags`, s.schedFlags, ipvsSchedFlags)
      .field(`${at}.persistence.netmask`, s.persistence?.netmask, ipvsNetmask)
      .field(`${at}.pe`, s.pe, ipvsName);
    const v6 = typeof s.address === 'string' ? s.address.includes(':') : s.family === 'inet6';
    (Array.isArray(s.destinations) ? s.destinations : []).forEach((d, j) => {
      if (!d || typeof d !== 'object') return;
      const before = c.issues.length;
      c.field(`${at}.destinations[${j}].address`, d.address, ipAddress);
      // Only TUN can cross families (an IPv4 tunnel to an IPv6 service's realserver); ipvsadm refuses the rest.
      if (c.issues.length === before && typeof d.address === 'string' && d.method !== 'tun' && d.address.includes(':') !== v6) {
        c.add(`${at}.destinations[${j}].address`, `${d.address} is not of the service's address family (only tun destinations may differ)`);
      }
    });
  });
  return c.issues;
}

export const ipvs = defineModule<IpvsParams, IpvsState>({
  name: 'ipvs',
  schema: ipvsParamsSchema,
  check: checkIpvs,
  normalize: (p) => ({ drain: true, drain_timeout: 30, persist: true, purge: true, ...p }),
  read(p, ctx) {
    const layout = persistLayout(ctx.facts);
    const persisted = p.persist !== false && layout ? layout : undefined;
    const rules = persisted ? rulesFileText(desiredTable(p)) : '';
    const read = combine({
      live: ipvsLiveFact(ctx.root),
      // The rules file of a big table is megabytes: shipped only when it differs from what the plan wants.
      rules: persisted ? fileFact(rooted(ctx.root, persisted.rulesFile), sha256(rules)) : undefined,
      defaults: persisted?.kind === 'debian' ? fileFact(rooted(ctx.root, persisted.defaultsFile)) : undefined,
      enabled: persisted?.kind === 'redhat' ? unitEnabledFact(persisted.unit) : undefined,
      timeoutsUnit: persisted ? unitFileFact(ctx.root, TIMEOUTS_UNIT, p.timeouts ? timeoutsUnitText(p.timeouts) : undefined) : undefined,
    });
    return mapFact(read, (s): IpvsState => {
      const st: IpvsState = { live: s.live };
      const rulesFile = s.rules && textOr(s.rules, rules);
      const defaultsFile = s.defaults && textOr(s.defaults);
      if (rulesFile !== undefined) st.rulesFile = rulesFile;
      if (defaultsFile !== undefined) st.defaultsFile = defaultsFile;
      if (s.enabled !== undefined) st.enabled = s.enabled;
      if (s.timeoutsUnit) st.timeoutsUnit = s.timeoutsUnit;
      return st;
    });
  },
  plan(p, cur, ctx): Plan {
    const desired = desiredTable(p);
    const current = cur.live.table;
    const only = p.purge === false ? desired.services.map(serviceKey) : undefined;
    const plan = planIpvs(desired, current, {
      drain: p.drain !== false,
      drainTimeoutSec: p.drain_timeout ?? 30,
      ...(only ? { only } : {}),
    });
    const changes: Change[] = [];
    if (!isEmptyPlan(plan)) changes.push(...tableChanges(plan, desired, current, cur.live));
    if (p.persist !== false) changes.push(...persistChanges(desired, cur, ctx));
    if (changes.length) return changes;
    const dests = desired.services.reduce((n, s) => n + s.destinations.length, 0);
    const layout = persistLayout(ctx.facts);
    const boot = p.persist !== false && layout ? `, persisted in ${layout.rulesFile} and loaded at boot` : '';
    const count = `${desired.services.length} service${desired.services.length === 1 ? '' : 's'}, ${dests} destination${dests === 1 ? '' : 's'}`;
    return noop(`IPVS table already as declared (${count}${p.purge === false ? '; undeclared services left alone' : ''})${boot}`);
  },
});

/** Normal form (RFC 5952 IPv6, sorted flags, effective ports): what the rules file and --diff show. */
function desiredTable(p: IpvsParams): IpvsTable {
  const declared = tableFromParams(p);
  return { ...declared, services: declared.services.map(normalizeService) };
}

/**
 * A persistence file as text: `expected` when its digest says it is that (its bytes were not shipped), else
 * its text, or for a file whose text was not shipped a stand-in that differs from any wanted content.
 */
function textOr(st: FileState, expected?: string): string | undefined {
  if (expected !== undefined && st.type === 'file' && st.sha256 === sha256(expected)) return expected;
  const t = fileText(st);
  return t === null ? diffText(undefined, st) ?? `[${st.type}]\n` : t;
}

function tableChanges(plan: IpvsPlan, desired: IpvsTable, current: IpvsTable, live: LiveIpvs): Change[] {
  const out: Change[] = [];
  const ops = [...plan.now, ...plan.afterDrain];
  if (ops.length || plan.drain.length) {
    const steps: Step[] = [];
    const why = live.available ? '' : ` (the live table could not be read: ${live.error})`;
    if (plan.now.length) steps.push(restoreStep(toRestoreLines(plan.now), `ipvsadm -R (${plan.now.length} line${plan.now.length === 1 ? '' : 's'})`));
    if (plan.drain.length) steps.push(drainStep(plan.drain, plan.drainTimeoutSec));
    const n = plan.afterDrain.length;
    if (n) steps.push(restoreStep(toRestoreLines(plan.afterDrain), `ipvsadm -R (${n} delete${n === 1 ? '' : 's'} after the drain)`));
    // The diff text covers only the services that change: a 100,000-line table with one new real server
    // shows that one service, not two copies of everything.
    const touched = new Set([...ops.map((o) => serviceKey(o.service)), ...plan.drain.map((d) => serviceKey(d.service))]);
    const pick = (t: IpvsTable) => ({ services: t.services.filter((s) => touched.has(serviceKey(s))) });
    out.push({
      summary: `IPVS: ${summarize(plan)}${why}`,
      before: tableText(pick(current)),
      after: tableText(pick(desired)),
      diffName: 'ipvsadm -Sn',
      steps,
    });
  }
  if (plan.timeouts) {
    const t = plan.timeouts;
    const was = current.timeouts ? ` (was ${current.timeouts.tcp} ${current.timeouts.tcpfin} ${current.timeouts.udp})` : '';
    out.push({ summary: `set IPVS timeouts tcp ${t.tcp} tcpfin ${t.tcpfin} udp ${t.udp}${was}`, steps: [setTimeoutsStep(t)] });
  }
  return out;
}

/** "+2 services, ~1 service, +5 destinations, -1 destination (drained)". */
export function summarize(plan: IpvsPlan): string {
  const count = (ops: IpvsOp[], op: IpvsOp['op']) => ops.filter((o) => o.op === op).length;
  const quiesced = plan.now.filter((o) => o.op === 'edit-dest' && o.dest.weight === 0 && plan.drain.some((d) => d.dest.address === o.dest.address && d.dest.port === o.dest.port)).length;
  const parts: Array<[number, string, string]> = [
    [count(plan.now, 'add-service'), '+', 'service'],
    [count(plan.now, 'edit-service'), '~', 'service'],
    [count(plan.now, 'delete-service'), '-', 'service'],
    [count(plan.afterDrain, 'delete-service'), '-', 'service|(drained)'],
    [count(plan.now, 'add-dest'), '+', 'destination'],
    [count(plan.now, 'edit-dest') - quiesced, '~', 'destination'],
    [count(plan.now, 'delete-dest'), '-', 'destination'],
    [count(plan.afterDrain, 'delete-dest'), '-', 'destination|(drained)'],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, sign, what]) => {
      const [noun, note] = what.split('|');
      return `${sign}${n} ${noun}${n === 1 ? '' : 's'}${note ? ` ${note}` : ''}`;
    })
    .join(', ') || 'wait for draining destinations';
}

function persistChanges(desired: IpvsTable, cur: IpvsState, ctx: ModuleContext): Change[] {
  const layout = persistLayout(ctx.facts);
  if (!layout) {
    return [{
      summary: `cannot persist IPVS rules on ${ctx.facts.os.id || 'this distribution'} (known: Debian and RHEL families); set persist: false`,
      steps: [{ cmd: sh`echo ${'unknown distribution: cannot persist IPVS rules (set persist: false)'} >&2; exit 1`, label: 'persist IPVS rules' }],
    }];
  }
  const out: Change[] = [];
  const rules = rulesFileText(desired);
  if (cur.rulesFile !== rules) {
    out.push({
      summary: `${cur.rulesFile === undefined ? 'create' : 'update'} ${layout.rulesFile} (IPVS rules loaded at boot)`,
      before: cur.rulesFile ?? '',
      after: rules,
      diffName: layout.rulesFile,
      steps: atomicWriteSteps(rooted(ctx.root, layout.rulesFile), rules, { mode: '0600', createDirs: true }),
    });
  }
  if (layout.kind === 'debian') {
    const want = enableAutoText(cur.defaultsFile);
    if (want !== cur.defaultsFile) {
      out.push({
        summary: `load IPVS rules at boot: AUTO="true" in ${layout.defaultsFile}`,
        before: cur.defaultsFile ?? '',
        after: want,
        diffName: layout.defaultsFile,
        steps: atomicWriteSteps(rooted(ctx.root, layout.defaultsFile), want, { createDirs: true }),
      });
    }
  } else if (cur.enabled !== 'enabled') {
    // Enable only: starting ipvsadm.service now would run ipvsadm-restore, which flushes the live table.
    out.push({
      summary: `enable ${layout.unit}.service (loads ${layout.rulesFile} at boot; was ${cur.enabled || 'unknown'})`,
      steps: [{ cmd: sh`systemctl enable ${layout.unit}` }],
    });
  }
  if (cur.timeoutsUnit) {
    out.push(...(desired.timeouts
      ? planUnitPresent(ctx, TIMEOUTS_UNIT, timeoutsUnitText(desired.timeouts), cur.timeoutsUnit, 'IPVS timeouts')
      : planUnitAbsent(ctx, TIMEOUTS_UNIT, cur.timeoutsUnit, 'IPVS timeouts')));
  }
  return out;
}
