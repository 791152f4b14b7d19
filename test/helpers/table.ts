import { expect, it } from 'vitest';
import type { Module, ModuleContext, Plan } from '../../src/types.js';

/**
 * pyinfra-style module tables: (description, params, facts) -> expected plan. Facts are either the parsed
 * state or the raw output of the module's read (parsed by its own parser, as on a host). A no-op row names
 * the exact reason; a change row the summaries, and the commands where they matter.
 */
export interface Row<P, S> {
  why: string;
  params: P;
  state?: S;
  /** Raw output of `read(params)`'s snippet: parsed by the module's own read. */
  out?: string;
  noop?: string;
  /** [summary, commands?]: commands compared in full when given, each as a string or an asymmetric matcher. */
  changes?: Array<[string, unknown[]?]>;
  ctx?: ModuleContext;
}

export function planTable<P, S>(mod: Module<P, S>, ctx: ModuleContext, rows: Row<P, S>[]): void {
  for (const row of rows) {
    it(row.noop !== undefined ? `noop: ${row.why}` : row.why, () => {
      const c = row.ctx ?? ctx;
      const params = mod.normalize ? mod.normalize(row.params, c) : row.params;
      const state = row.out !== undefined ? mod.read(params, c).parse(row.out) : (row.state as S);
      const plan = mod.plan(params, state, c) as Plan;
      if (row.noop !== undefined) {
        expect(plan).toEqual([]);
        expect(plan.noop).toBe(row.noop);
        return;
      }
      expect(plan.map((ch) => ch.summary)).toEqual((row.changes ?? []).map(([s]) => s));
      (row.changes ?? []).forEach(([, cmds], i) => {
        if (cmds) expect(plan[i]!.steps.map((s) => s.cmd)).toEqual(cmds);
      });
      expect(plan.noop).toBeUndefined();
    });
  }
}
