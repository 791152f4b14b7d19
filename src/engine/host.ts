import type { Change, ExecResult, Plan, Vars } from '../types.js';
import { ConfigError, RemoteCommandError, UnreachableError, formatLocation } from '../errors.js';
import { evalCondition, renderString, TemplateError } from '../playbook/template.js';
import type { Play, Task } from '../playbook/types.js';
import type { Connection } from '../types.js';
import { runBuiltin } from './builtin.js';
import { reportChange, type EventSink, type HostStats, type TaskEvent, type TaskStatus } from './events.js';
import { checkParams, prepareTask, stageLoc, type Invocation } from './invocation.js';
import type { HostReads } from './reads.js';
import type { Redactor } from './redact.js';
import { applyChange } from './steps.js';
import { prepareInvocation, readOf, wantedReads, type HostBasics } from './task-reads.js';

/** Everything one host needs to run one play. */
export interface HostPlayContext extends HostBasics {
  play: Play;
  tasks: Task[];
  conn: Connection;
  /** The host's reads for the whole run: shared by every play and by verify. */
  reads: HostReads;
  check: boolean;
  emit: EventSink;
  redactor: Redactor;
  stats: HostStats;
  /** The host's variables now (rebuilt after set_fact/register). */
  scope(): { vars: Vars; broken: Map<string, TemplateError> };
  /** Results of `register` and `set_fact`: they outlive the play, as in Ansible. */
  runtimeVars: Vars;
  commandTimeoutMs?: number;
}

export type HostOutcome = 'ok' | 'failed' | 'unreachable';

/** What one invocation came to: the plan it made, what applying it did, what `register` holds. */
interface Outcome {
  changes: Change[];
  changed: boolean;
  failed: boolean;
  message?: string;
  output?: string;
  /** Why a converged invocation had nothing to do (the module's own words). */
  noop?: string;
  registered: Vars;
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

/**
 * Run a play's tasks on one host, in order. Each module invocation goes through the same stages: prepare
 * (render, check), read (from the run's batched reads, or one batch for every task still to come when a change
 * emptied them), plan (pure), apply (skipped in check mode: the only place check mode exists), conclude
 * (changed_when, failed_when, register). A converged host reads nothing here: its reads were batched at the start.
 */
export async function runHostPlay(hc: HostPlayContext): Promise<HostOutcome> {
  const notified = new Set<string>();
  try {
    for (const [i, task] of hc.tasks.entries()) {
      if (!(await runTask(hc, task, hc.tasks, i, false, notified))) return 'failed';
    }
    return (await runHandlers(hc, notified)) ? 'ok' : 'failed';
  } catch (e) {
    if (e instanceof UnreachableError) {
      hc.stats.unreachable++;
      hc.emit({ type: 'unreachable', host: hc.host, message: hc.redactor.text(e.message) });
      return 'unreachable';
    }
    throw e;
  }
}

async function runHandlers(hc: HostPlayContext, notified: Set<string>): Promise<boolean> {
  const due = hc.play.handlers.filter((h) => notified.has(h.name) || h.listen.some((l) => notified.has(l)));
  notified.clear();
  for (const [i, h] of due.entries()) {
    if (!(await runTask(hc, h, due, i, true, notified))) return false;
  }
  return true;
}

/** One task: every loop item through the stages, then one event. False when the host must stop. */
async function runTask(hc: HostPlayContext, task: Task, list: Task[], index: number, handler: boolean, notified: Set<string>): Promise<boolean> {
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
  if (prep.kind === 'error') return fail(hc, task, base, `${formatLocation(stageLoc(task, prep.stage, prep.error))}: ${prep.error.message}`);

  const outcomes: Outcome[] = [];
  for (const inv of prep.invocations) {
    const o = await guarded(inv, () => runInvocation(hc, inv, list, index, notified));
    outcomes.push(o);
    if (o.failed) break;
  }
  const changes = outcomes.flatMap((o) => o.changes);
  const outputs = outcomes.flatMap((o, i) => (o.output ? [prep.invocations[i]!.itemLabel ? `${prep.invocations[i]!.itemLabel}: ${o.output}` : o.output] : []));
  const failedOne = outcomes.find((o) => o.failed);
  const anyChanged = outcomes.some((o) => o.changed);
  const registered: Vars =
    task.loop === undefined
      ? (outcomes[0]?.registered ?? {})
      : { results: outcomes.map((o) => o.registered), changed: anyChanged, failed: failedOne !== undefined, skipped: false };
  if (task.register) hc.runtimeVars[task.register] = registered;
  // What a no_log task printed stays hidden wherever it is used later (`debug: var=result`, a template).
  if (task.noLog) hc.redactor.addOutputs(registered);
  if (failedOne) return fail(hc, task, base, failedOne.message ?? 'failed', changes, outputs.join('\n'));

  const status: TaskStatus = anyChanged ? 'changed' : 'ok';
  if (anyChanged) {
    hc.stats.changed++;
    for (const n of task.notify) notified.add(n);
  } else hc.stats.ok++;
  const why = [...new Set(outcomes.map((o) => o.noop).filter((n): n is string => Boolean(n)))];
  hc.emit({
    ...base,
    status,
    changes: task.noLog ? changes.map((c) => ({ summary: c.summary, commands: [] })) : changes.map(reportChange),
    ...(outputs.length && !task.noLog ? { output: hc.redactor.text(outputs.join('\n')) } : {}),
    ...(status === 'ok' && why.length && !task.noLog ? { noop: hc.redactor.text(why.slice(0, 3).join('; ') + (why.length > 3 ? `; and ${why.length - 3} more` : '')) } : {}),
  });
  return true;
}

/**
 * The one error path of an invocation: a lost connection ends the host; anything else (a source gone since the
 * precheck, a fact a module cannot work with, a bug) fails this task on this host, where it is written, and the
 * other hosts go on.
 */
async function guarded(inv: Invocation, work: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof UnreachableError) throw e;
    const where = formatLocation(inv.task.keyLocs.module ?? inv.task.loc);
    const text = e instanceof ConfigError ? e.issues.map((i) => i.message).join('; ') : e instanceof Error ? e.message : String(e);
    return { changes: [], changed: false, failed: true, message: `${where}: ${text}${inv.itemLabel ? ` (item ${inv.itemLabel})` : ''}`, registered: { changed: false, failed: true } };
  }
}

async function runInvocation(hc: HostPlayContext, inv: Invocation, list: Task[], index: number, notified: Set<string>): Promise<Outcome> {
  const task = inv.task;
  if (!inv.module) {
    const r = runBuiltin(inv);
    if (r.facts) {
      Object.assign(hc.runtimeVars, r.facts);
      hc.redactor.addFromVars(r.facts);
    }
    if (r.flushHandlers) await runHandlers(hc, notified);
    return { changes: [], changed: false, failed: r.failed, message: r.message, output: r.output, registered: { changed: false, failed: r.failed, msg: r.message ?? r.output } };
  }
  // Stage: prepare.
  const issues = checkParams(inv);
  if (issues.length) {
    return { changes: [], changed: false, failed: true, message: issues.map((i) => `${formatLocation(i)}: ${i.message}`).join('\n'), registered: { failed: true } };
  }
  const p = prepareInvocation(inv, hc.play, hc);
  // Stage: read. A change emptied the reads: read again, in one batch, for every task still to come.
  if (!hc.reads.has(p.key)) await hc.reads.fetch(wantedReads(list, index, hc.play, hc, hc.scope(), hc.runtimeVars));
  if (!hc.reads.has(p.key)) await hc.reads.fetch([readOf(p)]);
  // Stage: plan.
  let changes: Plan = inv.module.plan(p.params, hc.reads.get(p.key), p.ctx);
  // Stage: apply. Check mode is this one condition.
  let results: ExecResult[] = [];
  let failed = false;
  let message: string | undefined;
  if (changes.length && !hc.check) {
    // Whatever happens next, what was read before is no longer the truth.
    hc.reads.invalidate();
    try {
      for (const c of changes) results.push(...(await applyChange(hc.conn, c, { ...p.as, timeoutMs: hc.commandTimeoutMs, allowFailure: inv.module.alwaysRuns })));
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
  // Stage: conclude.
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
  return { changes, changed, failed, message, output, registered, ...(changes.noop ? { noop: changes.noop } : {}) };
}

function fail(hc: HostPlayContext, task: Task, base: Omit<TaskEvent, 'status' | 'changes'>, message: string, changes: Change[] = [], output?: string): boolean {
  if (task.ignoreErrors) hc.stats.ignored++;
  else hc.stats.failed++;
  hc.emit({
    ...base,
    status: 'failed',
    changes: changes.map(reportChange),
    message: hc.redactor.text(message),
    ...(task.ignoreErrors ? { ignored: true } : {}),
    ...(output ? { output: hc.redactor.text(output) } : {}),
  });
  return task.ignoreErrors;
}
