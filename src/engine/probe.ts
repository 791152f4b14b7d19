import type { Connection, Probe } from '../types.js';
import { RemoteCommandError } from '../errors.js';
import { batchProbe } from '../facts/index.js';

/**
 * Run a set of probes on one connection in a single exec, framed by the facts layer's one format (a fresh
 * nonce per exec, so no probe output can forge a section boundary), and parse each section. A read that did
 * not run to its end is the command's failure, never an empty state to plan from.
 */
export async function runProbes(
  conn: Connection,
  probes: Probe<unknown>[],
  opts: { become?: boolean; becomeUser?: string } = {},
): Promise<unknown[]> {
  if (!probes.length) return [];
  const batch = batchProbe(probes);
  const res = await conn.exec(batch.script, { become: opts.become, ...(opts.becomeUser ? { becomeUser: opts.becomeUser } : {}) });
  if (!safelyEnded(batch, res.stdout)) throw new RemoteCommandError(conn.host, 'reading facts', res.code, res.stderr, res.stdout);
  return batch.parse(res.stdout);
}

function safelyEnded(batch: ReturnType<typeof batchProbe>, stdout: string): boolean {
  try {
    return batch.ended(stdout);
  } catch {
    return false;
  }
}

/** One probe, typed: the common case outside the engine's batches (facts, verify). */
export async function runProbe<S>(conn: Connection, probe: Probe<S>, opts: { become?: boolean; becomeUser?: string } = {}): Promise<S> {
  const [state] = await runProbes(conn, [probe as Probe<unknown>], opts);
  return state as S;
}
