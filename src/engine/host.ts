import type { Change, Connection, ExecResult, HostFacts, ModuleContext, Probe, Vars } from '../types.js';
import { ConfigError, RemoteCommandError, UnreachableError, formatLocation } from '../errors.js';
import { evalCondition, renderString, TemplateError } from '../playbook/template.js';
import type { Play, Task } from '../playbook/types.js';
import { runBuiltin } from './builtin.js';
import { reportChange, type EventSink, type HostStats, type TaskStatus } from './events.js';
import { checkParams, normalizeParams, prepareTask, stageLoc, type Invocation } from './invocation.js';
import { runProbes } from './probe.js';
import type { Redactor } from './redact.js';
import { applyChange } from './steps.js';

/** Everything one host needs to run one play. */
export interface HostPlayContext {
  host: string;
  play: Play;
  tasks: Task[];
  conn: Connection;
  facts: HostFacts;
  check: boolean;
  emit: EventSink;
  redactor: Redactor;
  stats: HostStats;
  /** The host's variables now (rebuilt after set_fact/register). */
  scope(): { vars: Vars; broken: Map<string, TemplateError> };
  /** Results of `register` and `set_fact`: they outlive the play, as in Ansible. */
  runtimeVars: Vars;
  root: string;
  commandTimeoutMs?: number;
}

/** Task names may hold templates (`restart {{ svc }}`): show them rendered, or as written if they can't be. */
function taskTitle(task: Task, vars: Vars): string {
  if (!task.name.includes('{')) return task.name;
  try {
    return renderString(task.name, vars);
  } catch {
    return task.name;
  }
}

export type HostOutcome = 'ok' | 'failed' | 'unreachable';

type Planned = { inv: Invocation; params: Record<string, unknown>; become: boolean; becomeUser?: string; ctx: ModuleContext };

/**
 * Run a play's tasks on one host, in order. Reads are batched: the probes of every task still to come are
 * run in one round trip, and are read again (again in one batch) only after a change was applied, since a
 * change may have touched what they read. A converged host therefore costs one round trip for the play.
 */
export async function runHostPlay(hc: HostPlayContext): Promise<HostOutcome> {
  const states = new Map<string, unknown>();
  const notified = new Set<string>();

  const becomeOf = (task: Task, vars: Vars): boolean =>
    task.become ?? hc.play.become ?? ['true', 'yes', '1'].includes(String(vars.ansible_become ?? false).toLowerCase());
  /** Task, then role, then play; without any, the connection's `ansible_become_user` (default root). */
  const becomeUserOf = (task: Task, vars: Vars): string | undefined => {
    const raw = task.becomeUser ?? hc.play.becomeUser;
    return raw === undefined ? undefined : renderString(raw, vars);
  };

  const contextFor = (inv: Invocation): ModuleContext => ({
    host: hc.host,
    facts: hc.facts,
    baseDir: inv.task.baseDir,
    root: hc.root,
    render: (t, extra) => renderString(t, { ...inv.vars, ...(extra ?? {}) }, { file: true }),
  });

  const plan = (inv: Invocation): Planned => {
    const ctx = contextFor(inv);
    const params = normalizeParams(inv, ctx);
    for (const name of inv.module?.secretParams ?? []) hc.redactor.add(params[name]);
    hc.redactor.addFromScope(inv.vars);
    const become = becomeOf(inv.task, inv.vars);
    return { inv, params, become, ...(become ? { becomeUser: becomeUserOf(inv.task, inv.vars) } : {}), ctx };
  };
  const keyOf = (p: Planned) => `${p.inv.task.module}\u0000${asWho(p)}\u0000${JSON.stringify(p.params)}`;
  const asWho = (p: Planned) => (p.become ? `become:${p.becomeUser ?? ''}` : 'login');

  /** Read the state of every module invocation from task `from` on, in one batch per become mode. */
  async function prefetch(list: Task[], from: number): Promise<void> {
    const { vars, broken } = hc.scope();
    const wanted = new Map<string, { planned: Planned; probe: Probe<unknown> }>();
    for (const task of list.slice(from)) {
      const prep = prepareTask(task, { ...vars, ...hc.runtimeVars }, broken);
      if (prep.kind !== 'run') continue;
      for (const inv of prep.invocations) {
        if (!inv.module || checkParams(inv).length) continue;
        try {
          const p = plan(inv);
          const key = keyOf(p);
          if (!states.has(key) && !wanted.has(key)) wanted.set(key, { planned: p, probe: inv.module.read(p.params, p.ctx) });
        } catch {
          // A task that cannot be prepared yet is read on its own when its turn comes.
        }
      }
    }
    // One batch per identity the reads run as (the login user, sudo to root, sudo to another user).
    for (const who of new Set([...wanted.values()].map((w) => asWho(w.planned)))) {
      const group = [...wanted].filter(([, w]) => asWho(w.planned) === who);
      const first = group[0]![1].planned;
      const parsed = await runProbes(hc.conn, group.map(([, w]) => w.probe), { become: first.become, becomeUser: first.becomeUser });
      group.forEach(([key], i) => states.set(key, parsed[i]));
    }
  }

  async function runTask(task: Task, list: Task[], index: number, handler: boolean): Promise<boolean> {
    hc.emit({ type: 'task_start', host: hc.host, task: task.name, index, total: list.length });
    const { vars, broken } = hc.scope();
    const prep = prepareTask(task, { ...vars, ...hc.runtimeVars }, broken);
    // A loop's name usually names the item (`VIP {{ item.address }}`): render it per item.
    const titles = prep.kind === 'run' && task.loop !== undefined ? [...new Set(prep.invocations.map((i) => taskTitle(task, i.vars)))] : [taskTitle(task, { ...vars, ...hc.runtimeVars })];
    const title = titles.length > 1 ? `${titles[0]} (+${titles.length - 1} more)` : titles[0]!;
    const base = { type: 'task' as const, play: hc.play.name, host: hc.host, task: title, module: task.module, check: hc.check, handler, ...(task.noLog ? { noLog: true } : {}) };
    if (prep.kind === 'skip') {
      hc.stats.skipped++;
      hc.emit({ ...base, status: 'skipped', changes: [], message: prep.reason });
      return true;
    }
    if (prep.kind === 'error') return fail(task, base, `${formatLocation(stageLoc(task, prep.stage, prep.error))}: ${prep.error.message}`);

    const changes: Change[] = [];
    const outputs: string[] = [];
    const results: Vars[] = [];
    let failedMsg: string | undefined;
    let anyChanged = false;
    for (const inv of prep.invocations) {
      let r: Awaited<ReturnType<typeof runInvocation>>;
      try {
        r = await runInvocation(inv, list, index);
      } catch (e) {
        // A lost connection ends the host; anything else (a source gone since the precheck, a fact a module
        // cannot work with, a bug) fails this task on this host, where it is written, and the others go on.
        if (e instanceof UnreachableError) throw e;
        const where = formatLocation(inv.task.keyLocs.module ?? inv.task.loc);
        const text = e instanceof ConfigError ? e.issues.map((i) => i.message).join('; ') : e instanceof Error ? e.message : String(e);
        r = { changes: [], changed: false, failed: true, message: `${where}: ${text}${inv.itemLabel ? ` (item ${inv.itemLabel})` : ''}`, registered: { changed: false, failed: true } };
      }
      changes.push(...r.changes);
      if (r.output) outputs.push(inv.itemLabel ? `${inv.itemLabel}: ${r.output}` : r.output);
      results.push(r.registered);
      anyChanged ||= r.changed;
      if (r.failed) {
        failedMsg = r.message ?? 'failed';
        break;
      }
    }
    const registered: Vars =
      task.loop === undefined
        ? (results[0] ?? {})
        : { results, changed: anyChanged, failed: failedMsg !== undefined, skipped: false };
    if (task.register) hc.runtimeVars[task.register] = registered;
    // What a no_log task printed stays hidden wherever it is used later (`debug: var=result`, a template).
    if (task.noLog) hc.redactor.addOutputs(registered);

    if (failedMsg !== undefined) {
      return fail(task, base, failedMsg, changes, outputs.join('\n'));
    }
    const status: TaskStatus = anyChanged ? 'changed' : 'ok';
    if (anyChanged) {
      hc.stats.changed++;
      for (const n of task.notify) notified.add(n);
    } else hc.stats.ok++;
    hc.emit({
      ...base,
      status,
      changes: task.noLog ? changes.map((c) => ({ summary: c.summary, commands: [] })) : changes.map(reportChange),
      ...(outputs.length && !task.noLog ? { output: hc.redactor.text(outputs.join('\n')) } : {}),
    });
    return true;
  }

  async function runInvocation(inv: Invocation, list: Task[], index: number) {
    const task = inv.task;
    if (!inv.module) {
      const r = runBuiltin(inv);
      if (r.facts) Object.assign(hc.runtimeVars, r.facts);
      if (r.facts) hc.redactor.addFromVars(r.facts);
      if (r.flushHandlers) await runHandlers();
      return { changes: [], changed: false, failed: r.failed, message: r.message, output: r.output, registered: { changed: false, failed: r.failed, msg: r.message ?? r.output } };
    }
    const issues = checkParams(inv);
    if (issues.length) {
      return { changes: [], changed: false, failed: true, message: issues.map((i) => `${formatLocation(i)}: ${i.message}`).join('\n'), registered: { failed: true } };
    }
    const p = plan(inv);
    const key = keyOf(p);
    if (!states.has(key)) await prefetch(list, index);
    if (!states.has(key)) {
      const [state] = await runProbes(hc.conn, [inv.module.read(p.params, p.ctx)], { become: p.become, becomeUser: p.becomeUser });
      states.set(key, state);
    }
    let changes = inv.module.plan(p.params, states.get(key), p.ctx);
    let results: ExecResult[] = [];
    let failed = false;
    let message: string | undefined;
    if (changes.length && !hc.check) {
      // Whatever happens next, what was read before is no longer the truth.
      states.clear();
      try {
        for (const c of changes) results.push(...(await applyChange(hc.conn, c, { become: p.become, becomeUser: p.becomeUser, timeoutMs: hc.commandTimeoutMs, allowFailure: inv.module.alwaysRuns })));
      } catch (e) {
        if (e instanceof UnreachableError) throw e;
        failed = true;
        message = hc.redactor.text(e instanceof RemoteCommandError ? e.message : String(e));
      }
      if (inv.module.alwaysRuns && !failed) {
        const last = results[results.length - 1];
        if (last && last.code !== 0) {
          failed = true;
          message = `exited ${last.code}: ${(last.stderr || last.stdout).trim().split('\n').slice(-5).join('\n')}`;
        }
      }
    }
    const modResult = inv.module.registerResult && !hc.check ? inv.module.registerResult(results) : {};
    let changed = changes.length > 0;
    const registered: Vars = { changed, failed, ...modResult, ...(hc.check && changed ? { check_mode: true } : {}) };
    const condVars = { ...inv.vars, ...hc.runtimeVars, ...(task.register ? { [task.register]: registered } : {}), result: registered };
    if (task.failedWhen !== undefined && !hc.check) {
      failed = evalCondition(task.failedWhen, condVars);
      message = failed ? (message ?? `failed_when held: ${JSON.stringify(task.failedWhen)}`) : undefined;
    }
    if (task.changedWhen !== undefined) {
      changed = hc.check ? changed && task.changedWhen !== false : evalCondition(task.changedWhen, condVars);
      if (!changed) changes = [];
    }
    registered.changed = changed;
    registered.failed = failed;
    const output = typeof modResult.stdout === 'string' && modResult.stdout.trim() ? modResult.stdout.trim() : undefined;
    return { changes, changed, failed, message, output, registered };
  }

  function fail(task: Task, base: Record<string, unknown>, message: string, changes: Change[] = [], output?: string): boolean {
    const msg = hc.redactor.text(message);
    if (task.ignoreErrors) hc.stats.ignored++;
    else hc.stats.failed++;
    hc.emit({
      ...(base as { type: 'task'; play: string; host: string; task: string; module: string; check: boolean; handler: boolean }),
      status: 'failed',
      changes: changes.map(reportChange),
      message: msg,
      ...(task.ignoreErrors ? { ignored: true } : {}),
      ...(output ? { output: hc.redactor.text(output) } : {}),
    });
    return task.ignoreErrors;
  }

  async function runHandlers(): Promise<boolean> {
    const due = hc.play.handlers.filter((h) => notified.has(h.name) || h.listen.some((l) => notified.has(l)));
    notified.clear();
    for (const [i, h] of due.entries()) {
      if (!(await runTask(h, due, i, true))) return false;
    }
    return true;
  }

  try {
    for (const [i, task] of hc.tasks.entries()) {
      if (!(await runTask(task, hc.tasks, i, false))) return 'failed';
    }
    return (await runHandlers()) ? 'ok' : 'failed';
  } catch (e) {
    if (e instanceof UnreachableError) {
      hc.stats.unreachable++;
      hc.emit({ type: 'unreachable', host: hc.host, message: hc.redactor.text(e.message) });
      return 'unreachable';
    }
    throw e;
  }
}
