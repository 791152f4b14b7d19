import type { ConfigIssue, SourceLocation } from '../errors.js';
import type { Module, ModuleContext, Vars } from '../types.js';
import { validate } from '../config/validate.js';
import { issueAt, locationAt, parseField, type PathSegment, type SourceDoc } from '../config/source.js';
import { evalCondition, hasTemplate, missingNames, OMIT, renderValue, TemplateError } from '../playbook/template.js';
import { currentSecrets } from '../config/secrets.js';
import { explain, VariableError } from '../playbook/vars.js';
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
export function prepareTask(task: Task, scope: Vars, broken: Map<string, TemplateError>, opts: { ignoreWhen?: boolean } = {}): Prepared {
  let stage: PrepareStage = 'vars';
  try {
    // Task vars (and role parameters) may refer to the scope and to each other, in order.
    const vars: Vars = { ...scope };
    for (const [k, v] of Object.entries(task.vars)) {
      try {
        vars[k] = renderValue(v, vars);
      } catch (e) {
        throw e instanceof TemplateError && !(e instanceof VariableError) ? new VariableError(k, 'task', e) : e;
      }
    }
    stage = 'loop';
    const loopItems = task.loop === undefined ? [undefined] : asItems(renderValue(task.loop, vars));
    const invocations: Invocation[] = [];
    for (const item of loopItems) {
      const iv = task.loop === undefined ? vars : { ...vars, [task.loopVar]: item };
      stage = 'when';
      if (task.when !== undefined && !opts.ignoreWhen && !conditionsHold(task.when, iv)) continue;
      stage = 'args';
      const params = (renderArgs(task.args, iv, []) ?? {}) as Record<string, unknown>;
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

/** A template error inside a module's arguments, with the path of the argument it came from. */
export class ArgError extends TemplateError {
  constructor(e: TemplateError, readonly path: PathSegment[]) {
    super(e.message, e.template, e.undefinedNames);
  }
}

/** One condition of a `when:` list failed to render: it knows which, so the error points at that line. */
export class ConditionError extends TemplateError {
  constructor(e: TemplateError, readonly index: number) {
    super(e.message, e.template, e.undefinedNames, e.line, e.col);
  }
}

/** evalCondition, one condition at a time (all must hold, in order, as Ansible evaluates them). */
function conditionsHold(when: unknown, vars: Vars): boolean {
  const list = Array.isArray(when) ? when : [when];
  for (const [i, c] of list.entries()) {
    try {
      if (!evalCondition(c, vars)) return false;
    } catch (e) {
      throw e instanceof TemplateError && list.length > 1 ? new ConditionError(e, i) : e;
    }
  }
  return true;
}

/** renderValue, leaf by leaf, so that a failure names the argument whose template failed. */
function renderArgs(value: unknown, vars: Vars, path: PathSegment[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => renderArgs(v, vars, [...path, i])).filter((v) => v !== OMIT);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, renderArgs(v, vars, [...path, k])] as const);
    return Object.fromEntries(entries.filter(([, v]) => v !== OMIT));
  }
  try {
    const out = renderValue(value, vars);
    // What a template makes of a secret is a secret too (docs/secrets.md): `{{ db_password | upper }}`, a slice.
    if (typeof value === 'string' && out !== value && hasTemplate(value)) currentSecrets().addRendered(missingNames(value, {}), vars, out);
    return out;
  } catch (e) {
    throw e instanceof TemplateError && !(e instanceof ArgError) ? new ArgError(e, path) : e;
  }
}

/** Where a task's part is written, for errors about it (the task itself when the part came from a role or block). */
export function stageLoc(task: Task, stage: PrepareStage, error?: Error): SourceLocation {
  if (stage === 'args' && error instanceof ArgError) return argLoc(task, error.path);
  if (error instanceof VariableError && error.origin === 'task' && task.varLocs[error.variable]) return task.varLocs[error.variable]!;
  if (stage === 'when' && error instanceof ConditionError) {
    // Conditions inherited from a role or an include come first; the task's own are written under `when:`.
    const own = error.index - task.whenInherited;
    if (own >= 0 && task.keyLocs.when) return locationAt(task.argsAt.doc, [...task.argsAt.path.slice(0, -1), 'when', own]);
  }
  const k = task.keyLocs;
  const at = stage === 'args' ? k.module : stage === 'loop' ? (k.loop ?? k.with_items) : k[stage];
  return at ?? task.loc;
}

/** Schema check of rendered parameters; issues point at the task in its file. */
export function checkParams(inv: Invocation): ConfigIssue[] {
  if (!inv.module) return [];
  // A rendered value is reported where its template is written (or the nearest field that is: a parameter
  // that came whole from a variable points at the module's arguments).
  const { doc, path } = inv.task.argsAt;
  const at: SourceDoc = { file: doc.file, data: inv.params, locate: (p) => doc.locate(p) };
  const schema = validate(inv.module.schema, inv.params, at, path);
  // The module's own checks (grammar of the file or command each value goes into); a field the schema already
  // refused is not reported twice.
  const own = (inv.module.check?.(inv.params) ?? [])
    // A free-form string (`command: echo hi`) is written as the module's value itself.
    .map((c) => issueAt(at, [...path, ...parseField(c.field).filter((seg, i) => !(i === 0 && seg === 'free_form'))], c.message))
    .filter((c) => !schema.some((i) => i.field === c.field || c.field!.startsWith(`${i.field}.`) || c.field!.startsWith(`${i.field}[`)));
  return [...schema, ...own].map((i) => ({
    ...i,
    message: `${i.message}${inv.itemLabel ? ` (item ${inv.itemLabel})` : ''}`,
  }));
}

/** Where an argument of the task's module is written (or its nearest written parent). */
export function argLoc(task: Task, path: PathSegment[]): SourceLocation {
  return locationAt(task.argsAt.doc, [...task.argsAt.path, ...path]);
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
