import type { Probe } from '../types.js';
import { runProbe } from './probe.js';
import { VERIFY_READ, type ReadAs } from './reads.js';
import { pool, type HostSession } from './session.js';

/**
 * The verify stage of a run (src/lvs/verify/stage.ts builds it from the cluster model): what it reads on each
 * host, batched with the run's first reads, and how it judges what was read once the plays are done.
 */
export interface VerifyStage {
  hosts: string[];
  /** Who verify reads as on `host` (its re-reads too). */
  readAs(host: string): ReadAs;
  read(host: string): { probe: Probe<unknown>; as: ReadAs; label: string };
  /** `reread` reads a host again over the run's connection (a VRRP election still settling). */
  judge(states: Map<string, unknown>, errors: Map<string, string>, reread: (host: string, probe: Probe<unknown>) => Promise<unknown>): Promise<{ drift: boolean; report: unknown; details?: unknown }>;
}

/** Verify's reads: the first batch's when nothing changed in the run, else one more read per host. */
export async function runVerifyStage(stage: VerifyStage, sessions: Map<string, HostSession>, lost: Map<string, { message: string }>, forks: number) {
  const states = new Map<string, unknown>();
  const errors = new Map<string, string>();
  await pool(stage.hosts, forks, async (host) => {
    const s = sessions.get(host);
    if (!s) {
      errors.set(host, lost.get(host)?.message ?? 'not connected');
      return;
    }
    try {
      if (!s.reads.has(VERIFY_READ)) await s.reads.fetch([{ key: VERIFY_READ, ...stage.read(host) }]);
      states.set(host, s.reads.get(VERIFY_READ));
    } catch (e) {
      errors.set(host, e instanceof Error ? e.message : String(e));
    }
  });
  return stage.judge(states, errors, async (host, probe) => {
    const s = sessions.get(host);
    if (!s) throw new Error(`${host}: not connected`);
    return runProbe(s.conn, probe, stage.readAs(host));
  });
}
