import type { Connection, Probe } from '../types.js';
import { RemoteCommandError } from '../errors.js';

/**
 * Many probes, one round trip: the snippets are joined into one script whose sections are told apart by
 * markers carrying a per-run nonce, so no probe output can forge a section boundary.
 */
export function batchScript(probes: Probe<unknown>[], nonce: string): string {
  const parts = probes.map(
    (p, i) => `echo '@@${nonce} ${i}'\n( ${p.script}\n) 2>/dev/null </dev/null\n`,
  );
  return `${parts.join('')}echo '@@${nonce} end'\n`;
}

/** Split the script's stdout back into one string per probe. */
export function splitBatch(stdout: string, count: number, nonce: string): string[] {
  const out: string[] = new Array(count).fill('');
  const marker = new RegExp(`^@@${nonce} (\\d+|end)$`, 'gm');
  const hits = [...stdout.matchAll(marker)];
  for (let k = 0; k < hits.length; k++) {
    const hit = hits[k]!;
    if (hit[1] === 'end') break;
    const start = hit.index! + hit[0].length + 1;
    const end = hits[k + 1]?.index ?? stdout.length;
    out[Number(hit[1])] = stdout.slice(start, end);
  }
  return out;
}

/** Run a set of probes on one connection in a single exec, and parse each section. */
export async function runProbes(
  conn: Connection,
  probes: Probe<unknown>[],
  opts: { become?: boolean; becomeUser?: string } = {},
): Promise<unknown[]> {
  if (!probes.length) return [];
  const nonce = Math.random().toString(36).slice(2, 12);
  const res = await conn.exec(batchScript(probes, nonce), { become: opts.become, ...(opts.becomeUser ? { becomeUser: opts.becomeUser } : {}) });
  if (!res.stdout.includes(`@@${nonce} end`)) {
    throw new RemoteCommandError(conn.host, 'reading facts', res.code, res.stderr, res.stdout);
  }
  const sections = splitBatch(res.stdout, probes.length, nonce);
  return probes.map((p, i) => p.parse(sections[i]!));
}

/** One probe, typed: the common case outside the engine's batches (facts, verify). */
export async function runProbe<S>(conn: Connection, probe: Probe<S>, opts: { become?: boolean; becomeUser?: string } = {}): Promise<S> {
  const [state] = await runProbes(conn, [probe as Probe<unknown>], opts);
  return state as S;
}
