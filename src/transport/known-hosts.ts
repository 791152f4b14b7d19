import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { quote } from './quote.js';

/**
 * OpenSSH known_hosts, read the way ssh(1) reads it: plain and `[host]:port` names, comma lists, wildcard
 * and negated patterns, hashed `|1|salt|hmac` names, `@revoked` lines. Keys are compared as base64 blobs.
 */

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface KnownHostLine {
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field exactly as written (comma list, may be hashed). */
  hosts: string;
  keyType: string;
  key: string;
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const s = raw.trim();
    if (!s || s.startsWith('#')) return;
    const f = s.split(/\s+/);
    let marker: KnownHostLine['marker'];
    if (f[0] === '@revoked' || f[0] === '@cert-authority') {
      marker = f[0] === '@revoked' ? 'revoked' : 'cert-authority';
      f.shift();
    } else if (f[0]?.startsWith('@')) return; // unknown marker: OpenSSH ignores the line too
    const [hosts, keyType, key] = f;
    if (!hosts || !keyType || !key) return;
    out.push({ line: i + 1, ...(marker ? { marker } : {}), hosts, keyType, key });
  });
  return out;
}

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise (as ssh writes it). */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Does a known_hosts host field (comma list, possibly hashed) name this host? A matching `!pattern` vetoes. */
export function hostsFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    const negated = pat.startsWith('!');
    const p = negated ? pat.slice(1) : pat;
    if (globMatch(p.toLowerCase(), name.toLowerCase())) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** OpenSSH patterns: `*` any run, `?` one character, everything else literal. */
export function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

/** The key type written inside an SSH public key blob (first length-prefixed string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

export type HostKeyVerdict =
  | { status: 'known'; line: number }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; line: number }
  | { status: 'revoked'; line: number };

/** Compare the key a server presented with what a known_hosts text says about `name`. */
export function checkHostKey(lines: KnownHostLine[], name: string, blob: Buffer): HostKeyVerdict {
  const presented = blob.toString('base64');
  const type = blobKeyType(blob);
  const revoked = lines.find((l) => l.marker === 'revoked' && l.key === presented);
  if (revoked) return { status: 'revoked', line: revoked.line };
  const mine = lines.filter((l) => !l.marker && hostsFieldMatches(l.hosts, name));
  const same = mine.find((l) => l.key === presented);
  if (same) return { status: 'known', line: same.line };
  const changed = mine.find((l) => l.keyType === type);
  if (changed) return { status: 'changed', line: changed.line };
  return { status: 'unknown', otherTypes: [...new Set(mine.map((l) => l.keyType))] };
}

/** Key types already recorded for a host, so the handshake can ask for those first (as ssh(1) does). */
export function knownKeyTypes(lines: KnownHostLine[], name: string): string[] {
  return [...new Set(lines.filter((l) => !l.marker && hostsFieldMatches(l.hosts, name)).map((l) => l.keyType))];
}

export function readKnownHosts(path: string): KnownHostLine[] {
  try {
    return parseKnownHosts(readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

// Hosts connect in parallel; appends to one file go one after another so none is lost.
const appendQueues = new Map<string, Promise<void>>();

/**
 * Add a line to known_hosts atomically (write a temp file beside it, then rename), creating the directory
 * (0700) if needed. Appends to the same file are serialised within this process.
 */
export function appendKnownHost(path: string, line: string): Promise<void> {
  const prev = appendQueues.get(path) ?? Promise.resolve();
  const next = prev.then(() => {
    let target = path;
    let current = '';
    let mode = 0o600;
    try {
      // Follow a symlinked known_hosts (dotfile managers) so the rename replaces the file, not the link.
      target = realpathSync(path);
      const st = statSync(target);
      // `UserKnownHostsFile /dev/null` means "remember nothing": never rename a file over a device.
      if (!st.isFile()) return;
      mode = st.mode & 0o777;
      current = readFileSync(target, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    }
    // Two connections to one new host both saw it unknown: the second has nothing to add.
    if (current.split('\n').some((l) => l.trim() === line)) return;
    if (current && !current.endsWith('\n')) current += '\n';
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${current}${line}\n`, { mode });
    renameSync(tmp, target);
  });
  appendQueues.set(path, next.catch(() => undefined));
  return next;
}

/** `SHA256:...` as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export interface HostKeyPolicy {
  host: string;
  port: number;
  knownHostsPath: string;
  mode: HostKeyChecking;
}

/**
 * Decide about a presented host key. Resolves to null when the connection may go on (recording the key
 * first under accept-new), or to the refusal message. A changed or revoked key is refused in every mode:
 * `off` only stops unknown keys from being refused.
 */
export async function verifyHostKey(p: HostKeyPolicy, blob: Buffer): Promise<string | null> {
  const name = hostEntryName(p.host, p.port);
  const verdict = checkHostKey(readKnownHosts(p.knownHostsPath), name, blob);
  const what = `${blobKeyType(blob)} ${fingerprint(blob)}`;
  switch (verdict.status) {
    case 'known':
      return null;
    case 'revoked':
      return `host key of ${name} (${what}) is marked @revoked in ${p.knownHostsPath}:${verdict.line}; refusing to connect`;
    case 'changed':
      return (
        `host key of ${name} has CHANGED: it now presents ${what}, but ${p.knownHostsPath}:${verdict.line} holds a ` +
        `different key. Someone may be intercepting the connection, or the host was reinstalled. If the change is ` +
        `expected, remove the old key with \`ssh-keygen -R ${quote(name)} -f ${quote(p.knownHostsPath)}\` and connect again`
      );
    case 'unknown':
      if (p.mode === 'off') return null;
      if (p.mode === 'accept-new') {
        await appendKnownHost(p.knownHostsPath, `${name} ${blobKeyType(blob)} ${blob.toString('base64')}`);
        return null;
      }
      return (
        `host key of ${name} is not known (${what}${verdict.otherTypes.length ? `; known key types: ${verdict.otherTypes.join(', ')}` : ''}) ` +
        `and host key checking is strict. Check the fingerprint, then add it with ` +
        `\`ssh-keyscan${p.port === 22 ? '' : ` -p ${p.port}`} ${p.host} >> ${quote(p.knownHostsPath)}\`, ` +
        `or run with \`--host-key-checking accept-new\``
      );
  }
}

