import type { Connection, HostFacts, Probe, Vars } from '../types.js';
import { UnreachableError } from '../errors.js';
import type { Play, Playbook, Task } from '../playbook/types.js';
import { playSerial, splitBatches, type PlaySerial } from '../playbook/serial.js';
import { BatchStopped, BatchWatch, type BatchHooks, type BatchHostResult, type BatchInfo, type BatchVerdict, type RunStop } from './batches.js';
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
  /**
   * Called around each batch of a play with `serial` (not in check mode): the rolling-deploy seam, e.g. take a
   * batch's realservers out of their services before and back after (src/engine/batches.ts, docs/serial.md).
   */
  batch?: BatchHooks;
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
  /** The plays stopped early (a batch's failures, `any_errors_fatal`, `max_fail_percentage`, a batch hook): where and why. */
  stopped?: RunStop;
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

  // `serial` and `max_fail_percentage` templates are rendered here, before any connection: a bad one is a ConfigError.
  const plays = opts.playbook.plays.map((play) => ({
    play,
    hosts: playHosts(play, opts, new Set()),
    tasks: selectTasks(play.tasks, opts.tags, opts.skipTags),
    serial: playSerial(play, opts.extraVars),
  }));
  let stopped: RunStop | undefined;
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

  /**
   * The plays in order. A play runs batch by batch (`serial`; without it, one batch of every host): each batch
   * runs the whole play, handlers included, before the next starts (src/engine/batches.ts has the rules that stop
   * a play, and with it the run). Reads are not affected: every host's were made before the first play.
   */
  async function playsPass(check: boolean): Promise<void> {
    const out = new Set<string>();
    const runtime = new Map<string, Vars>();
    stopped = undefined;
    for (const [pi, { play, hosts: all, tasks, serial }] of plays.entries()) {
      const batches = serial.serial ? splitBatches(all, serial.serial) : [all];
      if (!batches.length) emit({ type: 'play', name: play.name, hosts: [], check });
      for (const [bi, cut] of batches.entries()) {
        const hosts = cut.filter((h) => !out.has(h));
        const batch = serial.serial ? { number: bi + 1, of: batches.length } : undefined;
        if (batch && !hosts.length) continue;
        const reason = await runBatch({ play, tasks, serial, hosts, size: cut.length, batch, check, out, runtime });
        if (reason) {
          const rest = [...batches.slice(bi + 1).flat(), ...plays.slice(pi + 1).flatMap((p) => p.hosts)];
          const untouched = [...new Set(rest)].filter((h) => !out.has(h));
          stopped = { play: play.name, ...(batch ? { batch } : {}), reason, untouched };
          const where = `play "${play.name}"${batch ? ` batch ${batch.number}/${batch.of}` : ''}`;
          emit({ type: 'warning', message: `${where}: ${reason}: the run stops here${untouched.length ? `; not run: ${untouched.join(', ')}` : ''}` });
          return;
        }
      }
    }
  }

  /** One batch of a play: its hooks, its hosts concurrently (up to `forks`), the rules. The reason to stop, if any. */
  async function runBatch(b: {
    play: Play;
    tasks: Task[];
    serial: PlaySerial;
    hosts: string[];
    size: number;
    batch?: BatchInfo;
    check: boolean;
    out: Set<string>;
    runtime: Map<string, Vars>;
  }): Promise<string | undefined> {
    const { play, hosts, batch, check } = b;
    emit({ type: 'play', name: play.name, hosts, check, ...(batch ? { batch } : {}) });
    const hooks = batch && !check ? opts.batch : undefined;
    const label = batch ? `batch ${batch.number}/${batch.of} (${hosts.join(', ')})` : '';
    if (hooks?.before) {
      const v = await verdict(() => hooks.before!(play, hosts, batch!));
      if (!v.ok) return hookFailed(b, hosts, 'before', `rolling deploy stopped before ${label}: ${v.message ?? 'the before-batch hook refused'}`);
    }
    const watch = new BatchWatch(hosts, b.size, b.serial);
    const results: Record<string, BatchHostResult> = {};
    await pool(hosts, forks, async (host) => {
      // A host not started yet when the batch must stop is left untouched.
      if (watch.stop) {
        results[host] = 'stopped';
        b.out.add(host);
        return;
      }
      // This host's events: the batch's rules see them, and once they say stop, the host stops at its next task.
      const hostEmit: EventSink = (e) => {
        if (watch.stop && e.type === 'task_start') throw new BatchStopped();
        emit(e);
        watch.seen(e);
      };
      stats(host);
      emit({ type: 'host_start', host });
      const s = sessions.get(host);
      const gone = lost.get(host);
      if (!s || gone) {
        b.out.add(host);
        results[host] = gone?.unreachable === false ? 'failed' : 'unreachable';
        reportLost(host, gone ?? { unreachable: true, message: 'not connected' }, play.name, check, hostEmit);
        // Reported in an earlier play already: it still counts as down in this batch.
        if (results[host] === 'failed') watch.failed.add(host);
        else watch.unreachable.add(host);
        return;
      }
      const hostRuntime = b.runtime.get(host) ?? {};
      b.runtime.set(host, hostRuntime);
      const outcome = await safely(host, async () => {
        try {
          return await runHostPlay({
            host,
            play,
            tasks: b.tasks,
            conn: s.conn,
            facts: s.facts,
            reads: s.reads,
            check,
            emit: hostEmit,
            redactor,
            stats: stats(host),
            // `gather_facts: false`: the play sees no facts, as in Ansible (modules still get what they need).
            scope: () => scopeFor({ ...opts, check }, play, host, play.gatherFacts ? factVars(s.facts) : {}),
            runtimeVars: hostRuntime,
            // `lvsible_root`: an alternate root for every path (like dpkg --root), e.g. to provision an image tree.
            root: rootOf(host),
            commandTimeoutMs: opts.commandTimeoutMs,
          });
        } catch (e) {
          if (e instanceof BatchStopped) return 'stopped';
          throw e;
        }
      }, { emit: hostEmit, play: play.name, check, stats: stats(host) });
      results[host] = outcome;
      if (outcome !== 'ok') b.out.add(host);
      if (outcome === 'failed') failed.add(host);
      if (outcome === 'unreachable') unreachable.add(host);
      emit({ type: 'host_done', host });
    });
    if (hooks?.after) {
      const v = await verdict(() => hooks.after!(play, hosts, results, batch!));
      if (!v.ok) {
        const fine = v.fail ?? hosts.filter((h) => results[h] === 'ok');
        return hookFailed(b, fine, 'after', `rolling deploy stopped after ${label}: ${v.message ?? 'the after-batch hook refused'}`);
      }
    }
    return watch.settle();
  }

  /**
   * A batch hook said no: the batch's hosts are failed at that step, as a failed drain or re-enable task would
   * fail them in an Ansible rolling deploy, so the recap, the exit code and `failed` say so.
   */
  function hookFailed(b: { play: Play; batch?: BatchInfo; check: boolean; out: Set<string> }, hosts: string[], step: 'before' | 'after', message: string): string {
    for (const host of hosts) {
      stats(host).failed++;
      failed.add(host);
      b.out.add(host);
      emit({ type: 'task', play: b.play.name, host, task: `${step} batch ${b.batch!.number}/${b.batch!.of}`, module: 'serial', status: 'failed', check: b.check, handler: false, changes: [], message });
    }
    return message;
  }

  const reported = new Set<string>();
  function reportLost(host: string, why: { unreachable: boolean; message: string }, play: string, check: boolean, emit: EventSink): void {
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
    ...(stopped ? { stopped } : {}),
    ...(verified ? { verify: { drift: verified.drift, report: verified.report } } : {}),
    timings,
  };
}

/** A hook that throws says no, with its error. */
async function verdict(call: () => Promise<BatchVerdict>): Promise<BatchVerdict> {
  try {
    return await call();
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
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
async function safely<T extends HostOutcome | 'stopped'>(
  host: string,
  work: () => Promise<T>,
  on: { emit: EventSink; play: string; check: boolean; stats: HostStats },
): Promise<T | 'failed'> {
  try {
    return await work();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    on.stats.failed++;
    on.emit({ type: 'task', play: on.play, host, task: 'run', module: 'engine', status: 'failed', check: on.check, handler: false, changes: [], message: `internal error on this host: ${message}` });
    return 'failed';
  }
}
