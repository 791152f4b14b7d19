import { RemoteCommandError } from '../errors.js';

/**
 * Operator-worded reasons for a failed SSH connection. Pure: ssh.ts gathers what happened (socket error
 * code, ssh2 error level, auth methods tried, host key refusal) and this turns it into one sentence.
 * Passwords never appear here: auth methods are named by kind and key path only.
 */

export interface ConnectFailure {
  message: string;
  /** Node socket error code (ECONNREFUSED...). */
  code?: string;
  /** ssh2's error level: client-socket, client-timeout, client-authentication, handshake, protocol. */
  level?: string;
}

export interface ConnectContext {
  host: string;
  port: number;
  user: string;
  timeoutMs: number;
  /** Set when our host key policy refused the server's key: the whole story is in it. */
  hostKeyRefusal?: string;
  /** Auth methods attempted, e.g. `publickey (/root/.ssh/id_ed25519)`, `password`. */
  tried: string[];
  /** What the server said it accepts, from its last USERAUTH_FAILURE. */
  serverMethods?: string[];
  /** Local credential problems met before trying (unreadable key, wrong passphrase). */
  notes: string[];
}

export function describeConnectError(err: ConnectFailure, c: ConnectContext): string {
  const where = `${c.host}:${c.port}`;
  if (c.hostKeyRefusal) return c.hostKeyRefusal;
  if (err.level === 'client-authentication') {
    const tried = c.tried.length ? `tried ${c.tried.join(', ')}` : 'no credentials to try';
    const accepts = c.serverMethods?.length ? `; the server accepts ${c.serverMethods.join(', ')}` : '';
    const notes = c.notes.length ? `; ${c.notes.join('; ')}` : '';
    const hint = c.tried.length
      ? ''
      : ' (set ansible_ssh_private_key_file or ansible_password, or load a key into ssh-agent)';
    return `authentication failed for ${c.user}@${where}: ${tried}${accepts}${notes}${hint}`;
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where} (is sshd running and listening on that address and port?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host name ${JSON.stringify(c.host)}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${where}`;
    case 'ETIMEDOUT':
      return timedOut(where, c.timeoutMs);
    case 'ECONNRESET':
    case 'EPIPE':
      return `connection to ${where} was reset during the SSH handshake`;
  }
  if (err.level === 'client-timeout' || /timed out/i.test(err.message)) return timedOut(where, c.timeoutMs);
  if (/lost before handshake/i.test(err.message)) {
    return `${where} closed the connection before the SSH handshake (too many simultaneous connections for its MaxStartups, or a TCP wrapper/firewall refusing this client?)`;
  }
  if (/no matching|handshake failed/i.test(err.message)) return `SSH handshake with ${where} failed: ${err.message}`;
  return `cannot connect to ${where}: ${err.message}`;
}

function timedOut(where: string, ms: number): string {
  return `timed out after ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s connecting to ${where} (host down, filtered by a firewall, or wrong address?)`;
}

/**
 * A command ran longer than allowed: its channel was killed. A RemoteCommandError (exit code 124, as
 * timeout(1) reports) so the engine reports it as the task's failure, with what it printed so far.
 */
export class CommandTimeoutError extends RemoteCommandError {
  constructor(host: string, label: string, readonly timeoutMs: number, stderr: string, stdout: string) {
    super(host, label, 124, stderr, stdout);
    const tail = (stderr || stdout).trim().split('\n').slice(-8).join('\n');
    this.message = `${host}: ${label} timed out after ${timeoutMs} ms and was killed${tail ? `:\n${tail}` : ''}`;
    this.name = 'CommandTimeoutError';
  }
}
