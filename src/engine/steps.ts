import type { Change, Connection, ExecResult } from '../types.js';
import { RemoteCommandError } from '../errors.js';

/**
 * Run a change's steps in order; the first failing step stops the change with an error that says which
 * step failed and how (unless `allowFailure`: command/shell report the exit code themselves). Returns the results so modules that register output (command, shell) can use them.
 */
export async function applyChange(
  conn: Connection,
  change: Change,
  opts: { become?: boolean; becomeUser?: string; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<ExecResult[]> {
  const results: ExecResult[] = [];
  for (const step of change.steps) {
    const res = await conn.exec(step.cmd, { stdin: step.stdin, become: opts.become, ...(opts.becomeUser ? { becomeUser: opts.becomeUser } : {}), timeoutMs: opts.timeoutMs });
    results.push(res);
    if (res.code !== 0 && !opts.allowFailure) {
      throw new RemoteCommandError(conn.host, step.label ?? step.cmd, res.code, res.stderr, res.stdout);
    }
  }
  return results;
}
