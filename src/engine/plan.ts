import { createHash } from 'node:crypto';
import type { EngineEvent, ReportedChange, TaskEvent } from './events.js';
import type { ReadRecord } from './reads.js';

/**
 * The whole run's plan as one value: for every host, in order, each task and the changes it makes (or would
 * make, in check mode), and what the host's reads said before anything changed. Reporters, `--json` and
 * `plan --out` all render this one value; `apply PLANFILE` checks a fresh one against it before changing anything.
 * It holds only what events hold (redacted, no step payloads), so it may be saved and shown.
 */
export interface RunPlan {
  hosts: Record<string, HostPlan>;
}

export interface HostPlan {
  tasks: PlannedTask[];
  /** Read key -> what was read and its digest: a fingerprint of the host as the plan saw it. */
  reads: Record<string, ReadRecord>;
  /** The host could not be planned (unreachable, a failed task): a plan with such a host cannot be saved. */
  incomplete?: string;
}

export interface PlannedTask {
  play: string;
  task: string;
  module: string;
  status: TaskEvent['status'];
  handler: boolean;
  changes: ReportedChange[];
}

/** Collects the plan from the engine's own events, so that the plan and what the reporters showed are one thing. */
export class PlanRecorder {
  readonly plan: RunPlan = { hosts: {} };

  private host(h: string): HostPlan {
    return (this.plan.hosts[h] ??= { tasks: [], reads: {} });
  }

  record = (e: EngineEvent): void => {
    if (e.type === 'task') {
      const { play, task, module, status, handler, changes } = e;
      this.host(e.host).tasks.push({ play, task, module, status, handler, changes });
      if (status === 'failed' && !e.ignored) this.host(e.host).incomplete ??= `${task} failed`;
    } else if (e.type === 'unreachable') this.host(e.host).incomplete ??= `unreachable: ${e.message}`;
  };

  reads(host: string, reads: Map<string, ReadRecord>): void {
    this.host(host).reads = Object.fromEntries(reads);
  }
}

/** A digest of a host's planned changes: equal digests, equal plans (summaries, diffs and commands). */
export function changesDigest(tasks: PlannedTask[]): string {
  const h = createHash('sha256');
  for (const t of tasks) h.update(JSON.stringify([t.play, t.task, t.module, t.status === 'changed', t.changes]));
  return h.digest('hex').slice(0, 32);
}

/** One way in which the host is no longer what the saved plan saw. */
export interface PlanDrift {
  host: string;
  /** The fact (`sysctl net.ipv4.ip_forward`), or the task whose planned changes differ. */
  what: string;
  detail: string;
}

/**
 * Compare a saved plan with the plan made now from fresh reads. A host drifted when a fact it read says
 * something else now (named), or when its changes differ although every fact is the same (then the inputs
 * changed: the playbook, a template, a variable). Hosts added or gone count too.
 */
export function comparePlans(saved: RunPlan, now: RunPlan): PlanDrift[] {
  const out: PlanDrift[] = [];
  const hosts = [...new Set([...Object.keys(saved.hosts), ...Object.keys(now.hosts)])].sort();
  for (const host of hosts) {
    const a = saved.hosts[host];
    const b = now.hosts[host];
    if (!a) {
      out.push({ host, what: 'host', detail: 'not in the saved plan' });
      continue;
    }
    if (!b) {
      out.push({ host, what: 'host', detail: 'in the saved plan, not in this run' });
      continue;
    }
    const facts: PlanDrift[] = [];
    for (const [key, r] of Object.entries(a.reads)) {
      const n = b.reads[key];
      if (!n) facts.push({ host, what: r.label, detail: 'read by the saved plan, not now' });
      else if (n.digest !== r.digest) facts.push({ host, what: r.label, detail: 'changed since the plan was made' });
    }
    for (const [key, r] of Object.entries(b.reads)) {
      if (!a.reads[key]) facts.push({ host, what: r.label, detail: 'read now, not by the saved plan' });
    }
    out.push(...facts);
    if (changesDigest(a.tasks) !== changesDigest(b.tasks) && !facts.length) {
      const i = a.tasks.findIndex((t, k) => JSON.stringify(t) !== JSON.stringify(b.tasks[k]));
      const t = a.tasks[i] ?? b.tasks[i];
      out.push({ host, what: t ? `task ${JSON.stringify(t.task)}` : 'tasks', detail: 'plans other changes now (the inputs changed: playbook, templates or variables)' });
    }
  }
  return out;
}
