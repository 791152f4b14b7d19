import type { Change, Module, Plan, Step } from '../types.js';
import { sh } from '../transport/quote.js';

/** Identity helper: lets TypeScript infer a module's param and state types from its definition. */
export function defineModule<P, S>(mod: Module<P, S>): Module<P, S> {
  return mod;
}

/** A path on the host as the module must touch it: under ctx.root ('' in production, a temp dir in tests). */
export function rooted(root: string, path: string): string {
  if (!root) return path;
  return root.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

/** Values compared the way the kernel prints them: `4096 87380 6291456` equals "4096\t87380  6291456\n". */
export function normalizeWs(value: string | number): string {
  return String(value).trim().split(/\s+/).join(' ');
}

/** Strip trailing newlines only, as Ansible does for `stdout` (inner blank lines and spaces are data). */
export function chompLines(text: string): { text: string; lines: string[] } {
  const t = text.replace(/(\r?\n)+$/, '');
  return { text: t, lines: t === '' ? [] : t.split(/\r?\n/) };
}

/**
 * An empty plan that says why: the module's "nothing to do" in the operator's words, as pyinfra's
 * `host.noop(...)`. The reason is a non-enumerable property, so the plan still equals [] everywhere a plan is
 * compared or serialised as the list of its changes; the engine reads `plan.noop` for the report.
 */
export function noop(reason: string): Plan {
  return Object.defineProperty([] as Change[], 'noop', { value: reason, enumerable: false, writable: true }) as Plan;
}

/** A step that removes a file (no error when it is already gone). */
export function removeFileStep(path: string): Step {
  return { cmd: sh`rm -f ${path}`, label: `remove ${path}` };
}
