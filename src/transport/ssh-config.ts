import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import type { HostKeyChecking } from './known-hosts.js';
import { globMatch } from './known-hosts.js';
import { hostKeyMode, parseProxyJump, type JumpSpec } from './ssh-args.js';

export { parseProxyJump, parseSshCommonArgs, type JumpSpec, type SshArgs } from './ssh-args.js';

/**
 * The part of ~/.ssh/config an operator relies on when lvsible replaces `ssh`: Host blocks (patterns with
 * `*`, `?`, `!negation`), HostName, User, Port, IdentityFile, ProxyJump, StrictHostKeyChecking,
 * UserKnownHostsFile, ConnectTimeout. Like ssh(1), the first value obtained for an option wins, so
 * specific blocks go above `Host *`. `Match` blocks other than `Match all` are skipped, `Include` is not
 * followed (both reported in `unsupported`).
 */

export interface SshConfigEntry {
  key: string; // lower-case keyword
  value: string;
  line: number;
}

export interface SshConfigBlock {
  /** null for options before the first Host (they apply to every host). */
  patterns: string[] | null;
  /** False for Match blocks lvsible cannot evaluate: their options never apply. */
  usable: boolean;
  line: number;
  entries: SshConfigEntry[];
}

export interface SshConfig {
  file: string;
  blocks: SshConfigBlock[];
  /** `file:line: what` for each directive that was not understood or is not supported. */
  unsupported: string[];
}

export interface SshConfigValues {
  hostName?: string;
  user?: string;
  port?: number;
  /** The first IdentityFile; `identityFiles` holds them all in order. */
  identityFile?: string;
  identityFiles?: string[];
  proxyJump?: JumpSpec[];
  hostKeyChecking?: HostKeyChecking;
  userKnownHostsFile?: string;
  connectTimeoutMs?: number;
}

const KNOWN = new Set(['hostname', 'user', 'port', 'identityfile', 'proxyjump', 'stricthostkeychecking', 'userknownhostsfile', 'connecttimeout']);

export function parseSshConfig(text: string, file = 'ssh_config'): SshConfig {
  const blocks: SshConfigBlock[] = [{ patterns: null, usable: true, line: 0, entries: [] }];
  const unsupported: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (!s || s.startsWith('#')) return;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(s);
    if (!m) return void unsupported.push(`${file}:${line}: ${s}`);
    const key = m[1]!.toLowerCase();
    const value = unquote(m[2]!.trim());
    if (key === 'host') {
      blocks.push({ patterns: value.split(/\s+/).filter(Boolean), usable: true, line, entries: [] });
    } else if (key === 'match') {
      const all = value.trim().toLowerCase() === 'all';
      if (!all) unsupported.push(`${file}:${line}: Match ${value} (skipped)`);
      blocks.push({ patterns: all ? ['*'] : [], usable: all, line, entries: [] });
    } else {
      if (!KNOWN.has(key)) {
        if (key === 'include') unsupported.push(`${file}:${line}: Include is not followed`);
        return;
      }
      blocks[blocks.length - 1]!.entries.push({ key, value, line });
    }
  });
  return { file, blocks, unsupported };
}

/** ~/.ssh/config or another file; a missing file is an empty config. */
export function readSshConfig(path: string): SshConfig {
  try {
    return parseSshConfig(readFileSync(path, 'utf8'), path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file: path, blocks: [], unsupported: [] };
    throw e;
  }
}

/** Does a `Host` pattern list select this alias? Any positive match, and no negated match. */
export function hostPatternsMatch(patterns: string[], alias: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1).toLowerCase(), alias.toLowerCase())) return false;
    } else if (globMatch(p.toLowerCase(), alias.toLowerCase())) hit = true;
  }
  return hit;
}

export interface LookupOptions {
  home?: string;
  localUser?: string;
}

/** The settings ssh(1) would use for `ssh alias`: first obtained value wins, IdentityFile accumulates. */
export function applySshConfig(config: SshConfig, alias: string, opts: LookupOptions = {}): SshConfigValues {
  const raw = new Map<string, SshConfigEntry>();
  const identities: string[] = [];
  for (const b of config.blocks) {
    if (!b.usable || (b.patterns && !hostPatternsMatch(b.patterns, alias))) continue;
    for (const e of b.entries) {
      if (e.key === 'identityfile') identities.push(e.value);
      else if (!raw.has(e.key)) raw.set(e.key, e);
    }
  }
  const get = (k: string) => raw.get(k)?.value;
  const where = (k: string) => `${config.file}:${raw.get(k)?.line}`;
  const out: SshConfigValues = {};
  const home = opts.home ?? homedir();
  const localUser = opts.localUser ?? userInfo().username;

  const hostName = get('hostname');
  if (hostName) out.hostName = expand(hostName, { h: alias, d: home, u: localUser });
  const resolvedHost = out.hostName ?? alias;
  if (get('user')) out.user = get('user')!;
  if (get('port')) {
    const port = Number(get('port'));
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${where('port')}: invalid Port ${get('port')}`);
    out.port = port;
  }
  const tokens = { h: resolvedHost, d: home, u: localUser, r: out.user ?? localUser, p: String(out.port ?? 22) };
  const files = identities.filter((f) => f.toLowerCase() !== 'none').map((f) => expand(f, tokens));
  if (files.length) {
    out.identityFile = files[0]!;
    out.identityFiles = files;
  }
  if (get('proxyjump') !== undefined) {
    try {
      out.proxyJump = parseProxyJump(get('proxyjump')!);
    } catch (e) {
      throw new Error(`${where('proxyjump')}: ${(e as Error).message}`);
    }
  }
  if (get('stricthostkeychecking')) out.hostKeyChecking = hostKeyMode(get('stricthostkeychecking')!);
  if (get('userknownhostsfile')) out.userKnownHostsFile = expand(get('userknownhostsfile')!.split(/\s+/)[0]!, tokens);
  if (get('connecttimeout')) out.connectTimeoutMs = Number(get('connecttimeout')) * 1000;
  return out;
}

/** `~` and the %-tokens ssh_config(5) defines for these keywords. Unknown tokens are left as written. */
function expand(v: string, tokens: Record<string, string>): string {
  const withHome = v.startsWith('~/') || v === '~' ? tokens.d + v.slice(1) : v;
  return withHome.replace(/%(.)/g, (all, t: string) => (t === '%' ? '%' : (tokens[t] ?? all)));
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
