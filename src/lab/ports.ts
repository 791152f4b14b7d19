import { createServer, connect } from 'node:net';

/** Whether something accepts TCP connections on 127.0.0.1:port (bounded by `timeoutMs`). */
export function isListening(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function tryBind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that is free right now, chosen at random inside [min, max] so that two labs
 * starting together rarely race for the same one (the caller retries when qemu loses the race anyway).
 */
export async function freePort(min = 20000, max = 32000, avoid: Set<number> = new Set()): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = min + Math.floor(Math.random() * (max - min + 1));
    if (avoid.has(p)) continue;
    const got = await tryBind(p);
    if (got !== undefined) return got;
  }
  throw new Error(`no free TCP port on 127.0.0.1 in ${min}-${max} after 200 tries`);
}
