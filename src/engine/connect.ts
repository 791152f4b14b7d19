import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Connection, Vars } from '../types.js';
import { connectionVars } from '../inventory/index.js';
import { connect, type SshTarget } from '../transport/ssh.js';
import { jumpTargets } from '../transport/target.js';
import { LocalConnection } from '../transport/local.js';
import { parseSshCommonArgs, readSshConfig, applySshConfig } from '../transport/ssh-config.js';
import type { HostKeyChecking } from '../transport/known-hosts.js';

export interface ConnectDefaults {
  hostKeyChecking?: HostKeyChecking;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** `-u`/`--user` on the command line: used when the inventory names no user. */
  user?: string;
  privateKeyPath?: string;
}

/**
 * Build the connection for one inventory host from its variables, under their Ansible names, filling the
 * gaps from ~/.ssh/config like ssh(1) would (the inventory wins where both say something).
 */
export function connector(defaults: ConnectDefaults = {}) {
  const sshConfig = readSshConfig(join(homedir(), '.ssh', 'config'));
  return async (host: string, vars: Vars): Promise<Connection> => {
    const cv = connectionVars(vars);
    if (cv.local) return new LocalConnection(host);
    const common = parseSshCommonArgs([cv.sshCommonArgs, cv.sshExtraArgs].filter(Boolean).join(' '));
    // ssh(1) looks the alias up in ~/.ssh/config; an explicit ansible_host still wins over its HostName.
    const fromConfig = applySshConfig(sshConfig, cv.host);
    const jumpSpec = common.proxyJump ?? fromConfig.proxyJump;
    const target: SshTarget = {
      name: host,
      host: vars.ansible_host !== undefined ? cv.host : (fromConfig.hostName ?? cv.host),
      port: (vars.ansible_port ?? vars.ansible_ssh_port) !== undefined ? cv.port : (common.port ?? fromConfig.port ?? cv.port),
      user: cv.user ?? common.user ?? fromConfig.user ?? defaults.user ?? userInfo().username,
      privateKeyPath: cv.privateKeyPath ?? common.identityFile ?? fromConfig.identityFile ?? defaults.privateKeyPath,
      password: cv.password,
      hostKeyChecking: (cv.hostKeyChecking ?? common.hostKeyChecking ?? defaults.hostKeyChecking ?? 'strict') as HostKeyChecking,
      knownHostsPath: cv.knownHostsFile ?? common.userKnownHostsFile,
      connectTimeoutMs: defaults.connectTimeoutMs ?? 15_000,
      commandTimeoutMs: defaults.commandTimeoutMs ?? 0,
      ...(cv.become || cv.becomePassword
        ? { become: { method: 'sudo' as const, user: cv.becomeUser ?? 'root', ...(cv.becomePassword ? { password: cv.becomePassword } : {}) } }
        : {}),
    };
    if (jumpSpec) target.proxyJump = jumpTargets(jumpSpec, target, sshConfig);
    return connect(target);
  };
}
