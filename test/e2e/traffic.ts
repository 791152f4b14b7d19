import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { sshArgs } from '../../src/lab/ssh.js';
import { collectCommand, parseTraffic, runBound, startCommand, summarise, type Mark, type Summary, type TrafficOptions } from '../../src/lab/traffic.js';
import { VIP, type e2eLab } from './harness.js';

/**
 * The traffic runner for the e2e suites: the load runs on the client VM in the background (nohup, files in
 * /tmp there, bounded), the caller makes its change meanwhile inside `mark`, and `finish` collects and
 * summarises. Change windows are taken on the client's clock, the one the requests are timed by: a probe
 * (`date` over an SSH session opened at the start) just before the change begins and one just after it
 * returns, so the window holds the change whatever the host's and the VM's clocks say.
 *
 *   const t = await traffic.start(lab, { seconds: 30, rate: 1, streams: 4, slow: 2 });
 *   await t.mark('change', async () => { ...the change... });
 *   const s = await t.finish(); console.log(renderLine(s)); expect(s.failed).toBe(0);
 */

type Lab = ReturnType<typeof e2eLab>;
export type TrafficStart = Omit<TrafficOptions, 'vip' | 'dir'> & { vip?: string };

export interface Traffic {
  /** Seconds (host) since the load was started. */
  elapsed(): number;
  /** Wait until the load has run `seconds` (host time, from the start command). */
  until(seconds: number): Promise<void>;
  /** Run the change; its window (client clock) is recorded under `name`. Returns fn's value. */
  mark<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Wait for the load to end (bounded), fetch its output, summarise. */
  finish(): Promise<Summary & { raw: string }>;
}

/** A long-lived `date` server on the client over one SSH session: a probe costs one round trip, not a login. */
function clockSession(lab: Lab): { probe(): Promise<number>; close(): void } {
  const state = lab.state();
  const vm = state.vms.find((v) => v.name === 'client')!;
  let child: ChildProcessWithoutNullStreams | undefined = spawn('ssh', [...sshArgs(state, vm), '--', 'while read -r x; do date +%s.%N; done']);
  let buf = '';
  const waiting: ((line: string) => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  child.on('exit', () => (child = undefined));
  child.stdin.on('error', () => undefined);
  const viaLogin = async (): Promise<number> => Number((await lab.on('client', 'date +%s.%N', 30_000)).stdout.trim());
  return {
    async probe(): Promise<number> {
      if (!child) return viaLogin();
      const line = new Promise<string>((res) => waiting.push(res));
      child.stdin.write('t\n');
      const got = await Promise.race([line, new Promise<string>((res) => setTimeout(() => res(''), 15_000))]);
      const t = Number(got.trim());
      // A lost session is not a lost mark: a fresh login answers too, only later.
      return got && Number.isFinite(t) ? t : viaLogin();
    },
    close(): void {
      child?.stdin.end();
      child?.kill();
    },
  };
}

export async function start(lab: Lab, opts: TrafficStart): Promise<Traffic> {
  const o: TrafficOptions = { vip: VIP, dir: `/tmp/lvsible-traffic-${process.pid}-${Date.now()}`, ...opts };
  const clock = clockSession(lab);
  const t0 = Date.now();
  const r = await lab.on('client', startCommand(o), 60_000);
  if (r.code !== 0 || !r.stdout.includes('started')) {
    clock.close();
    throw new Error(`the traffic did not start on the client (exit ${r.code}): ${r.stderr.trim()}`);
  }
  const marks: (Mark & { host: number })[] = [];
  const elapsed = (): number => (Date.now() - t0) / 1000;
  return {
    elapsed,
    async until(seconds: number): Promise<void> {
      const left = seconds - elapsed();
      if (left > 0) await new Promise((res) => setTimeout(res, left * 1000));
    },
    async mark<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const from = await clock.probe();
      const h = Date.now();
      try {
        return await fn();
      } finally {
        marks.push({ name, from, to: await clock.probe(), host: (Date.now() - h) / 1000 });
      }
    },
    async finish() {
      clock.close();
      const c = await lab.on('client', collectCommand(o), (runBound(o) + 90) * 1000);
      if (c.code !== 0) throw new Error(`collecting the traffic failed (exit ${c.code}): ${c.stderr.trim()}`);
      await lab.on('client', `rm -rf ${o.dir}`, 30_000).catch(() => undefined);
      const out = parseTraffic(c.stdout);
      const start = out.start ?? 0;
      const rel = marks.map((m) => ({ name: m.name, from: m.from - start, to: m.to - start }));
      return { ...summarise(out, rel), raw: c.stdout };
    },
  };
}

export const traffic = { start };
