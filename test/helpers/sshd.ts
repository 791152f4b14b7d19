import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SshTarget } from '../../src/transport/ssh.js';

/**
 * A real OpenSSH server for tests: its own host key, authorized_keys and config in a temp dir, listening
 * on a free port of one 127.0.0.x address. Nothing outside the temp dir is touched except /run/sshd, the
 * privilege-separation directory sshd refuses to start without.
 */

const run = promisify(execFile);

export interface SshdHandle {
  host: string;
  port: number;
  /** The user the tests log in as: the test process's own user. */
  user: string;
  /** Unencrypted ed25519 client key listed in authorized_keys. */
  privateKeyPath: string;
  publicKey: string;
  /** known_hosts line for `[host]:port` with this server's host key. */
  hostKeyLine: string;
  /** A temp known_hosts holding only `hostKeyLine`. */
  knownHostsPath: string;
  /** Base64 blob of the host key (what a known_hosts line carries). */
  hostKeyBase64: string;
  dir: string;
  /** A sticky world-writable dir inside `dir`, for files remote commands write whatever user they run as. */
  scratch: string;
  pid: number;
  /** Everything sshd wrote to stderr so far (-e), e.g. to check that a jump host forwarded a channel. */
  log(): string;
  /** Generate another client key (optionally passphrase-protected) and authorize it. Returns its path. */
  addClientKey(name: string, passphrase?: string): Promise<string>;
  /** SIGKILL the per-connection sshd processes and their shells; the listener keeps accepting. */
  killSessions(): void;
  /** Hard SIGKILL of sshd and every process under it: the peer vanishes mid-run. */
  kill(): void;
  /** Terminate sshd and its sessions, wait for exit, remove the temp dir. */
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** A 127.0.0.x address (default 127.0.0.1). */
  address?: string;
  /** sshd_config lines placed BEFORE the defaults: sshd keeps the first value it reads, so these win. */
  extraConfig?: string;
  /**
   * Let the login shell read the user's rc files (default false). Debian's bash sources ~/.bashrc for
   * `ssh host cmd`; on this machine root's runs `pyenv init` (~200 ms a command, and a rehash lock a
   * killed session leaves behind). Sessions get SHLVL=1, which makes bash skip it.
   */
  sourceRc?: boolean;
}

const MAX_LOG = 256 * 1024;

export async function startSshd(opts: SshdOptions = {}): Promise<SshdHandle> {
  const host = opts.address ?? '127.0.0.1';
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`startSshd: ${host} is not a loopback address`);
  // sshd refuses to start without its privilege-separation directory (Debian creates it at boot via systemd).
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const dir = mkdtempSync(join(tmpdir(), 'lvsible-sshd-'));
  // sshd reads authorized_keys as the user logging in: other test users (lvsible-test) must reach it.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'scratch'));
  chmodSync(join(dir, 'scratch'), 0o1777);
  try {
    const hostKey = join(dir, 'ssh_host_ed25519_key');
    await keygen(hostKey, '');
    const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
    const privateKeyPath = join(dir, 'id_ed25519');
    await keygen(privateKeyPath, '');
    const publicKey = readFileSync(`${privateKeyPath}.pub`, 'utf8').trim();
    const authorizedKeys = join(dir, 'authorized_keys');
    writeFileSync(authorizedKeys, `${publicKey}\n`, { mode: 0o644 });

    // A port picked by the kernel can be taken again before sshd binds it: retry a few times.
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort(host);
      writeFileSync(join(dir, 'sshd_config'), sshdConfig({ host, port, dir, hostKey, authorizedKeys, extra: opts.extraConfig, sourceRc: opts.sourceRc ?? false }));
      try {
        const { child, log } = await launch(dir, host, port);
        const hostKeyLine = `[${host}]:${port} ${hostPub[0]} ${hostPub[1]}`;
        const knownHostsPath = join(dir, 'known_hosts');
        writeFileSync(knownHostsPath, `${hostKeyLine}\n`);
        return handle({ host, port, dir, child, log, privateKeyPath, publicKey, hostKeyLine, knownHostsPath, hostKeyBase64: hostPub[1]!, authorizedKeys });
      } catch (e) {
        lastErr = e;
        if (!/Address already in use/.test(String(e))) break;
      }
    }
    throw lastErr;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export async function keygen(path: string, passphrase: string, type = 'ed25519'): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'lvsible-test', '-f', path]);
}

function sshdConfig(o: { host: string; port: number; dir: string; hostKey: string; authorizedKeys: string; extra?: string; sourceRc: boolean }): string {
  return [
    o.extra ?? '',
    `Port ${o.port}`,
    `ListenAddress ${o.host}`,
    `HostKey ${o.hostKey}`,
    `PidFile ${join(o.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${o.authorizedKeys}`,
    'StrictModes no',
    'UsePAM no',
    'MaxSessions 10',
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'UseDNS no',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    o.sourceRc ? '' : 'SetEnv SHLVL=1',
    '',
  ].join('\n');
}

async function launch(dir: string, host: string, port: number): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const append = (d: Buffer) => {
    text += d.toString('utf8');
    if (text.length > MAX_LOG) text = text.slice(-MAX_LOG);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited: string | undefined;
  child.on('exit', (code, sig) => (exited = `sshd exited (${sig ?? code}) before listening:\n${text.trim()}`));
  child.on('error', (e) => (exited = `cannot start sshd: ${e.message}`));

  // Bounded wait for the SSH banner: up to ~10 s in 100 ms steps.
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(exited);
    if (await hasBanner(host, port)) return { child, log: () => text };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`sshd on ${host}:${port} did not answer within 10 s:\n${text.trim()}`);
}

function hasBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

interface Parts {
  host: string; port: number; dir: string; child: ChildProcess; log: () => string; privateKeyPath: string; publicKey: string;
  hostKeyLine: string; knownHostsPath: string; hostKeyBase64: string; authorizedKeys: string;
}

// sshd outlives a test process that crashes or forgets stop(): kill what is still running when it exits.
const running = new Map<number, string>();
process.once('exit', () => {
  for (const [pid, dir] of running) {
    for (const x of [pid, ...descendants(pid)]) {
      try {
        process.kill(x, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function handle(p: Parts): SshdHandle {
  const pid = p.child.pid!;
  running.set(pid, p.dir);
  p.child.once('exit', () => running.delete(pid));
  const exited = new Promise<void>((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) resolve();
    else p.child.once('exit', () => resolve());
  });
  const killTree = (signal: NodeJS.Signals, includeRoot: boolean) => {
    // Collect first, then kill: once a parent dies its children are re-parented and the tree is lost.
    const pids = descendants(pid);
    if (includeRoot) pids.unshift(pid);
    for (const x of pids) {
      try {
        process.kill(x, signal);
      } catch {
        /* already gone */
      }
    }
  };
  let stopped = false;
  return {
    host: p.host,
    port: p.port,
    user: userInfo().username,
    privateKeyPath: p.privateKeyPath,
    publicKey: p.publicKey,
    hostKeyLine: p.hostKeyLine,
    knownHostsPath: p.knownHostsPath,
    hostKeyBase64: p.hostKeyBase64,
    dir: p.dir,
    scratch: join(p.dir, 'scratch'),
    pid,
    log: p.log,
    async addClientKey(name, passphrase = '') {
      const path = join(p.dir, name);
      await keygen(path, passphrase);
      appendFileSync(p.authorizedKeys, readFileSync(`${path}.pub`, 'utf8'));
      return path;
    },
    killSessions: () => killTree('SIGKILL', false),
    kill: () => killTree('SIGKILL', true),
    async stop() {
      if (stopped) return;
      stopped = true;
      killTree('SIGTERM', true);
      const timer = setTimeout(() => killTree('SIGKILL', true), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(p.dir, { recursive: true, force: true });
    },
  };
}

/** Every process below `root`, by walking parent links in /proc. */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields resume after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
    } catch {
      /* exited while we looked */
    }
  }
  const out: number[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next: number[] = [];
    for (const [child, pp] of parent) if (frontier.includes(pp)) next.push(child);
    out.push(...next);
    frontier = next;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An SshTarget for a test sshd: its key, its known_hosts, strict checking, no agent. */
export function targetFor(h: SshdHandle, over: Partial<SshTarget> = {}): SshTarget {
  return {
    name: `sshd-${h.host}-${h.port}`,
    host: h.host,
    port: h.port,
    user: h.user,
    privateKeyPath: h.privateKeyPath,
    agent: false,
    hostKeyChecking: 'strict',
    knownHostsPath: h.knownHostsPath,
    connectTimeoutMs: 5000,
    commandTimeoutMs: 0,
    ...over,
  };
}
