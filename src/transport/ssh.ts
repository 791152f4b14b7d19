import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as osConstants, homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import ssh2, { type AnyAuthMethod, type AuthenticationType, type Client as SshClient, type ClientChannel, type ConnectConfig } from 'ssh2';
import { RemoteCommandError, UnreachableError } from '../errors.js';
import type { Connection, ExecOptions, ExecResult } from '../types.js';
import { commandLine, SudoConversation } from './become.js';
import { CommandTimeoutError, describeConnectError, type ConnectContext, type ConnectFailure } from './connect-errors.js';
import { hostEntryName, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts.js';
import { SharedPool, type Lease } from './pool.js';
import { Semaphore } from './semaphore.js';
import type { SshTarget } from './target.js';

/**
 * SSH over ssh2 (the only file that imports it). One Client per host for the whole run; commands are exec
 * channels multiplexed on it, at most `maxChannels` at once. Jump hosts are chained with forwardOut.
 */

// ssh2 is CommonJS: Node's ESM loader only sees its default export, so take the parts from there.
const { Client, utils } = ssh2;
type Client = SshClient;

export type { SshTarget } from './target.js';

export interface ConnectOptions {
  /** Channels open at once on one connection (default 8, below OpenSSH's MaxSessions 10). */
  maxChannels?: number;
  /** SSH keepalive period (default 5000 ms); a dead peer is declared after keepaliveCountMax misses (default 3). */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** ssh2 protocol debug lines. */
  debug?: (line: string) => void;
}

export const DEFAULT_MAX_CHANNELS = 8;
// About 1.3 s in all: long enough for sshd to reap closed sessions, short enough to fail a refusing server.
const OPEN_RETRY_DELAYS_MS = [5, 10, 20, 40, 80, 150, 300, 700];
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
// ssh2's default host key order; a host's already-known key types are moved to the front (as ssh(1) does),
// so a server with several keys shows the one known_hosts can vouch for.
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

// Jump host connections shared by every target behind them (see pool.ts), for the life of the process.
const jumpHosts = new SharedPool<Client>();

export async function connect(target: SshTarget, opts: ConnectOptions = {}): Promise<Connection> {
  const hops = target.proxyJump ?? [];
  const leases: Lease<Client>[] = [];
  try {
    let key = '';
    for (const [i, hop] of hops.entries()) {
      key += `${i ? ' > ' : ''}${hopKey(hop)}`;
      const prev = leases[i - 1]?.value;
      const myKey = key;
      const lease = await jumpHosts.acquire(
        myKey,
        async () => {
          const sock = prev ? await forward(prev, hops[i - 1]!, hop) : undefined;
          const c = await openClient(hop, sock, opts, hops[i - 1]?.name);
          // Every target behind this hop listens for its end; dozens of them are normal.
          c.setMaxListeners(0);
          c.on('error', () => undefined);
          c.once('close', () => jumpHosts.forget(myKey, c));
          return c;
        },
        (c) => c.end(),
      );
      leases.push(lease);
    }
    const last = leases[leases.length - 1]?.value;
    const sock = last ? await forward(last, hops[hops.length - 1]!, target) : undefined;
    const client = await openClient(target, sock, opts, hops[hops.length - 1]?.name);
    return new SshConnection(target, client, leases, opts);
  } catch (e) {
    for (const l of leases) l.release();
    throw e;
  }
}

/** Two targets may share a hop only if they would log in to it the same way. */
function hopKey(h: SshTarget): string {
  const secret = h.password === undefined && h.passphrase === undefined ? '' : createHash('sha256').update(`${h.password}\0${h.passphrase}`).digest('hex');
  return JSON.stringify([h.user, h.host, h.port, h.privateKeyPath ?? '', h.agent ?? '', h.knownHostsPath ?? '', h.hostKeyChecking, secret]);
}

function forward(client: Client, hop: SshTarget, next: SshTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, stream) => {
      if (err) reject(new UnreachableError(next.name, `jump host ${hop.name} could not open a tunnel to ${next.host}:${next.port}: ${err.message}`));
      else resolve(stream);
    });
  });
}

function openClient(t: SshTarget, sock: Duplex | undefined, opts: ConnectOptions, via: string | undefined): Promise<Client> {
  const knownHostsPath = t.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
  const ctx: ConnectContext = { host: t.host, port: t.port, user: t.user, timeoutMs: t.connectTimeoutMs, tried: [], notes: [] };
  const fail = (e: ConnectFailure) =>
    new UnreachableError(t.name, `${via ? `via ${via}: ` : ''}${describeConnectError(e, ctx)}`);
  const candidates = authCandidates(t, ctx);
  const known = knownKeyTypes(readKnownHosts(knownHostsPath), hostEntryName(t.host, t.port));
  const preferred = known.flatMap((k) => (k === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [k])).filter((k) => HOST_KEY_ALGOS.includes(k));

  const config: ConnectConfig = {
    host: t.host,
    port: t.port,
    username: t.user,
    readyTimeout: t.connectTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 5000,
    keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    algorithms: { serverHostKey: [...new Set([...preferred, ...HOST_KEY_ALGOS])] as never },
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      verifyHostKey({ host: t.host, port: t.port, knownHostsPath, mode: t.hostKeyChecking }, key).then(
        (refusal) => {
          if (refusal) ctx.hostKeyRefusal = refusal;
          verify(!refusal);
        },
        (e: Error) => {
          ctx.hostKeyRefusal = `cannot check the host key of ${t.host}:${t.port} against ${knownHostsPath}: ${e.message}`;
          verify(false);
        },
      );
    },
    // ssh2 passes null before the first attempt, then what the server still accepts.
    authHandler: (leftOrNull: AuthenticationType[] | null, _partial, next) => {
      const left = leftOrNull ?? undefined;
      if (left) ctx.serverMethods = left;
      const i = candidates.findIndex((c) => !left || left.includes(c.kind === 'agent' ? 'publickey' : c.kind));
      // false ends authentication (the typings omit it).
      if (i < 0) return next(false as unknown as AnyAuthMethod);
      const [c] = candidates.splice(0, i + 1).slice(-1);
      ctx.tried.push(c!.label);
      next(c!.method);
    },
    ...(sock ? { sock } : {}),
    ...(opts.debug ? { debug: opts.debug } : {}),
  };

  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const onError = (e: Error & { level?: string; code?: string }) => {
      if (e.level === 'agent') return void ctx.notes.push(`ssh-agent unusable: ${e.message}`);
      if (settled) return;
      settled = true;
      client.end();
      reject(fail({ message: e.message, code: e.code, level: e.level }));
    };
    client.on('error', onError);
    client.once('ready', () => {
      settled = true;
      client.off('error', onError);
      resolve(client);
    });
    client.once('close', () => {
      if (settled) return;
      settled = true;
      reject(fail({ message: 'connection closed during the SSH handshake', code: 'ECONNRESET' }));
    });
    try {
      client.connect(config);
      // Many small request/reply packets: without this, Nagle and delayed ACKs add ~40 ms to each exec.
      client.setNoDelay(true);
    } catch (e) {
      onError(e as Error);
    }
  });
}

interface AuthCandidate {
  kind: 'publickey' | 'agent' | 'password' | 'keyboard-interactive';
  label: string;
  method: AnyAuthMethod;
}

/** In ssh(1)'s order: keys, agent, keyboard-interactive and password (both answered with the password). */
function authCandidates(t: SshTarget, ctx: ConnectContext): AuthCandidate[] {
  const out: AuthCandidate[] = [];
  const username = t.user;
  const keyFiles = t.privateKeyPath ? [t.privateKeyPath] : DEFAULT_IDENTITIES.map((n) => join(homedir(), '.ssh', n));
  for (const path of keyFiles) {
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (e) {
      if (t.privateKeyPath) ctx.notes.push(`cannot read private key ${path}: ${(e as Error).message}`);
      continue;
    }
    const parsed = utils.parseKey(data, t.passphrase);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase|bad decrypt/i.test(parsed.message);
      ctx.notes.push(
        encrypted
          ? `private key ${path} is encrypted and ${t.passphrase === undefined ? 'no passphrase was given' : 'the passphrase is wrong'}`
          : `cannot parse private key ${path}: ${parsed.message}`,
      );
      continue;
    }
    out.push({ kind: 'publickey', label: `publickey (${path})`, method: { type: 'publickey', username, key: data, ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}) } });
  }
  if (!t.privateKeyPath && out.length === 0) {
    ctx.notes.push(`no key file given and none of ${DEFAULT_IDENTITIES.map((n) => `~/.ssh/${n}`).join(', ')} is usable`);
  }
  const agent = t.agent === false ? undefined : (t.agent ?? process.env.SSH_AUTH_SOCK);
  if (agent) out.push({ kind: 'agent', label: `ssh-agent (${agent})`, method: { type: 'agent', username, agent } });
  const password = t.password;
  if (password !== undefined) {
    out.push({
      kind: 'keyboard-interactive',
      label: 'keyboard-interactive',
      method: { type: 'keyboard-interactive', username, prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)) },
    });
    out.push({ kind: 'password', label: 'password', method: { type: 'password', username, password } });
  }
  return out;
}

class SshConnection implements Connection {
  readonly host: string;
  private readonly slots: Semaphore;
  private readonly pending = new Set<(e: Error) => void>();
  private dead: UnreachableError | undefined;
  private closing = false;

  private readonly onHopClose = () => this.markDead('a jump host connection closed');

  constructor(private readonly t: SshTarget, private readonly client: Client, private readonly hops: Lease<Client>[], opts: ConnectOptions) {
    this.host = t.name;
    this.slots = new Semaphore(opts.maxChannels ?? DEFAULT_MAX_CHANNELS);
    const lost = (why: string) => () => this.markDead(why);
    client.on('error', (e: Error) =>
      this.markDead(/keepalive/i.test(e.message) ? `no answer to ${opts.keepaliveCountMax ?? 3} keepalives` : e.message),
    );
    client.on('end', lost('the server closed the connection'));
    client.on('close', lost('the connection closed'));
    for (const h of hops) h.value.on('close', this.onHopClose);
  }

  // The target (and so its passwords) must never end up in a log line or a JSON report by accident.
  toJSON(): { host: string } {
    return { host: this.host };
  }

  [inspect.custom](): string {
    return `SshConnection(${this.host})`;
  }

  /** Channel opens sshd refused and lvsible retried (sessions not yet reaped on the server). */
  retries = 0;

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
      h.value.off('close', this.onHopClose);
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
      let channel: ClientChannel | undefined;
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
        if (e) {
          // sshd frees a session slot a moment after the channel closes, so a new channel can be refused
          // even below MaxSessions: retry briefly (bounded) before calling it a failure.
          if (!this.dead && !settled && attempt < OPEN_RETRY_DELAYS_MS.length && /open failed/i.test(e.message)) {
            this.retries++;
            return void setTimeout(() => open(attempt + 1), OPEN_RETRY_DELAYS_MS[attempt]);
          }
          release();
          return abort(this.dead ?? new UnreachableError(this.t.name, `cannot open an SSH channel: ${e.message}`));
        }
        channel = stream;
        // Keep the slot until the channel is really gone, even after a timeout, so sshd never sees > cap.
        stream.once('close', release);
        if (settled) return killChannel(stream);
        stream.on('error', () => undefined); // a write after the remote closed; the close event tells the rest
        stream.stderr.on('data', (d: Buffer) => {
          if (!sudo) return void err.push(d.toString('utf8'));
          const r = sudo.onStderr(d);
          err.push(r.data);
          if (r.prompts === 0) return;
          if (sudo.promptsSeen > 1) {
            abort(new RemoteCommandError(this.t.name, `sudo -u ${becomeUser}`, 1, `incorrect become password for ${this.t.user} (sudo asked again)`));
            return killChannel(stream);
          }
          stream.write(`${b?.password}\n`);
        });
        stream.on('data', (d: Buffer) => {
          if (!sudo) return void out.push(d);
          const r = sudo.onStdout(d);
          out.push(r.data);
          if (r.started) stream.end(opts.stdin ?? '');
        });
        stream.on('exit', (code: number | null, signal?: string) => {
          // Node's names (SIGTERM), as LocalConnection reports them; servers may send TERM or SIGTERM.
          const sig = signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : undefined;
          exit = code === null ? { code: 128 + signalNumber(sig), ...(sig ? { signal: sig } : {}) } : { code };
        });
        stream.on('close', () => {
          if (sudo) {
            const rest = sudo.flush();
            out.push(rest.stdout);
            err.push(rest.stderr);
          }
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
    const closed = new Promise<void>((r) => this.client.once('close', () => r()));
    this.client.end();
    // Bounded: a peer that never answers the disconnect must not hold up the end of the run.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    this.markDead('closed');
  }
}

function killChannel(stream: ClientChannel | undefined): void {
  if (!stream) return;
  try {
    stream.signal('KILL');
  } catch {
    /* older servers refuse signals; closing the channel still hangs up the command */
  }
  stream.close();
}

function signalNumber(name: string | undefined): number {
  return (name && osConstants.signals[name as keyof typeof osConstants.signals]) || 127;
}
