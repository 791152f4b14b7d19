import { spawn } from 'node:child_process';
import type { Connection, ExecOptions, ExecResult } from '../types.js';
import { sh } from './quote.js';

/**
 * A Connection that runs commands on this machine through `sh -c` (Ansible's `ansible_connection: local`).
 * Tests use it to run modules for real against temp directories; SSH behaviour itself is tested on sshd.
 */
export class LocalConnection implements Connection {
  constructor(readonly host = 'localhost') {}

  exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const line = opts.become && process.getuid?.() !== 0 ? sh`sudo -n -- sh -c ${cmd}` : cmd;
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) {
        timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      }
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          code: code ?? 255,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          ...(signal ? { signal } : {}),
        });
      });
      // A command that does not read stdin may close it early: EPIPE here is not an error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin ?? '');
    });
  }

  async close(): Promise<void> {}
}
