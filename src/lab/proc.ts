import { spawn, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** A lab step that failed on this machine: says what ran, how it ended, and the tail of its output. */
export class LabError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\n${hint}` : message);
    this.name = 'LabError';
  }
}

export interface RunOptions {
  /** Append stdout+stderr here as well (build logs), so a failure can be read in full later. */
  logFile?: string;
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Run a program (no shell) and collect its output; never throws for a non-zero exit. */
export function runRaw(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd };
    const child = spawn(cmd, args, spawnOpts);
    const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    log?.write(`\n$ ${[cmd, ...args].join(' ')}\n`);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => (out.push(d), log?.write(d)));
    child.stderr?.on('data', (d: Buffer) => (err.push(d), log?.write(d)));
    // Every wait is bounded: a stuck tool is killed, and the failure names the timeout.
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      log?.end();
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      log?.end();
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: timedOut ? 124 : (code ?? 255),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n(killed after ${opts.timeoutMs} ms)` : stderr,
      });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/** Run a program; throw a LabError naming the command, exit code and output tail when it fails. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  let r: RunResult;
  try {
    r = await runRaw(cmd, args, opts);
  } catch (e) {
    throw new LabError(`cannot run ${cmd}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (r.code !== 0) {
    const where = opts.logFile ? `\n(full log: ${opts.logFile})` : '';
    throw new LabError(`${cmd} ${args.slice(0, 6).join(' ')}${args.length > 6 ? ' ...' : ''} exited ${r.code}:\n${tail(r.stderr || r.stdout)}${where}`);
  }
  return r.stdout;
}

/** Whether a process is alive (signal 0 probes without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a value or `timeoutMs` passes; bounded in time and count. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 250): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < Math.ceil(timeoutMs / intervalMs) + 1; i++) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  return undefined;
}
