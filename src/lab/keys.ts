import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { run } from './proc.js';

/** An ed25519 key pair made with ssh-keygen, kept if it already exists (a lab keeps its identity). */
export async function ensureKey(file: string, comment: string): Promise<string> {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { timeoutMs: 30_000 });
  }
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** The known_hosts line for a VM reached on a forwarded port of 127.0.0.1. */
export function knownHostsLine(port: number, publicKey: string): string {
  const [type, key] = publicKey.split(/\s+/);
  return `[127.0.0.1]:${port} ${type} ${key}`;
}
