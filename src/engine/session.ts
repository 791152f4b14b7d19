import type { Connection, ExecOptions, HostFacts } from '../types.js';
import type { HostReads } from './reads.js';

/** One host's share of a run: its single connection, its facts, its reads, and what it cost. */
export interface HostSession {
  conn: Connection;
  facts: HostFacts;
  reads: HostReads;
  trips: { n: number };
}

/** Count exec round trips per host without the modules or the transport knowing. */
export function counted(conn: Connection, counter: { n: number }): Connection {
  return {
    host: conn.host,
    exec: (cmd: string, o?: ExecOptions) => {
      counter.n++;
      return conn.exec(cmd, o);
    },
    close: () => conn.close(),
  };
}

/** Work on `items`, at most `size` at once (`--forks`). */
export async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.max(1, Math.min(size, queue.length)) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  });
  await Promise.all(workers);
}
