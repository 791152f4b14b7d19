import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Connection, Vars } from '../types.js';
import { connectionVars } from '../inventory/index.js';
import { connect, type SshTarget } from '../transport/ssh.js';
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
    const fromConfig = applySshConfig(sshConfig, cv.host ?? host);
    const jumpSpec = common.proxyJump ?? fromConfig.proxyJump;
    const target: SshTarget = {
      name: host,
      host: fromConfig.hostName ?? cv.host ?? host,
      port: cv.port ?? common.port ?? fromConfig.port ?? 22,
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
    if (jumpSpec) {
      target.proxyJump = jumpSpec.map((j) => ({
        ...target,
        name: `${host} (jump ${j.host})`,
        host: j.host,
        port: j.port ?? 22,
        user: j.user ?? target.user,
        proxyJump: undefined,
        become: undefined,
        password: undefined,
      }));
    }
    return connect(target);
  };
}
