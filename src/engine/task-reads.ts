import type { HostFacts, ModuleContext, Vars } from '../types.js';
import { toBool } from '../inventory/index.js';
import { renderString, type TemplateError } from '../playbook/template.js';
import type { Play, Task } from '../playbook/types.js';
import { checkParams, normalizeParams, prepareTask, type Invocation } from './invocation.js';
import type { ReadAs, WantedRead } from './reads.js';
import type { Redactor } from './redact.js';

/** What preparing a task needs of its host, whichever play it is in. */
export interface HostBasics {
  host: string;
  facts: HostFacts;
  root: string;
  redactor: Redactor;
}

/** A module invocation made ready to read and plan: params normalised, identity decided, context built. */
export interface Prepared {
  inv: Invocation;
  params: Record<string, unknown>;
  as: ReadAs;
  ctx: ModuleContext;
  /** The read cache's key: same module, identity and params read the same thing. */
  key: string;
}

/**
 * Task, then role/play; without either, the connection's `ansible_become`, read as the connection reads it
 * (`toBool`: a host that logs in with sudo reads with sudo). The user: task, play, else root.
 */
function identity(task: Task, play: Play, vars: Vars): ReadAs {
  const become = task.become ?? play.become ?? toBool(vars.ansible_become) ?? false;
  if (!become) return { become: false };
  const raw = task.becomeUser ?? play.becomeUser;
  return raw === undefined ? { become: true } : { become: true, becomeUser: renderString(raw, vars) };
}

export function prepareInvocation(inv: Invocation, play: Play, h: HostBasics): Prepared {
  const ctx: ModuleContext = {
    host: h.host,
    facts: h.facts,
    baseDir: inv.task.baseDir,
    root: h.root,
    render: (t, extra) => renderString(t, { ...inv.vars, ...(extra ?? {}) }, { file: true }),
  };
  const params = normalizeParams(inv, ctx);
  for (const name of inv.module?.secretParams ?? []) h.redactor.add(params[name]);
  h.redactor.addFromScope(inv.vars);
  const as = identity(inv.task, play, inv.vars);
  const who = as.become ? `become:${as.becomeUser ?? ''}` : 'login';
  return { inv, params, as, ctx, key: `${inv.task.module}\u0000${who}\u0000${JSON.stringify(params)}` };
}

/** `sysctl net.ipv4.ip_forward`, `file /etc/motd`: the fact a read stands for, as a saved plan names it. */
export function readLabel(module: string, params: Record<string, unknown>): string {
  const main = ['name', 'path', 'dest', 'address', 'dev', 'unit', 'pkg', 'src'].map((k) => params[k]).find((v) => v !== undefined);
  const text = Array.isArray(main) ? main.join(',') : main !== undefined && typeof main !== 'object' ? String(main) : '';
  // An address or a route is only itself on its device: `ip_address 198.51.100.10/32 dev lo`.
  const dev = typeof params.dev === 'string' && main !== params.dev ? ` dev ${params.dev}` : '';
  return text ? `${module} ${text}${dev}` : module;
}

/** The read a prepared invocation wants: its module's probe, under its cache key and label. */
export function readOf(p: Prepared): WantedRead {
  return { key: p.key, label: readLabel(p.inv.task.module, p.params), as: p.as, probe: p.inv.module!.read(p.params, p.ctx) };
}

/**
 * The reads of every task of `tasks` from `from` on that can be prepared now. A task that depends on what an
 * earlier one registers cannot be, yet: it is read on its own when its turn comes.
 */
export function wantedReads(
  tasks: Task[],
  from: number,
  play: Play,
  h: HostBasics,
  scope: { vars: Vars; broken: Map<string, TemplateError> },
  runtimeVars: Vars,
): WantedRead[] {
  const out: WantedRead[] = [];
  for (const task of tasks.slice(from)) {
    const prep = prepareTask(task, { ...scope.vars, ...runtimeVars }, scope.broken);
    if (prep.kind !== 'run') continue;
    for (const inv of prep.invocations) {
      if (!inv.module || checkParams(inv).length) continue;
      try {
        const p = prepareInvocation(inv, play, h);
        out.push(readOf(p));
      } catch {
        // Not preparable yet (a template needing a registered value): read when its turn comes.
      }
    }
  }
  return out;
}
