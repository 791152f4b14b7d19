import type { HostKeyChecking } from './known-hosts.js';
import { splitWords } from './quote.js';
/** Re-exported: the splitter lives beside quote(), its inverse. */
export { splitWords };

/**
 * The ssh(1) command-line vocabulary inventories carry: `ansible_ssh_common_args` / `ansible_ssh_extra_args`
 * (`-o ProxyJump=...`, `-J`, the classic `-o ProxyCommand="ssh -W %h:%p bastion"`) and ProxyJump specs.
 */

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

/** `[user@]host[:port]` hops, comma-separated, also as `ssh://` URIs and with `[v6]:port`. `none` is []. */
export function parseProxyJump(spec: string): JumpSpec[] {
  const s = spec.trim();
  if (s === '' || s.toLowerCase() === 'none') return [];
  return s.split(',').map((hop) => parseHop(hop.trim(), spec));
}

function parseHop(hop: string, whole: string): JumpSpec {
  let rest = hop.replace(/^ssh:\/\//, '').replace(/\/$/, '');
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    [host, portText] = rest.split(':') as [string, string];
  }
  if (!host || (user !== undefined && !user)) throw new Error(`invalid ProxyJump hop ${JSON.stringify(hop)} in ${JSON.stringify(whole)}`);
  const out: JumpSpec = { host };
  if (user) out.user = user;
  if (portText !== undefined) {
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`invalid port ${JSON.stringify(portText)} in ProxyJump hop ${JSON.stringify(hop)}`);
    }
    out.port = port;
  }
  return out;
}

export interface SshArgs {
  proxyJump?: JumpSpec[];
  port?: number;
  user?: string;
  identityFile?: string;
  hostKeyChecking?: HostKeyChecking;
  userKnownHostsFile?: string;
  connectTimeoutMs?: number;
  /** Options lvsible does not act on, as written, so the caller can warn once. */
  ignored: string[];
}

/** Read the connection-relevant parts of ssh(1) arguments. First value wins, as in ssh. */
export function parseSshCommonArgs(args: string): SshArgs {
  const out: SshArgs = { ignored: [] };
  const words = splitWords(args);
  const take = (i: number, flag: string): string => {
    const v = words[i];
    if (v === undefined) throw new Error(`ssh argument ${flag} needs a value in ${JSON.stringify(args)}`);
    return v;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const m = /^-([oJpli])(.*)$/.exec(w);
    if (!m) {
      out.ignored.push(w);
      continue;
    }
    const value = m[2] || take(++i, `-${m[1]}`);
    switch (m[1]) {
      case 'J':
        out.proxyJump ??= parseProxyJump(value);
        break;
      case 'p':
        out.port ??= toPort(value);
        break;
      case 'l':
        out.user ??= value;
        break;
      case 'i':
        out.identityFile ??= value;
        break;
      case 'o':
        option(out, value);
        break;
    }
  }
  return out;
}

/** `-o Key=Value` or `-o "Key Value"`. */
function option(out: SshArgs, kv: string): void {
  const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(kv);
  if (!m) return void out.ignored.push(`-o ${kv}`);
  const [, key, value] = m as unknown as [string, string, string];
  switch (key.toLowerCase()) {
    case 'proxyjump':
      out.proxyJump ??= parseProxyJump(value);
      return;
    case 'proxycommand': {
      const jump = proxyCommandJump(value);
      if (jump) out.proxyJump ??= jump;
      else out.ignored.push(`-o ${kv}`);
      return;
    }
    case 'port':
      out.port ??= toPort(value);
      return;
    case 'user':
      out.user ??= value;
      return;
    case 'identityfile':
      out.identityFile ??= value;
      return;
    case 'stricthostkeychecking':
      out.hostKeyChecking ??= hostKeyMode(value);
      return;
    case 'userknownhostsfile':
      out.userKnownHostsFile ??= value.split(/\s+/)[0];
      return;
    case 'connecttimeout':
      out.connectTimeoutMs ??= Number(value) * 1000;
      return;
    default:
      out.ignored.push(`-o ${kv}`);
  }
}

/** OpenSSH's StrictHostKeyChecking words onto lvsible's modes (`ask` cannot ask here: it is strict). */
export function hostKeyMode(value: string): HostKeyChecking {
  const v = value.trim().toLowerCase();
  if (v === 'no' || v === 'off' || v === 'false') return 'off';
  if (v === 'accept-new') return 'accept-new';
  return 'strict';
}

/** `ssh -W %h:%p [opts] [user@]bastion` is a jump host written the old way. */
function proxyCommandJump(cmd: string): JumpSpec[] | undefined {
  const w = splitWords(cmd);
  if (w[0] !== 'ssh' && !w[0]?.endsWith('/ssh')) return undefined;
  if (!w.some((x, i) => (x === '-W' && w[i + 1] === '%h:%p') || x === '-W%h:%p')) return undefined;
  let user: string | undefined;
  let port: number | undefined;
  let dest: string | undefined;
  for (let i = 1; i < w.length; i++) {
    const x = w[i]!;
    if (x === '-W' || x === '-o' || x === '-i' || x === '-F') i++;
    else if (x === '-p') port = toPort(w[++i] ?? '');
    else if (x === '-l') user = w[++i];
    else if (!x.startsWith('-')) dest = x;
  }
  if (!dest) return undefined;
  const [hop] = parseProxyJump(dest);
  if (!hop) return undefined;
  return [{ ...hop, ...(user && !hop.user ? { user } : {}), ...(port && !hop.port ? { port } : {}) }];
}

function toPort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid ssh port ${JSON.stringify(v)}`);
  return n;
}

