import type { BecomeConfig } from './become.js';
import type { HostKeyChecking } from './known-hosts.js';
import type { JumpSpec } from './ssh-args.js';
import { applySshConfig, type SshConfig } from './ssh-config.js';

/** Everything needed to reach one host over SSH. Plain data, built from inventory vars (engine/connect.ts). */
export interface SshTarget {
  /** Inventory host name: what errors and reports call the host. */
  name: string;
  host: string;
  port: number;
  user: string;
  privateKeyPath?: string;
  passphrase?: string;
  password?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK; false disables the agent. */
  agent?: string | false;
  /** Hops in order, first one dialled directly (ProxyJump / -J). */
  proxyJump?: SshTarget[];
  become?: BecomeConfig;
  hostKeyChecking: HostKeyChecking;
  /** Default ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  connectTimeoutMs: number;
  /** Per-command limit; 0 means none. ExecOptions.timeoutMs overrides it. */
  commandTimeoutMs: number;
}

/**
 * Jump hosts for a target, each resolved the way ssh(1) resolves a ProxyJump hop: the spec's user and
 * port first, then that hop's own ~/.ssh/config block (HostName, User, Port, IdentityFile, host key
 * settings), then the target's own settings.
 */
export function jumpTargets(specs: JumpSpec[], base: SshTarget, config?: SshConfig): SshTarget[] {
  return specs.map((spec) => {
    const c = config ? applySshConfig(config, spec.host) : {};
    const privateKeyPath = c.identityFile ?? base.privateKeyPath;
    const hop: SshTarget = {
      name: `${base.name} (jump ${spec.host})`,
      host: c.hostName ?? spec.host,
      port: spec.port ?? c.port ?? 22,
      user: spec.user ?? c.user ?? base.user,
      hostKeyChecking: c.hostKeyChecking ?? base.hostKeyChecking,
      connectTimeoutMs: c.connectTimeoutMs ?? base.connectTimeoutMs,
      commandTimeoutMs: base.commandTimeoutMs,
    };
    if (privateKeyPath !== undefined) hop.privateKeyPath = privateKeyPath;
    // The target's passphrase unlocks the target's key only.
    if (base.passphrase !== undefined && privateKeyPath === base.privateKeyPath) hop.passphrase = base.passphrase;
    if (base.agent !== undefined) hop.agent = base.agent;
    const known = c.userKnownHostsFile ?? base.knownHostsPath;
    if (known !== undefined) hop.knownHostsPath = known;
    return hop;
  });
}
