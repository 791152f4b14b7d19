import type { Vars } from '../types.js';
import { currentSecrets } from '../config/secrets.js';

/**
 * How to reach a host, read from its merged vars under the Ansible names (plus two lvsible ones for host
 * keys, because ssh2 does not read ~/.ssh/config or ssh's -o options).
 */
export interface ConnectionVars {
  host: string;
  port: number;
  /** Unset when the inventory names no user: the caller falls back to -u, ~/.ssh/config, then $USER. */
  user?: string;
  privateKeyPath?: string;
  password?: string;
  become?: boolean;
  becomeUser?: string;
  becomePassword?: string;
  /** ansible_ssh_common_args, as written (a shell-quoted argument string). */
  sshCommonArgs?: string;
  /** ansible_ssh_extra_args, as written. */
  sshExtraArgs?: string;
  hostKeyChecking?: HostKeyChecking;
  knownHostsFile?: string;
  /** ansible_connection=local: run on this machine, no SSH. */
  local?: boolean;
}

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

/** Variables whose values are secrets: never printed, logged, or put in an error message. */
export const SECRET_VARS: readonly string[] = [
  'ansible_password',
  'ansible_ssh_pass',
  'ansible_ssh_password',
  'ansible_become_password',
  'ansible_become_pass',
  'ansible_sudo_pass',
  'ansible_sudo_password',
  'ansible_su_pass',
  'ansible_su_password',
  'auth_pass',
  'keepalived_auth_pass',
];

/** SECRET_VARS, anything named like a secret, and names the operator listed in `lvsible_secrets` (docs/secrets.md). */
export function isSecretVar(name: string): boolean {
  return SECRET_VARS.includes(name) || currentSecrets().isSecret(name);
}

export const REDACTED = '********';

/** A deep copy of `vars` with every secret value replaced by "********" (at any depth). */
export function redactVars<T>(vars: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = isSecretVar(k) && x !== null && x !== undefined ? REDACTED : walk(x);
      return out;
    }
    return v;
  };
  return walk(vars) as T;
}

/** Ansible's boolean(): yes/no, true/false, on/off, 1/0, any case. */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['yes', 'y', 'true', 't', 'on', '1'].includes(s)) return true;
  if (['no', 'n', 'false', 'f', 'off', '0', ''].includes(s)) return false;
  return undefined;
}

const str = (v: unknown): string | undefined =>
  v === undefined || v === null || v === '' ? undefined : typeof v === 'string' ? v : String(v);

/** The connection settings in a host's vars (hostVars() output: it carries inventory_hostname). */
export function connectionVars(vars: Vars): ConnectionVars {
  const name = str(vars.inventory_hostname) ?? 'localhost';
  const portRaw = vars.ansible_port ?? vars.ansible_ssh_port;
  const port = portRaw === undefined || portRaw === null ? 22 : Number(portRaw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name}: ansible_port must be a number from 1 to 65535, got ${JSON.stringify(portRaw)}`);
  }
  const out: ConnectionVars = {
    host: str(vars.ansible_host) ?? str(vars.ansible_ssh_host) ?? name,
    port,
  };
  const set = <K extends keyof ConnectionVars>(k: K, v: ConnectionVars[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('user', str(vars.ansible_user) ?? str(vars.ansible_ssh_user));
  set('privateKeyPath', str(vars.ansible_ssh_private_key_file) ?? str(vars.ansible_private_key_file));
  set('password', str(vars.ansible_password) ?? str(vars.ansible_ssh_pass) ?? str(vars.ansible_ssh_password));
  set('become', toBool(vars.ansible_become));
  set('becomeUser', str(vars.ansible_become_user));
  set('becomePassword', str(vars.ansible_become_password) ?? str(vars.ansible_become_pass) ?? str(vars.ansible_sudo_pass));
  set('sshCommonArgs', str(vars.ansible_ssh_common_args));
  set('sshExtraArgs', str(vars.ansible_ssh_extra_args));
  const fromArgs = sshOptions(`${out.sshCommonArgs ?? ''} ${out.sshExtraArgs ?? ''}`);
  set('knownHostsFile', str(vars.lvsible_known_hosts_file) ?? fromArgs.knownHostsFile);
  set('hostKeyChecking', hostKeyChecking(vars) ?? fromArgs.hostKeyChecking);
  if (str(vars.ansible_connection) === 'local') out.local = true;
  return out;
}

function hostKeyChecking(vars: Vars): HostKeyChecking | undefined {
  const v = str(vars.lvsible_host_key_checking);
  if (v !== undefined) {
    if (v === 'strict' || v === 'accept-new' || v === 'off') return v;
    throw new Error(`lvsible_host_key_checking must be strict, accept-new or off, got ${JSON.stringify(v)}`);
  }
  const b = toBool(vars.ansible_host_key_checking);
  return b === undefined ? undefined : b ? 'strict' : 'off';
}

/** The two ssh -o options that matter to an ssh2 connection. */
function sshOptions(args: string): { hostKeyChecking?: HostKeyChecking; knownHostsFile?: string } {
  const out: { hostKeyChecking?: HostKeyChecking; knownHostsFile?: string } = {};
  const strict = /StrictHostKeyChecking[= ]+["']?([\w-]+)/i.exec(args)?.[1]?.toLowerCase();
  if (strict === 'no' || strict === 'off') out.hostKeyChecking = 'off';
  else if (strict === 'accept-new') out.hostKeyChecking = 'accept-new';
  else if (strict === 'yes' || strict === 'ask') out.hostKeyChecking = 'strict';
  const known = /UserKnownHostsFile[= ]+["']?([^\s"']+)/i.exec(args)?.[1];
  if (known) out.knownHostsFile = known;
  return out;
}
