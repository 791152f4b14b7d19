import type { Connection, HostFacts, Probe, Vars } from '../types.js';
import { UnreachableError } from '../errors.js';
import type { Playbook } from '../playbook/types.js';
import { emptyStats, type EventSink, type HostStats, type Recap, type StageTimings } from './events.js';
import { factsProbe, factVars } from '../facts/host.js';
import { combine } from '../facts/sections.js';
import { runHostPlay, type HostOutcome } from './host.js';
import { comparePlans, PlanRecorder, type PlanDrift, type RunPlan } from './plan.js';
import { runProbe } from './probe.js';
import { HostReads, VERIFY_READ, type WantedRead } from './reads.js';
import { Redactor } from './redact.js';
import { playHosts, scopeFor, selectTasks, type InventoryView } from './scope.js';
import { counted, pool, type HostSession } from './session.js';
import { wantedReads } from './task-reads.js';
import { runVerifyStage, type VerifyStage } from './verify-stage.js';

export interface RunOptions {
  inventory: InventoryView;
  playbook: Playbook;
  extraVars?: Vars;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  check: boolean;
  forks?: number;
  connect(host: string, vars: Vars): Promise<Connection>;
  emit: EventSink;
  redactor?: Redactor;
  /** Path prefix for every file a module touches ('' in production; tests use temp dirs). */
  root?: string;
  commandTimeoutMs?: number;
  /** Judge the cluster after the plays, on the run's connections (not in check mode, not after a failure). */
  verify?: VerifyStage;
  /**
   * `apply PLANFILE`: plan first (nothing printed, nothing changed), compare with this saved plan, and apply
   * only when they agree; otherwise stop before any change and report the drift.
   */
  expect?: RunPlan;
  /**
   * State of a host read with its facts (same round trip), turned into variables layered over the inventory's
   * for that host, in every play whatever its gather_facts. The cluster model's view of a director depends on
   * the drains recorded on it (src/lvs/drain): state that lives on the hosts, not in the inventory.
   */
  hostState?: HostStateHook;
}

export interface HostStateHook {
  read(host: string): Probe<unknown> | undefined;
  vars(host: string, state: unknown): Vars;
}

/** The inventory as a run sees it: a host's own vars, then what its state read at connect time added. */
function overlaid(inventory: InventoryView, layers: Map<string, Vars>): InventoryView {
  const merged = new Map<string, Vars>();
  return {
    ...inventory,
    hostVars(host) {
      const layer = layers.get(host);
      if (!layer) return inventory.hostVars(host);
      let v = merged.get(host);
      if (!v) merged.set(host, (v = { ...inventory.hostVars(host), ...layer }));
      return v;
    },
  };
}

export interface RunResult {
  recap: Recap;
  /** SSH exec round trips per host, the figure that says whether reads were batched. */
  roundTrips: Record<string, number>;
  /** SSH connections opened per host (one for the whole run, verify included). */
  connections: Record<string, number>;
  changed: boolean;
  failed: string[];
  unreachable: string[];
  /** The run's plan as one value (in check mode: what would change). */
  plan: RunPlan;
  /** `expect` given and the hosts no longer match it: nothing was changed. */
  planDrift?: PlanDrift[];
  verify?: { drift: boolean; report: unknown };
  timings: StageTimings;
}

/**
 * Run a playbook as stages over every host at once: connect (one connection per host for the whole run) and
 * read host facts; read what every play and verify will need, one batch per host; run the plays in order (hosts
 * concurrently up to `forks`, tasks in order on each host); verify on the same connections. A host re-reads only
 * after a change was applied on it, since the change may have touched what it read.
 */
export async function runPlaybook(given: RunOptions): Promise<RunResult> {
  const stateVars = new Map<string, Vars>();
  const opts: RunOptions = { ...given, inventory: overlaid(given.inventory, stateVars) };
  const redactor = opts.redactor ?? new Redactor();
  const recorder = new PlanRecorder();
  let quiet = false;
  const emit: EventSink = (e) => {
    const safe = redactor.deep(e);
    recorder.record(safe);
    if (!quiet) opts.emit(safe);
  };
  let recap: Recap = {};
  const sessions = new Map<string, HostSession>();
  const connections = new Map<string, number>();
  const failed = new Set<string>();
  const unreachable = new Set<string>();
  const stats = (h: string): HostStats => (recap[h] ??= emptyStats());
  const forks = opts.forks ?? 50;
  const timings: StageTimings = { connect: 0, read: 0, plays: 0, verify: 0 };
  const timed = async <T>(stage: keyof StageTimings, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings[stage] += Math.round(performance.now() - t0);
    }
  };

  const plays = opts.playbook.plays.map((play) => ({ play, hosts: playHosts(play, opts, new Set()), tasks: selectTasks(play.tasks, opts.tags, opts.skipTags) }));
  const verifyHosts = opts.verify && !opts.check ? opts.verify.hosts : [];
  const everyHost = [...new Set([...plays.flatMap((p) => p.hosts), ...verifyHosts])];
  const rootOf = (host: string) => opts.root ?? String(opts.inventory.hostVars(host).lvsible_root ?? '');

  /** A host that could not be connected or read is out of the run, reported once, in the first play it is in. */
  const lost = new Map<string, { unreachable: boolean; message: string }>();

  async function open(host: string): Promise<void> {
    try {
      const trips = { n: 0 };
      connections.set(host, (connections.get(host) ?? 0) + 1);
      const conn = counted(await opts.connect(host, opts.inventory.hostVars(host)), trips);
      const extra = opts.hostState?.read(host);
      let facts: HostFacts;
      if (extra) {
        const both = await runProbe(conn, combine({ facts: factsProbe, state: extra }, 'host facts'));
        facts = both.facts;
        stateVars.set(host, opts.hostState!.vars(host, both.state));
      } else facts = await runProbe(conn, factsProbe);
      sessions.set(host, { conn, facts, reads: new HostReads(conn, redactor), trips });
    } catch (e) {
      // Reached but unreadable (no /bin/sh, a broken sudo) fails the host loudly; unreachable is its own status.
      lost.set(host, { unreachable: e instanceof UnreachableError, message: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Every read of every play this host is in, and verify's, in one batch per identity. */
  async function firstReads(host: string): Promise<void> {
    const s = sessions.get(host);
    if (!s) return;
    const wanted: WantedRead[] = [];
    for (const p of plays) {
      if (!p.hosts.includes(host)) continue;
      const basics = { host, facts: s.facts, root: rootOf(host), redactor };
      const scope = scopeFor(opts, p.play, host, p.play.gatherFacts ? factVars(s.facts) : {});
      wanted.push(...wantedReads(p.tasks, 0, p.play, basics, scope, {}));
    }
    if (verifyHosts.includes(host)) wanted.push({ key: VERIFY_READ, ...opts.verify!.read(host) });
    try {
      await s.reads.fetch(wanted);
    } catch (e) {
      if (e instanceof UnreachableError) {
        lost.set(host, { unreachable: true, message: e.message });
        sessions.delete(host);
      }
      // Anything else (a read that cannot be parsed) is met again by the task that needs it, and reported there.
    }
  }

  async function playsPass(check: boolean): Promise<void> {
    const out = new Set<string>();
    const runtime = new Map<string, Vars>();
    for (const { play, hosts: all, tasks } of plays) {
      const hosts = all.filter((h) => !out.has(h));
      emit({ type: 'play', name: play.name, hosts, check });
      await pool(hosts, forks, async (host) => {
        stats(host);
        emit({ type: 'host_start', host });
        const s = sessions.get(host);
        const gone = lost.get(host);
        if (!s || gone) {
          out.add(host);
          reportLost(host, gone ?? { unreachable: true, message: 'not connected' }, play.name, check);
          return;
        }
        const hostRuntime = runtime.get(host) ?? {};
        runtime.set(host, hostRuntime);
        const outcome = await safely(host, () => runHostPlay({
          host,
          play,
          tasks,
          conn: s.conn,
          facts: s.facts,
          reads: s.reads,
          check,
          emit,
          redactor,
          stats: stats(host),
          // `gather_facts: false`: the play sees no facts, as in Ansible (modules still get what they need).
          scope: () => scopeFor({ ...opts, check }, play, host, play.gatherFacts ? factVars(s.facts) : {}),
          runtimeVars: hostRuntime,
          // `lvsible_root`: an alternate root for every path (like dpkg --root), e.g. to provision an image tree.
          root: rootOf(host),
          commandTimeoutMs: opts.commandTimeoutMs,
        }), { emit, play: play.name, check, stats: stats(host) });
        if (outcome !== 'ok') out.add(host);
        if (outcome === 'failed') failed.add(host);
        if (outcome === 'unreachable') unreachable.add(host);
        emit({ type: 'host_done', host });
      });
    }
  }

  const reported = new Set<string>();
  function reportLost(host: string, why: { unreachable: boolean; message: string }, play: string, check: boolean): void {
    if (reported.has(host)) return;
    reported.add(host);
    if (why.unreachable) {
      stats(host).unreachable++;
      unreachable.add(host);
      emit({ type: 'unreachable', host, message: why.message });
    } else {
      stats(host).failed++;
      failed.add(host);
      emit({ type: 'task', play, host, task: 'gather facts', module: 'facts', status: 'failed', check, handler: false, changes: [], message: why.message });
    }
  }

  let planDrift: PlanDrift[] | undefined;
  let verified: RunResult['verify'];
  try {
    await timed('connect', () => pool(everyHost, forks, open));
    await timed('read', () => pool([...sessions.keys()], forks, firstReads));
    if (opts.expect) {
      // The plan stage of `apply PLANFILE`: the same plays in check mode, silently, on the reads just made.
      quiet = true;
      await timed('plays', () => playsPass(true));
      for (const [h, s] of sessions) recorder.reads(h, plannedReads(s));
      quiet = false;
      planDrift = failed.size || unreachable.size ? [] : comparePlans(opts.expect, recorder.plan);
      const blocked = failed.size > 0 || unreachable.size > 0 || planDrift.length > 0;
      if (blocked) {
        for (const h of [...failed, ...unreachable]) emit({ type: 'warning', message: `${h}: cannot be planned again (${recorder.plan.hosts[h]?.incomplete ?? 'failed'}): nothing was applied` });
      } else {
        recap = {};
        recorder.plan.hosts = {};
        reported.clear();
        await timed('plays', () => playsPass(opts.check));
      }
    } else await timed('plays', () => playsPass(opts.check));
    for (const [h, s] of sessions) if (!opts.expect) recorder.reads(h, plannedReads(s));
    if (opts.verify && !opts.check && !failed.size && !unreachable.size && !planDrift?.length) {
      // A change on one host can move what another shows (a reloaded keepalived takes a VIP from its peer):
      // the first reads stand for the cluster only when nothing changed anywhere.
      if (Object.values(recap).some((st) => st.changed > 0)) for (const s of sessions.values()) s.reads.invalidate();
      verified = await timed('verify', () => runVerifyStage(opts.verify!, sessions, lost, forks));
      emit({ type: 'verify', ...verified });
    }
  } finally {
    await Promise.allSettled([...sessions.values()].map((s) => s.conn.close()));
  }
  const roundTrips = Object.fromEntries([...sessions].map(([h, s]) => [h, s.trips.n]));
  const conns = Object.fromEntries(connections);
  emit({ type: 'recap', recap, roundTrips, connections: conns, timings });
  return {
    recap,
    roundTrips,
    connections: conns,
    changed: Object.values(recap).some((s) => s.changed > 0),
    failed: [...failed],
    unreachable: [...unreachable],
    plan: recorder.plan,
    ...(planDrift ? { planDrift } : {}),
    ...(verified ? { verify: { drift: verified.drift, report: verified.report } } : {}),
    timings,
  };
}

/** What the plays read, as a plan records it: verify's read is not part of a plan (check mode never verifies). */
function plannedReads(s: HostSession) {
  const reads = s.reads.fingerprints();
  reads.delete(VERIFY_READ);
  return reads;
}

/**
 * Whatever goes wrong on one host after the run started is that host's failure, reported as such: the other
 * hosts go on, the recap is printed, and the run never claims that nothing was contacted.
 */
async function safely(
  host: string,
  work: () => Promise<HostOutcome>,
  on: { emit: EventSink; play: string; check: boolean; stats: HostStats },
): Promise<HostOutcome> {
  try {
    return await work();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    on.stats.failed++;
    on.emit({ type: 'task', play: on.play, host, task: 'run', module: 'engine', status: 'failed', check: on.check, handler: false, changes: [], message: `internal error on this host: ${message}` });
    return 'failed';
  }
}
