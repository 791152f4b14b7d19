import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ExitCode, type ConfigIssue } from '../errors.js';
import { connector } from '../engine/connect.js';
import { runProbe } from '../engine/probe.js';
import { runPlaybook, type RunOptions, type RunResult } from '../engine/run.js';
import { ipvsLiveFact } from '../facts/ipvs.js';
import { clusterGroups, type ClusterModel } from '../lvs/model/index.js';
import { countLine, destCounts, remaining, type DestCount } from '../lvs/drain/counts.js';
import { resolveTargets, type DrainTarget } from '../lvs/drain/overlay.js';
import { drainHostState } from '../lvs/drain/run-state.js';
import { DRAIN_DIR, recordText } from '../lvs/drain/state.js';
import { createReporter } from '../report/index.js';
import { sh } from '../transport/quote.js';
import type { HostKeyChecking } from '../transport/known-hosts.js';
import type { Connection } from '../types.js';
import { LAB_INVENTORY } from './common.js';
import { COMMAND_LINE } from './input-checks.js';
import { loadRunInputs, type RunFlags, type RunInputs } from './inputs.js';

/**
 * `lvsible drain HOST...` and `lvsible restore HOST...`: take realservers out of (and back into) every virtual
 * service on every director, through whoever owns IPVS there, with the state recorded on the directors.
 *
 * Both go the same way: every input checked before any connection; a check-mode pass of the directors' IPVS
 * part, refused if a director has changes pending that are not this drain (a drain changes weights, nothing
 * else); the record written (or removed) on every director; then the director role's IPVS tasks run as in
 * `apply`, with the weights from the model and the records. `drain` then waits for the connections to end.
 */

export interface DrainFlags extends Pick<RunFlags, 'inventory' | 'cluster' | 'forks' | 'user' | 'privateKey'> {
  timeout?: string;
  wait?: boolean;
  waitInactive?: boolean;
  reason?: string;
  force?: boolean;
  json?: boolean;
  verbose?: boolean;
  diff?: boolean;
  hostKeyChecking?: HostKeyChecking;
  connectTimeout?: string;
}

/** The director role's IPVS part, BACKUPs first (src/lvs/drain/weights.yml). */
const WEIGHTS_PLAYBOOK = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/lvs/drain/weights.yml');
const WEIGHT_TAGS = 'ipvs,keepalived';

export interface Prepared {
  inputs: RunInputs;
  model: ClusterModel;
  targets: DrainTarget[];
  connect: RunOptions['connect'];
}

export function prepare(names: string[], flags: DrainFlags, verb: 'drain' | 'restore'): Prepared {
  const issues: ConfigIssue[] = [];
  const at = (field: string, message: string) => issues.push({ file: COMMAND_LINE, field, message });
  if (flags.timeout !== undefined && !/^\d{1,6}$/.test(flags.timeout)) at('--timeout', `must be a whole number of seconds (got ${JSON.stringify(flags.timeout)})`);
  if (flags.reason !== undefined && !/^[^\u0000-\u001f\u007f]{1,300}$/.test(flags.reason)) at('--reason', 'must be one line of at most 300 printable characters');
  let inputs: RunInputs | undefined;
  try {
    inputs = loadRunInputs(WEIGHTS_PLAYBOOK, {
      inventory: flags.inventory?.length ? flags.inventory : [LAB_INVENTORY],
      cluster: flags.cluster,
      tags: WEIGHT_TAGS,
      forks: flags.forks,
      user: flags.user,
      privateKey: flags.privateKey,
      ...(flags.connectTimeout !== undefined ? { timeout: flags.connectTimeout } : {}),
    });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
  }
  const model = inputs?.opened.cluster;
  if (inputs && !model) at(verb, 'no cluster model: put cluster.yml in the inventory directory or pass --cluster FILE');
  let targets: DrainTarget[] = [];
  if (model) {
    const r = resolveTargets(model, names);
    targets = r.targets;
    for (const p of r.problems) at(verb, p);
    if (!model.directors.length) at(verb, `${model.file} has no directors`);
  }
  if (issues.length) throw new ConfigError(issues);
  const connect = connector({ hostKeyChecking: flags.hostKeyChecking, user: flags.user, privateKeyPath: flags.privateKey, connectTimeoutMs: inputs!.connectTimeoutMs });
  return { inputs: inputs!, model: model!, targets, connect };
}

/** The director role's IPVS tasks with the drains recorded on each director (check: nothing changes). */
export function weightsRun(p: Prepared, check: boolean, emit: RunOptions['emit'], notify: (m: string) => void): Promise<RunResult> {
  const { inputs } = p;
  return runPlaybook({
    inventory: inputs.opened.view,
    playbook: inputs.playbook,
    extraVars: inputs.extraVars,
    tags: inputs.tags,
    skipTags: inputs.skipTags,
    check,
    forks: inputs.forks,
    connect: p.connect,
    emit,
    redactor: inputs.redactor,
    hostState: drainHostState(p.model, notify),
  });
}

/**
 * A drain changes weights and nothing else: a director whose IPVS part has changes pending before it (the
 * model edited and not applied, keepalived.conf edited by hand) is refused, naming them, unless --force.
 */
async function refusePending(p: Prepared, force: boolean, verb: string): Promise<string | undefined> {
  const result = await weightsRun(p, true, () => {}, () => {});
  if (result.unreachable.length || result.failed.length) {
    return `${[...result.unreachable, ...result.failed].join(', ')}: not reachable or not readable; nothing was changed (every director must take the ${verb})`;
  }
  if (force || !result.changed) return undefined;
  const pending = Object.entries(result.plan.hosts).flatMap(([host, h]) => h.tasks.filter((t) => t.changes.length).map((t) => `${host}: ${t.task}`));
  return `changes are pending on the directors that are not this ${verb} (${pending.join('; ')}): apply them first (\`lvsible plan\` shows them), or pass --force to make them with it; nothing was changed`;
}

function directorsOf(model: ClusterModel): string[] {
  const g = clusterGroups(model);
  const backup = g.lvs_backup ?? [];
  // BACKUPs first: the MASTER, which carries the traffic, changes last.
  return [...backup, ...(g.lvs_master ?? []).filter((h) => !backup.includes(h))];
}

async function openAll(p: Prepared, hosts: string[]): Promise<Map<string, Connection>> {
  const conns = new Map<string, Connection>();
  const failures: string[] = [];
  await Promise.all(hosts.map(async (h) => {
    try {
      conns.set(h, await p.connect(h, p.inputs.opened.view.hostVars(h)));
    } catch (e) {
      failures.push(`${h}: ${(e as Error).message}`);
    }
  }));
  if (failures.length) {
    await Promise.allSettled([...conns.values()].map((c) => c.close()));
    throw new Error(`cannot reach every director, nothing was changed: ${failures.join('; ')}`);
  }
  return conns;
}

async function onEach(conns: Map<string, Connection>, hosts: string[], cmd: string, what: string): Promise<void> {
  for (const h of hosts) {
    const r = await conns.get(h)!.exec(cmd, { become: true });
    if (r.code !== 0) throw new Error(`${h}: ${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
}

/** Create each record only if absent: draining again keeps the first drain's time and reason. Atomic per file. */
export function recordStep(targets: DrainTarget[], record: { since: string; by: string; reason?: string }, dir = DRAIN_DIR): string {
  const lines = [sh`set -e; umask 022; mkdir -p ${dir}; t=${dir}/.tmp-$$`];
  for (const t of targets) {
    for (const a of t.addresses) {
      const file = `${dir}/${a}`;
      const text = recordText({ ...(t.host ? { host: t.host } : {}), ...record });
      lines.push(sh`if [ ! -e ${file} ]; then printf '%s' ${text} > "$t"; mv -f "$t" ${file}; fi`);
    }
  }
  return lines.join('\n');
}

export function unrecordStep(targets: DrainTarget[], dir = DRAIN_DIR): string {
  return sh`rm -f ${targets.flatMap((t) => t.addresses.map((a) => `${dir}/${a}`))}`;
}

/**
 * Before a realserver takes traffic again: it must accept a TCP connection on its RIP and port, from a
 * director (NAT realservers sit behind them). UDP and fwmark services have no connect to try: said, not faked.
 */
export function answerChecks(t: DrainTarget): { label: string; cmd?: string }[] {
  const seen = new Set<string>();
  const out: { label: string; cmd?: string }[] = [];
  for (const { service, rs } of t.members) {
    const hc = rs.health_check;
    const port = hc && 'connect_port' in hc && hc.connect_port ? hc.connect_port : rs.port;
    const key = `${service.protocol} ${rs.address} ${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const label = `${rs.address}:${port}`;
    if (service.protocol !== 'tcp' || !port) {
      out.push({ label: `${label} (${service.name}: ${service.protocol}, not checked)` });
      continue;
    }
    out.push({ label, cmd: sh`timeout 5 bash -c ${`exec 3<>/dev/tcp/${rs.address}/${port}`}` });
  }
  return out;
}

async function waitDrained(conns: Map<string, Connection>, hosts: string[], targets: DrainTarget[], opts: { timeoutSec: number; waitInactive: boolean; print: (l: string) => void }) {
  const addresses = new Set(targets.flatMap((t) => t.addresses));
  const started = Date.now();
  let last = new Map<string, string>();
  let lastPrint = 0;
  for (;;) {
    const counts = new Map<string, DestCount[]>();
    await Promise.all(hosts.map(async (h) => {
      const live = await runProbe(conns.get(h)!, ipvsLiveFact(), { become: true });
      if (!live.available) throw new Error(`${h}: cannot read IPVS: ${live.error ?? 'ipvsadm unavailable'}`);
      counts.set(h, destCounts(live.table, addresses));
    }));
    const stillWeighted = [...counts].flatMap(([h, cs]) => cs.filter((c) => c.weight !== 0).map((c) => `${h}: ${c.service} -> ${c.dest} has weight ${c.weight}`));
    if (stillWeighted.length) throw new Error(`the drain did not take: ${stillWeighted.join('; ')}`);
    const left = [...counts].flatMap(([h, cs]) => cs.filter((c) => remaining(c, opts.waitInactive) > 0).map((c) => ({ h, c })));
    const elapsed = Math.round((Date.now() - started) / 1000);
    const now = new Map([...counts].flatMap(([h, cs]) => cs.map((c) => [`${h} ${c.service} ${c.dest}`, countLine(h, c)] as const)));
    const changed = [...now].filter(([k, v]) => last.get(k) !== v);
    if (changed.length || Date.now() - lastPrint > 10_000) {
      for (const [, line] of changed.length ? changed : [...now]) opts.print(`  ${String(elapsed).padStart(4)} s  ${line}`);
      lastPrint = Date.now();
    }
    last = now;
    if (!left.length) return { seconds: elapsed, left: [] as string[], counts };
    if (elapsed >= opts.timeoutSec) return { seconds: elapsed, left: left.map(({ h, c }) => countLine(h, c)), counts };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Take `targets` out on every director: record, weights to 0 by the role's tasks, then (unless waitSec is undefined) wait. */
export async function takeOut(
  p: Prepared,
  targets: DrainTarget[],
  opts: { reason?: string; waitSec?: number; waitInactive?: boolean; print: (l: string) => void; converge: (p: Prepared) => Promise<RunResult> },
): Promise<{ result: RunResult; seconds?: number; left: string[] }> {
  const directors = directorsOf(p.model);
  const conns = await openAll(p, directors);
  try {
    const by = `${safeName(userInfo().username)}@${safeName(hostname())}`;
    await onEach(conns, directors, recordStep(targets, { since: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), by, ...(opts.reason ? { reason: opts.reason } : {}) }), 'recording the drain');
    opts.print(`drain: ${targets.map((t) => t.name).join(', ')} recorded on ${directors.join(', ')} (${DRAIN_DIR})`);
    const result = await opts.converge(p);
    if (result.failed.length || result.unreachable.length || opts.waitSec === undefined) return { result, left: [] };
    opts.print(`drain: waiting up to ${opts.waitSec} s for connections to end (active${opts.waitInactive ? ' and inactive' : ''}; UDP flows always count)`);
    const w = await waitDrained(conns, directors, targets, { timeoutSec: opts.waitSec, waitInactive: Boolean(opts.waitInactive), print: opts.print });
    return { result, seconds: w.seconds, left: w.left };
  } finally {
    await Promise.allSettled([...conns.values()].map((c) => c.close()));
  }
}

/** Put `targets` back: each must answer on its RIP (unless force), then the record goes and the weights return. */
export async function putBack(
  p: Prepared,
  targets: DrainTarget[],
  opts: { force?: boolean; print: (l: string) => void; converge: (p: Prepared) => Promise<RunResult> },
): Promise<RunResult> {
  const directors = directorsOf(p.model);
  const conns = await openAll(p, directors);
  try {
    // From the director that carries the traffic (the last one): the path new connections will take.
    const from = directors[directors.length - 1]!;
    const failed: string[] = [];
    for (const t of targets) {
      for (const c of answerChecks(t)) {
        if (!c.cmd) {
          opts.print(`restore: ${t.name}: ${c.label}`);
          continue;
        }
        const r = await conns.get(from)!.exec(c.cmd);
        if (r.code === 0) opts.print(`restore: ${t.name} answers on ${c.label} (from ${from})`);
        else failed.push(`${t.name} does not answer on ${c.label} from ${from}`);
      }
    }
    if (failed.length && !opts.force) throw new Error(`${failed.join('; ')}: it stays drained (--force restores it anyway)`);
    await onEach(conns, directors, unrecordStep(targets), 'removing the drain record');
    opts.print(`restore: ${targets.map((t) => t.name).join(', ')} removed from the drain records on ${directors.join(', ')}`);
    return await opts.converge(p);
  } finally {
    await Promise.allSettled([...conns.values()].map((c) => c.close()));
  }
}

export async function drainCommand(names: string[], flags: DrainFlags): Promise<number> {
  const p = prepare(names, flags, 'drain');
  const print = (l: string) => { if (!flags.json) process.stdout.write(`${l}\n`); };
  const refusal = await refusePending(p, Boolean(flags.force), 'drain');
  if (refusal) throw new Error(refusal);
  const waitSec = flags.wait === false ? undefined : Number(flags.timeout ?? 300);
  const r = await takeOut(p, p.targets, { reason: flags.reason, waitSec, waitInactive: flags.waitInactive, print, converge: (q) => converge(q, flags) });
  if (r.result.failed.length) return ExitCode.error;
  if (r.result.unreachable.length) return ExitCode.unreachable;
  if (flags.json) process.stdout.write(`${JSON.stringify({ drained: summary(p.targets), recap: r.result.recap, ...(r.seconds !== undefined ? { seconds: r.seconds, done: !r.left.length, left: r.left } : {}) }, null, 2)}\n`);
  if (waitSec === undefined) {
    print('drain: not waiting for connections to end (--no-wait)');
    return ExitCode.ok;
  }
  if (r.left.length) {
    process.stderr.write(`drain: timed out after ${r.seconds} s with connections left (the realservers stay drained):\n${r.left.map((l) => `  ${l}\n`).join('')}`);
    return ExitCode.error;
  }
  print(`drain: done in ${r.seconds} s: no connection left to ${p.targets.map((t) => t.name).join(', ')}`);
  return ExitCode.ok;
}

export async function restoreCommand(names: string[], flags: DrainFlags): Promise<number> {
  const p = prepare(names, flags, 'restore');
  const print = (l: string) => { if (!flags.json) process.stdout.write(`${l}\n`); };
  const refusal = await refusePending(p, Boolean(flags.force), 'restore');
  if (refusal) throw new Error(refusal);
  const result = await putBack(p, p.targets, { force: flags.force, print, converge: (q) => converge(q, flags) });
  if (flags.json) process.stdout.write(`${JSON.stringify({ restored: summary(p.targets), recap: result.recap }, null, 2)}\n`);
  return result.failed.length ? ExitCode.error : result.unreachable.length ? ExitCode.unreachable : ExitCode.ok;
}

async function converge(p: Prepared, flags: DrainFlags): Promise<RunResult> {
  if (flags.json) return weightsRun(p, false, () => {}, () => {});
  const reporter = createReporter({ json: false, check: false, diff: Boolean(flags.diff), verbose: Boolean(flags.verbose) });
  try {
    return await weightsRun(p, false, reporter.onEvent, (message) => reporter.onEvent({ type: 'warning', message }));
  } finally {
    await reporter.finish();
  }
}

const summary = (targets: DrainTarget[]) => targets.map((t) => ({ name: t.name, ...(t.host ? { host: t.host } : {}), addresses: t.addresses }));
/** Who drained: printed to terminals and stored, so only plain word characters. */
const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'unknown';
