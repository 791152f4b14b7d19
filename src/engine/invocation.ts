import type { ConfigIssue, SourceLocation } from '../errors.js';
import type { Module, ModuleContext, Vars } from '../types.js';
import { validate } from '../config/validate.js';
import type { SourceDoc } from '../config/source.js';
import { evalCondition, renderValue, TemplateError } from '../playbook/template.js';
import { explain } from '../playbook/vars.js';
import type { Task } from '../playbook/types.js';
import { modules } from '../modules/index.js';

/** One run of a module on one host: a task, for one loop item, with its parameters rendered. */
export interface Invocation {
  task: Task;
  module?: Module;
  params: Record<string, unknown>;
  item?: unknown;
  itemLabel?: string;
  vars: Vars;
}

export type Prepared =
  | { kind: 'skip'; reason: string }
  | { kind: 'run'; invocations: Invocation[] }
  | { kind: 'error'; error: Error; stage: PrepareStage };

/** Which part of a task failed to render: its error is reported where that part is written. */
export type PrepareStage = 'vars' | 'loop' | 'when' | 'args';

/**
 * Render a task for a host: `when`, `loop`, then the parameters per item, then check them against the
 * module's schema. Pure apart from templating: no host is touched. A TemplateError is returned for the
 * caller to decide (at load time it may only mean "needs a runtime value"; at run time it fails the task).
 */
export function prepareTask(task: Task, scope: Vars, broken: Map<string, TemplateError>): Prepared {
  let stage: PrepareStage = 'vars';
  try {
    // Task vars (and role parameters) may refer to the scope and to each other, in order.
    const vars: Vars = { ...scope };
    for (const [k, v] of Object.entries(task.vars)) vars[k] = renderValue(v, vars);
    stage = 'loop';
    const loopItems = task.loop === undefined ? [undefined] : asItems(renderValue(task.loop, vars));
    const invocations: Invocation[] = [];
    for (const item of loopItems) {
      const iv = task.loop === undefined ? vars : { ...vars, [task.loopVar]: item };
      stage = 'when';
      if (task.when !== undefined && !evalCondition(task.when, iv)) continue;
      stage = 'args';
      const params = (renderValue(task.args, iv) ?? {}) as Record<string, unknown>;
      invocations.push({
        task,
        module: modules[task.module],
        params,
        item,
        ...(item !== undefined ? { itemLabel: label(item) } : {}),
        vars: iv,
      });
    }
    if (!invocations.length) return { kind: 'skip', reason: task.loop === undefined ? 'condition false' : 'no item matched' };
    return { kind: 'run', invocations };
  } catch (e) {
    return { kind: 'error', error: e instanceof TemplateError ? explain(e, broken) : (e as Error), stage };
  }
}

/** Where a task's part is written, for errors about it (the task itself when the part came from a role or block). */
export function stageLoc(task: Task, stage: PrepareStage): SourceLocation {
  const k = task.keyLocs;
  const at = stage === 'args' ? k.module : stage === 'loop' ? (k.loop ?? k.with_items) : k[stage];
  return at ?? task.loc;
}

/** Schema check of rendered parameters; issues point at the task in its file. */
export function checkParams(inv: Invocation): ConfigIssue[] {
  if (!inv.module) return [];
  // Rendered values have no position of their own: every issue points at the task that produced them.
  const { file, line = 1, col = 1 } = inv.task.keyLocs.module ?? inv.task.loc;
  const at: SourceDoc = { file, data: inv.params, locate: () => ({ line, col }) };
  const schema = validate(inv.module.schema, inv.params, at, [inv.task.module]);
  // The module's own checks (grammar of the file or command each value goes into); a field the schema already
  // refused is not reported twice.
  const own = (inv.module.check?.(inv.params) ?? [])
    .map((c) => ({ file, line, col, field: `${inv.task.module}.${c.field}`, message: c.message }))
    .filter((c) => !schema.some((i) => i.field === c.field || c.field.startsWith(`${i.field}.`) || c.field.startsWith(`${i.field}[`)));
  return [...schema, ...own].map((i) => ({
    ...i,
    message: `${i.message}${inv.itemLabel ? ` (item ${inv.itemLabel})` : ''}`,
  }));
}

export function normalizeParams(inv: Invocation, ctx: ModuleContext): Record<string, unknown> {
  return inv.module?.normalize ? (inv.module.normalize(inv.params, ctx) as Record<string, unknown>) : inv.params;
}

function asItems(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v == null) return [];
  if (typeof v === 'object') return Object.entries(v).map(([key, value]) => ({ key, value }));
  throw new TemplateError(`loop must be a list, got ${typeof v} ${JSON.stringify(v)}`, String(v));
}

function label(item: unknown): string {
  if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item);
  if (item && typeof item === 'object') {
    const o = item as Record<string, unknown>;
    const named = o.name ?? o.key ?? o.address ?? o.path ?? o.dest;
    if (named !== undefined) return String(named);
  }
  return JSON.stringify(item).slice(0, 60);
}
