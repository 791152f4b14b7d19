import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { inspect } from 'node:util';
import { RemoteCommandError, UnreachableError } from '../errors.js';
import type { Connection, ExecOptions, ExecResult } from '../types.js';
import { commandLine, SudoConversation } from './become.js';
import { CommandTimeoutError } from './connect-errors.js';
import { Semaphore } from './semaphore.js';
import type { SshTarget } from './target.js';

/**
 * One live SSH connection as lvsible uses it: exec channels capped below the server's MaxSessions, sudo,
 * timeouts, and "the host is gone" turned into UnreachableError for every pending and later command.
 * ssh.ts adapts ssh2 to the two small interfaces below, so this file never touches ssh2 itself.
 */

export const DEFAULT_MAX_CHANNELS = 8;
// About 1.3 s in all: long enough for sshd to reap closed sessions, short enough to fail a refusing server.
const OPEN_RETRY_DELAYS_MS = [5, 10, 20, 40, 80, 150, 300, 700];

export interface ExecChannel {
  onStdout(l: (d: Buffer) => void): void;
  onStderr(l: (d: Buffer) => void): void;
  /** code is null when the command died from a signal. */
  onExit(l: (code: number | null, signal?: string) => void): void;
  onClose(l: () => void): void;
  write(data: string): void;
  end(data: string | Buffer): void;
  /** Signal KILL (where the server honours it) and close the channel. */
  kill(): void;
}

export interface SessionClient {
  exec(line: string, cb: (err: Error | undefined, channel?: ExecChannel) => void): void;
  /** Called (possibly more than once) when the connection is gone, with the reason in operator words. */
  onLost(l: (why: string) => void): void;
  end(): void;
  /** Settles when the transport has closed. */
  readonly closed: Promise<void>;
}

/** A shared jump host this connection runs through. */
export interface HopHandle {
  onClose(l: () => void): void;
  offClose(l: () => void): void;
  release(): void;
}

export class SshConnection implements Connection {
  readonly host: string;
  private readonly slots: Semaphore;
  private readonly pending = new Set<(e: Error) => void>();
  private dead: UnreachableError | undefined;
  private closing = false;

  private readonly onHopClose = () => this.markDead('a jump host connection closed');

  constructor(private readonly t: SshTarget, private readonly client: SessionClient, private readonly hops: HopHandle[], maxChannels = DEFAULT_MAX_CHANNELS) {
    this.host = t.name;
    this.slots = new Semaphore(maxChannels);
    client.onLost((why) => this.markDead(why));
    for (const h of hops) h.onClose(this.onHopClose);
  }

  // The target (and so its passwords) must never end up in a log line or a JSON report by accident.
  toJSON(): { host: string } {
    return { host: this.host };
  }

  [inspect.custom](): string {
    return `SshConnection(${this.host})`;
  }

  /** Channel opens sshd refused and lvsible retried (sessions not yet reaped on the server). */
  get retries(): number {
    return this.refusedOpens;
  }

  private refusedOpens = 0;

  /** Most channels this connection ever had open at once. */
  get peakChannels(): number {
    return this.slots.peak;
  }

  private markDead(why: string): void {
    if (this.dead) return;
    const where = `${this.t.user}@${this.t.host}:${this.t.port}`;
    this.dead = new UnreachableError(this.t.name, this.closing ? `connection to ${where} was closed` : `connection to ${where} lost: ${why}`);
    this.slots.fail(this.dead);
    for (const reject of [...this.pending]) reject(this.dead);
    this.client.end();
    for (const h of this.hops) {
      h.offClose(this.onHopClose);
      h.release();
    }
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.dead) throw this.dead;
    const release = await this.slots.acquire();
    return this.run(cmd, opts, release);
  }

  private run(cmd: string, opts: ExecOptions, release: () => void): Promise<ExecResult> {
    const b = this.t.become;
    const becomeUser = opts.becomeUser ?? b?.user ?? 'root';
    const plan = commandLine(cmd, {
      loginUser: this.t.user,
      ...(opts.become ? { become: { user: becomeUser, ...(b?.password !== undefined ? { password: b.password } : {}) } } : {}),
    });
    const sudo = plan.prompt && plan.marker ? new SudoConversation({ prompt: plan.prompt, marker: plan.marker }) : undefined;
    const timeoutMs = opts.timeoutMs ?? this.t.commandTimeoutMs;
    const label = cmd.split('\n')[0]!.slice(0, 80) + (cmd.length > 80 || cmd.includes('\n') ? '…' : '');

    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: string[] = [];
      // A UTF-8 character can straddle two chunks: decode stderr as a stream, not chunk by chunk.
      const errText = new StringDecoder('utf8');
      let channel: ExecChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let exit: { code: number; signal?: string } | undefined;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(abort);
        fn();
      };
      const abort = (e: Error) => settle(() => reject(e));
      this.pending.add(abort);
      if (this.dead) return abort(this.dead);

      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          const so = Buffer.concat(out).toString('utf8');
          abort(new CommandTimeoutError(this.t.name, label, timeoutMs, err.join(''), so));
          killChannel(channel);
          // If the server never confirms the close, free the slot anyway rather than starve the host.
          setTimeout(release, 10_000).unref();
        }, timeoutMs);
      }

      const open = (attempt: number) => this.client.exec(plan.line, (e, stream) => {
        if (e || !stream) {
          e ??= new Error('no channel');
          // sshd frees a session slot a moment after the channel closes, so a new channel can be refused
          // even below MaxSessions: retry briefly (bounded) before calling it a failure.
          if (!this.dead && !settled && attempt < OPEN_RETRY_DELAYS_MS.length && /open failed/i.test(e.message)) {
            this.refusedOpens++;
            return void setTimeout(() => open(attempt + 1), OPEN_RETRY_DELAYS_MS[attempt]);
          }
          release();
          return abort(this.dead ?? new UnreachableError(this.t.name, `cannot open an SSH channel: ${e.message}`));
        }
        channel = stream;
        // Keep the slot until the channel is really gone, even after a timeout, so sshd never sees > cap.
        stream.onClose(release);
        if (settled) return killChannel(stream);
        stream.onStderr((d) => {
          if (!sudo) return void err.push(errText.write(d));
          const r = sudo.onStderr(d);
          err.push(r.data);
          if (r.prompts === 0) return;
          if (sudo.promptsSeen > 1) {
            abort(new RemoteCommandError(this.t.name, `sudo -u ${becomeUser}`, 1, `incorrect become password for ${this.t.user} (sudo asked again)`));
            return killChannel(stream);
          }
          stream.write(`${b?.password}\n`);
        });
        stream.onStdout((d) => {
          if (!sudo) return void out.push(d);
          const r = sudo.onStdout(d);
          out.push(r.data);
          if (r.started) stream.end(opts.stdin ?? '');
        });
        stream.onExit((code, signal) => {
          // Node's names (SIGTERM), as LocalConnection reports them; servers may send TERM or SIGTERM.
          const sig = signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : undefined;
          exit = code === null ? { code: 128 + signalNumber(sig), ...(sig ? { signal: sig } : {}) } : { code };
        });
        stream.onClose(() => {
          if (sudo) {
            const rest = sudo.flush();
            out.push(rest.stdout);
            err.push(rest.stderr);
          } else err.push(errText.end());
          // No exit status: the channel died with the connection (the close event on the client came first).
          if (!exit) {
            return void setImmediate(() =>
              abort(this.dead ?? new UnreachableError(this.t.name, `the SSH channel closed without an exit status while running: ${label}`)),
            );
          }
          const result: ExecResult = { code: exit.code, stdout: Buffer.concat(out).toString('utf8'), stderr: err.join(''), ...(exit.signal ? { signal: exit.signal } : {}) };
          settle(() => resolve(result));
        });
        if (!sudo) stream.end(opts.stdin ?? '');
      });
      open(0);
    });
  }

  async close(): Promise<void> {
    if (this.dead) return;
    this.closing = true;
    this.client.end();
    // Bounded: a peer that never answers the disconnect must not hold up the end of the run.
    await Promise.race([this.client.closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    this.markDead('closed');
  }
}

function killChannel(stream: ExecChannel | undefined): void {
  stream?.kill();
}

function signalNumber(name: string | undefined): number {
  return (name && osConstants.signals[name as keyof typeof osConstants.signals]) || 127;
}
