import { frame } from '../../src/facts/index.js';
import { sha256 } from '../../src/facts/file.js';

/**
 * Raw fact outputs for tests: what each fact's snippet prints on a host in a given state, framed as the
 * facts layer frames them. Real captures stay in their files; these only put them where a snippet would.
 */

/** The file fact's output for a regular file holding `content` (undefined: absent). */
export function fileOut(content: string | Buffer | undefined, opts: { mode?: string; shipped?: boolean } = {}): string {
  if (content === undefined) return 'type absent\n';
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const lines = ['type file', `stat ${opts.mode ?? '644'} 0 0 ${data.length} root root`, `sha256 ${sha256(data)}`];
  if (opts.shipped !== false) lines.push('content', data.toString('base64'));
  return `${lines.join('\n')}\n`;
}

/** A unit file read: the file, then its enable links (`by -> target`). */
export function unitOut(content: string | undefined, wantedBy: Record<string, string> = {}): string {
  const links = Object.entries(wantedBy).map(([by, target]) => `${by} ${target}\n`).join('');
  return frame({ file: fileOut(content, { shipped: false }), wantedBy: links });
}

/**
 * The IPVS read from a capture written the old, readable way: `@key RC` then the listing with every line
 * prefixed `|` (how the fixtures and the tests' tables spell it).
 */
export function ipvsOut(capture: string): string {
  const parts: Record<string, string> = {};
  let key: string | undefined;
  for (const line of capture.split('\n')) {
    const head = /^@(\S+) (\d+)$/.exec(line);
    if (head) {
      key = head[1]!;
      parts[key] = '';
      parts[`${key}.rc`] = `${head[2]}\n`;
    } else if (line.startsWith('|') && key) parts[key] += `${line.slice(1)}\n`;
  }
  return frame(parts);
}

/** One ipvsadm listing section: `cap('tuninfo', text)` for ipvsOut. */
export const cap = (key: string, text: string, rc = 0): string =>
  `@${key} ${rc}\n${text.replace(/\n$/, '').split('\n').map((l) => `|${l}`).join('\n')}\n`;

/**
 * A network read (verify) from the lab captures in test/fixtures/verify, which hold one `@addr JSON`,
 * one `@route JSON` and `@sysctl NAME VALUE` lines.
 */
export function netOut(capture: string): string {
  const parts: Record<string, string> = { addr: '', route: '' };
  for (const line of capture.split('\n')) {
    if (line.startsWith('@addr ')) parts.addr = `${line.slice(6)}\n`;
    else if (line.startsWith('@route ')) parts.route = `${line.slice(7)}\n`;
    else if (line.startsWith('@sysctl ')) {
      const [, name, ...value] = line.split(' ');
      const v = value.join(' ');
      parts[`sysctl:${name}`] = v === '@missing' ? 'missing\n' : `value ${v}\n`;
    }
  }
  return frame(parts);
}
