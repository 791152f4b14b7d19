import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type AnyAuthMethod, type AuthenticationType, type Client as SshClient, type ClientChannel, type ConnectConfig } from 'ssh2';
import { UnreachableError } from '../errors.js';
import { describeConnectError, type ConnectContext, type ConnectFailure } from './connect-errors.js';
import { hostEntryName, knownKeyTypes, readKnownHosts, verifyHostKey } from './known-hosts.js';
import { SharedPool, type Lease } from './pool.js';
import { SshConnection, type ExecChannel, type HopHandle, type SessionClient } from './session.js';
import type { SshTarget } from './target.js';

export { DEFAULT_MAX_CHANNELS, SshConnection } from './session.js';

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
  /** Reuse one login per jump host across targets (default true; false gives this target its own hops). */
  shareJumpHosts?: boolean;
}

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
// ssh2's default host key order; a host's already-known key types are moved to the front (as ssh(1) does),
// so a server with several keys shows the one known_hosts can vouch for.
const HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

// Jump host connections shared by every target behind them (see pool.ts), for the life of the process.
const jumpHosts = new SharedPool<Client>();

export async function connect(target: SshTarget, opts: ConnectOptions = {}): Promise<SshConnection> {
  const hops = target.proxyJump ?? [];
  const leases: Lease<Client>[] = [];
  const pool = opts.shareJumpHosts === false ? new SharedPool<Client>() : jumpHosts;
  try {
    let key = '';
    for (const [i, hop] of hops.entries()) {
      key += `${i ? ' > ' : ''}${hopKey(hop)}`;
      const prev = leases[i - 1]?.value;
      const myKey = key;
      const lease = await pool.acquire(
        myKey,
        async () => {
          const sock = prev ? await forward(prev, hops[i - 1]!, hop) : undefined;
          const c = await openClient(hop, sock, opts, hops[i - 1]?.name);
          // Every target behind this hop listens for its end; dozens of them are normal.
          c.setMaxListeners(0);
          c.on('error', () => undefined);
          c.once('close', () => pool.forget(myKey, c));
          return c;
        },
        (c) => c.end(),
      );
      leases.push(lease);
    }
    const last = leases[leases.length - 1]?.value;
    const sock = last ? await forward(last, hops[hops.length - 1]!, target) : undefined;
    const client = await openClient(target, sock, opts, hops[hops.length - 1]?.name);
    const hopHandles: HopHandle[] = leases.map((l) => ({
      onClose: (f) => void l.value.on('close', f),
      offClose: (f) => void l.value.off('close', f),
      release: () => l.release(),
    }));
    return new SshConnection(target, sessionOf(client, opts), hopHandles, opts.maxChannels);
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
    const fail = (err: Error) =>
      reject(new UnreachableError(next.name, `jump host ${hop.name} could not open a tunnel to ${next.host}:${next.port}: ${err.message}`));
    try {
      client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, stream) => (err ? fail(err) : resolve(stream)));
    } catch (e) {
      fail(e as Error); // a shared hop that died a moment ago: "Not connected"
    }
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

/** ssh2's Client as the SessionClient that session.ts drives. */
function sessionOf(client: Client, opts: ConnectOptions): SessionClient {
  const lost: Array<(why: string) => void> = [];
  const tell = (why: string) => () => lost.forEach((l) => l(why));
  client.on('error', (e: Error) =>
    tell(/keepalive/i.test(e.message) ? `no answer to ${opts.keepaliveCountMax ?? 3} keepalives` : e.message)(),
  );
  client.on('end', tell('the server closed the connection'));
  client.on('close', tell('the connection closed'));
  const closed = new Promise<void>((r) => client.once('close', () => r()));
  return {
    exec: (line, cb) => {
      try {
        client.exec(line, (err, ch) => cb(err, err ? undefined : channelOf(ch)));
      } catch (e) {
        // ssh2 throws "Not connected" synchronously once the socket is gone: report it like any failure.
        setImmediate(() => cb(e as Error));
      }
    },
    onLost: (l) => void lost.push(l),
    end: () => void client.end(),
    closed,
  };
}

function channelOf(ch: ClientChannel): ExecChannel {
  // A write after the remote closed errors; the close event tells the rest.
  ch.on('error', () => undefined);
  return {
    onStdout: (l) => void ch.on('data', l),
    onStderr: (l) => void ch.stderr.on('data', l),
    onExit: (l) => void ch.on('exit', (code: number | null, signal?: string) => l(code, signal)),
    onClose: (l) => void ch.on('close', l),
    write: (d) => void ch.write(d),
    end: (d) => void ch.end(d),
    kill: () => {
      try {
        ch.signal('KILL');
      } catch {
        /* older servers refuse signals; closing the channel still hangs up the command */
      }
      ch.close();
    },
  };
}
