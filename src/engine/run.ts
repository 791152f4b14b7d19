import type { Connection, ExecOptions, HostFacts, Vars } from '../types.js';
import { UnreachableError, type SourceLocation } from '../errors.js';
import type { Playbook, Play, Task } from '../playbook/types.js';
import { resolveScope } from '../playbook/vars.js';
import { emptyStats, type EventSink, type HostStats, type Recap } from './events.js';
import { factsProbe, factVars } from './facts.js';
import { runHostPlay, type HostOutcome } from './host.js';
import { runProbe } from './probe.js';
import { Redactor } from './redact.js';

/** What the engine needs of an inventory; src/cli.ts adapts src/inventory to it. */
export interface InventoryView {
  hosts(): string[];
  hostVars(host: string): Vars;
  groups(): Record<string, string[]>;
  groupNames(host: string): string[];
  resolve(pattern: string): { hosts: string[]; warnings: string[] };
  /** Where the value a host sees for `name` is written, when it comes from a file. */
  varLocation?(host: string, name: string): SourceLocation | undefined;
}

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
}

export interface RunResult {
  recap: Recap;
  /** SSH exec round trips per host, the figure that says whether reads were batched. */
  roundTrips: Record<string, number>;
  changed: boolean;
  failed: string[];
  unreachable: string[];
}

/** Tags semantics of Ansible: `always` runs unless skipped, `never` only when asked for. */
export function selectTasks(tasks: Task[], tags: string[] = [], skip: string[] = []): Task[] {
  return tasks.filter((t) => {
    if (t.tags.some((x) => skip.includes(x))) return false;
    if (!tags.length || tags.includes('all')) return !t.tags.includes('never') || tags.includes('never');
    return t.tags.includes('always') || t.tags.some((x) => tags.includes(x));
  });
}

export function playHosts(play: Play, opts: Pick<RunOptions, 'inventory' | 'limit'>, out: Set<string>): string[] {
  let hosts = opts.inventory.resolve(play.hosts).hosts;
  if (opts.limit) {
    const allowed = new Set(opts.inventory.resolve(opts.limit).hosts);
    hosts = hosts.filter((h) => allowed.has(h));
  }
  return hosts.filter((h) => !out.has(h));
}

function magicVars(opts: ScopeOptions, host: string, play: Play): Vars {
  const groups = opts.inventory.groups();
  return {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    group_names: opts.inventory.groupNames(host),
    groups,
    playbook_dir: opts.playbook.dir,
    ansible_check_mode: opts.check,
    ansible_play_name: play.name,
    hostvars: new Proxy({}, { get: (_t, h) => (typeof h === 'string' ? opts.inventory.hostVars(h) : undefined) }),
  };
}

/** What a host's variables are built from. */
export type ScopeOptions = Pick<RunOptions, 'inventory' | 'playbook' | 'extraVars' | 'check'>;

export function scopeFor(opts: ScopeOptions, play: Play, host: string, facts: Vars) {
  return resolveScope(
    [play.roleDefaults, opts.inventory.hostVars(host), facts, play.vars, play.roleVars, opts.extraVars ?? {}],
    magicVars(opts, host, play),
  );
}

/** Count exec round trips per host without the modules or the transport knowing. */
function counted(conn: Connection, counter: { n: number }): Connection {
  return {
    host: conn.host,
    exec: (cmd: string, o?: ExecOptions) => {
      counter.n++;
      return conn.exec(cmd, o);
    },
    close: () => conn.close(),
  };
}

/** Run every play of a playbook: hosts concurrently (up to `forks`), tasks in order on each host. */
export async function runPlaybook(opts: RunOptions): Promise<RunResult> {
  const redactor = opts.redactor ?? new Redactor();
  const emit: EventSink = (e) => opts.emit(redactor.deep(e));
  const recap: Recap = {};
  const conns = new Map<string, Connection>();
  const counters = new Map<string, { n: number }>();
  const facts = new Map<string, HostFacts>();
  const runtime = new Map<string, Vars>();
  const out = new Set<string>();
  const failed = new Set<string>();
  const unreachable = new Set<string>();
  const stats = (h: string): HostStats => (recap[h] ??= emptyStats());

  async function ready(host: string): Promise<{ conn: Connection; facts: HostFacts } | null> {
    try {
      let conn = conns.get(host);
      if (!conn) {
        const counter = { n: 0 };
        counters.set(host, counter);
        conn = counted(await opts.connect(host, opts.inventory.hostVars(host)), counter);
        conns.set(host, conn);
      }
      let f = facts.get(host);
      if (!f) {
        f = await runProbe(conn, factsProbe);
        facts.set(host, f);
      }
      return { conn, facts: f! };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof UnreachableError) {
        stats(host).unreachable++;
        unreachable.add(host);
        emit({ type: 'unreachable', host, message });
      } else {
        // Reached, but the facts could not be read (no /bin/sh, a broken sudo): the host fails, loudly.
        stats(host).failed++;
        failed.add(host);
        emit({ type: 'task', play: '', host, task: 'gather facts', module: 'facts', status: 'failed', check: opts.check, handler: false, changes: [], message });
      }
      out.add(host);
      return null;
    }
  }

  try {
    for (const play of opts.playbook.plays) {
      const hosts = playHosts(play, opts, out);
      emit({ type: 'play', name: play.name, hosts, check: opts.check });
      const tasks = selectTasks(play.tasks, opts.tags, opts.skipTags);
      await pool(hosts, opts.forks ?? 50, async (host) => {
        stats(host);
        emit({ type: 'host_start', host });
        const r = await ready(host);
        if (!r) return;
        const hostRuntime = runtime.get(host) ?? {};
        runtime.set(host, hostRuntime);
        const outcome = await safely(host, () => runHostPlay({
          host,
          play,
          tasks,
          conn: r.conn,
          facts: r.facts,
          check: opts.check,
          emit,
          redactor,
          stats: stats(host),
          // `gather_facts: false`: the play sees no facts, as in Ansible (modules still get what they need).
          scope: () => scopeFor(opts, play, host, play.gatherFacts ? factVars(r.facts) : {}),
          runtimeVars: hostRuntime,
          // `lvsible_root`: an alternate root for every path (like dpkg --root), e.g. to provision an image tree.
          root: opts.root ?? String(opts.inventory.hostVars(host).lvsible_root ?? ''),
          commandTimeoutMs: opts.commandTimeoutMs,
        }), { emit, play: play.name, check: opts.check, stats: stats(host) });
        if (outcome !== 'ok') out.add(host);
        if (outcome === 'failed') failed.add(host);
        if (outcome === 'unreachable') unreachable.add(host);
        emit({ type: 'host_done', host });
      });
    }
  } finally {
    await Promise.allSettled([...conns.values()].map((c) => c.close()));
  }
  const roundTrips = Object.fromEntries([...counters].map(([h, c]) => [h, c.n]));
  emit({ type: 'recap', recap, roundTrips });
  return {
    recap,
    roundTrips,
    changed: Object.values(recap).some((s) => s.changed > 0),
    failed: [...failed],
    unreachable: [...unreachable],
  };
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

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.max(1, Math.min(size, queue.length)) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  });
  await Promise.all(workers);
}
