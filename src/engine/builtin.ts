import type { Vars } from '../types.js';
import { evalCondition, renderValue, TemplateError } from '../playbook/template.js';
import type { Invocation } from './invocation.js';

export interface BuiltinResult {
  failed: boolean;
  message?: string;
  output?: string;
  /** Variables set on the host (set_fact). */
  facts?: Vars;
  flushHandlers?: boolean;
}

/** debug, set_fact, assert, fail, meta: engine-side actions that touch no host. */
export function runBuiltin(inv: Invocation): BuiltinResult {
  const p = inv.params;
  switch (inv.task.module) {
    case 'debug': {
      if (p.var !== undefined) {
        let v: unknown;
        try {
          v = renderValue(`{{ ${String(p.var)} }}`, inv.vars);
        } catch (e) {
          // As Ansible's debug action: an undefined name is printed, not a failure (other template errors are).
          if (!(e instanceof TemplateError) || !e.undefinedNames.length) throw e;
          v = 'VARIABLE IS NOT DEFINED!';
        }
        return { failed: false, output: `${String(p.var)} = ${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}` };
      }
      const msg = p.msg ?? 'Hello world!';
      return { failed: false, output: typeof msg === 'string' ? msg : JSON.stringify(msg, null, 2) };
    }
    case 'set_fact': {
      const { cacheable: _c, ...facts } = p;
      return { failed: false, facts };
    }
    case 'assert': {
      const that = Array.isArray(p.that) ? p.that : [p.that];
      const bad = that.filter((c) => !evalCondition(c, inv.vars));
      if (!bad.length) return { failed: false, ...(p.success_msg ? { output: String(p.success_msg) } : {}) };
      const msg = p.fail_msg ?? p.msg ?? `assertion failed: ${bad.map(String).join('; ')}`;
      return { failed: true, message: String(msg) };
    }
    case 'fail':
      return { failed: true, message: String(p.msg ?? 'Failed as requested from task') };
    case 'meta':
      if (p.action === 'flush_handlers') return { failed: false, flushHandlers: true };
      if (p.action === 'noop') return { failed: false };
      return { failed: true, message: `meta: "${String(p.action)}" is not supported (flush_handlers, noop are)` };
    default:
      return { failed: true, message: `no built-in action "${inv.task.module}"` };
  }
}
