import type { Vars } from '../types.js';
import { hasTemplate, missingNames, OMIT, renderValue, TemplateError } from './template.js';
import { currentSecrets } from '../config/secrets.js';

/**
 * Variable precedence, lowest first (a later layer wins), as in Ansible:
 *   role defaults < inventory (group vars by depth, then host vars; see src/inventory) < facts
 *   < play vars_files < play vars < role vars < task vars and role parameters
 *   < registered results and set_fact < extra vars (-e) < magic variables.
 */
export const PLAY_PRECEDENCE = [
  'role defaults',
  'inventory group vars, then host vars',
  'facts',
  'play vars_files',
  'play vars',
  'role vars',
  'task vars / role parameters',
  'registered vars / set_fact',
  'extra vars (-e)',
] as const;

const hasTemplateDeep = (v: unknown): boolean =>
  typeof v === 'string'
    ? hasTemplate(v)
    : Array.isArray(v)
      ? v.some(hasTemplateDeep)
      : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
        ? Object.values(v).some(hasTemplateDeep)
        : false;

/** The variables the templates inside a value read (strings at any depth). */
function templateNames(v: unknown): string[] {
  if (typeof v === 'string') return hasTemplate(v) ? missingNames(v, {}) : [];
  if (Array.isArray(v)) return v.flatMap(templateNames);
  if (v && typeof v === 'object') return Object.values(v).flatMap(templateNames);
  return [];
}

/**
 * Merge layers and resolve variables that refer to other variables (`vip: "{{ net }}.10"`). Templates read
 * a plain object of values, so resolution is done here: repeatedly render what can be rendered until nothing
 * moves. A variable that cannot be resolved is left out, and the error that explains it is kept so that a
 * template that uses it later reports the real cause.
 */
export function resolveScope(layers: Vars[], fixed: Vars = {}): { vars: Vars; broken: Map<string, TemplateError> } {
  const merged: Vars = Object.assign({}, ...layers);
  const vars: Vars = { omit: OMIT, ...fixed };
  const pending = new Map<string, unknown>();
  for (const [k, v] of Object.entries(merged)) {
    if (k in fixed) continue;
    if (hasTemplateDeep(v)) pending.set(k, v);
    else vars[k] = v;
  }
  const broken = new Map<string, TemplateError>();
  for (let round = 0; pending.size && round < 20; round++) {
    let progressed = false;
    for (const [k, v] of pending) {
      try {
        vars[k] = renderValue(v, vars);
        // `derived: "{{ db_password | upper }}"` is a secret too, whatever its name: recorded once rendered.
        currentSecrets().addRendered(templateNames(v), vars, vars[k]);
        pending.delete(k);
        broken.delete(k);
        progressed = true;
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        broken.set(k, e);
      }
    }
    if (!progressed) break;
  }
  for (const k of pending.keys()) {
    const e = broken.get(k);
    if (e) broken.set(k, new VariableError(k, 'scope', e));
  }
  return { vars, broken };
}

/**
 * A variable whose own template failed: it knows its name, so the error can be shown where the variable is
 * written (a play's vars, group_vars, a role parameter), not only at the task that happened to use it.
 */
export class VariableError extends TemplateError {
  constructor(
    readonly variable: string,
    /** `scope`: play, inventory or extra vars; `task`: a task's vars or a role parameter. */
    readonly origin: 'scope' | 'task',
    cause: TemplateError,
  ) {
    super(`variable "${variable}": ${cause.message}`, cause.template, cause.undefinedNames, cause.line, cause.col);
  }
}

/** Explain an undefined-variable error by the variable's own failure when it has one. */
export function explain(e: TemplateError, broken: Map<string, TemplateError>): TemplateError {
  for (const n of e.undefinedNames) {
    const cause = broken.get(n);
    if (cause) return cause;
  }
  return e;
}
