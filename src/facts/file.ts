import { createHash } from 'node:crypto';
import { quote, sh } from '../transport/quote.js';
import type { Fact } from './sections.js';
import { statusFact } from './output.js';

/**
 * Files on the host: what a path is (type, attributes, digest) and, when small, its bytes. The read never
 * opens anything but a regular file (a FIFO would block it), never fails (an unreadable file is reported as
 * such, not as empty), and ships content in base64 on one line: no byte of a file, hostile or binary, can
 * reach the output as a line of its own.
 */

/** Files above this size are compared by digest only: their content is not shipped back for --diff. */
export const DIFF_LIMIT = 256 * 1024;

export interface FileState {
  type: 'absent' | 'file' | 'directory' | 'link' | 'other';
  /** Octal permission bits as `stat %a` prints them, normalised to 4 digits ("0644"). */
  mode?: string;
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  size?: number;
  /** For links: the target as written (readlink). */
  target?: string;
  /** Hex sha256 of a regular file; undefined when it could not be read. */
  sha256?: string;
  /** The bytes of a regular file smaller than DIFF_LIMIT (unless they were the expected ones). */
  content?: Buffer;
  /** The file exists but this user may not read it: its content is unknown, not empty. */
  unreadable?: boolean;
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** `0644`, `644`, 644 (YAML 1.2 reads `0644` as decimal 644) all mean rw-r--r--: digits are octal, like Ansible. */
export function normalizeMode(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  const s = typeof mode === 'number' ? String(mode) : mode.trim().replace(/^0o/i, '');
  if (!/^[0-7]{1,4}$/.test(s)) throw new Error(`invalid file mode ${JSON.stringify(mode)}: expected octal digits like '0644'`);
  return s.padStart(4, '0');
}

/**
 * One `key value` line per attribute; content last, base64 on one line. With `expectSha` (the digest the plan
 * wants), content is shipped only when it differs: a converged re-run moves no file bodies and forks no
 * encoder. Forks are kept few, since a play may hold dozens of files.
 */
export function fileProbeScript(path: string, expectSha?: string): string {
  return [
    sh`p=${path}`,
    `if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -e "$p" ]; then t=other; else t=absent; fi`,
    `echo "type $t"`,
    `if [ "$t" != absent ]; then set -- $(stat -c '%a %u %g %s %U %G' -- "$p"); echo "stat $*"; fi`,
    `if [ "$t" = link ]; then echo "target $(readlink -- "$p")"; fi`,
    `if [ "$t" = file ]; then`,
    `  s=$(sha256sum < "$p") && [ -n "$s" ] && s=\${s%% *} && echo "sha256 $s" || { s=; echo unreadable; }`,
    `  if [ -n "$s" ] && [ "$s" != ${quote(expectSha ?? '-')} ] && [ "$4" -lt ${DIFF_LIMIT} ]; then echo content; base64 < "$p" | tr -d '\\n'; echo; fi`,
    `fi`,
  ].join('\n');
}

export function parseFileState(stdout: string): FileState {
  const st: FileState = { type: 'absent' };
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const val = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'type') st.type = val as FileState['type'];
    else if (key === 'stat') {
      const [mode, uid, gid, size, owner, group] = val.split(' ');
      if (mode) st.mode = normalizeMode(mode);
      st.uid = Number(uid);
      st.gid = Number(gid);
      st.size = Number(size);
      st.owner = owner;
      st.group = group;
    } else if (key === 'target') st.target = val;
    else if (key === 'sha256' && /^[0-9a-f]{64}$/.test(val)) st.sha256 = val;
    else if (key === 'unreadable') st.unreadable = true;
    else if (key === 'content') {
      const data = Buffer.from(lines[i + 1] ?? '', 'base64');
      // A file that changed between digest and read would mislead the diff: keep content only if it matches.
      if (st.sha256 && sha256(data) === st.sha256) st.content = data;
      i++;
    }
  }
  return st;
}

/** The file at `path` (see fileProbeScript for `expectSha`). */
export function fileFact(path: string, expectSha?: string): Fact<FileState> {
  return { name: `file ${path}`, script: fileProbeScript(path, expectSha), parse: parseFileState };
}

/** Whether anything exists at `path` (command's creates/removes, /sys/module/NAME). */
export function pathExistsFact(path: string): Fact<boolean> {
  return statusFact(sh`[ -e ${path} ]`, `exists ${path}`);
}

/**
 * A config file as text, for modules that edit a file line by line (sysctl.d, /etc/default/ipvsadm):
 * undefined when there is none, `null` when it is there but its text was not shipped (unreadable, too big,
 * or not a regular file): such a file cannot be edited without losing what it holds.
 */
export function fileText(st: FileState): string | undefined | null {
  if (st.type === 'absent') return undefined;
  return st.type === 'file' && st.content ? st.content.toString('utf8') : st.type === 'file' && st.size === 0 && st.sha256 ? '' : null;
}

/**
 * With `recurse`: whether anything below directory `path` (links aside) lacks the wanted owner, group or
 * mode. `find` stops at the first offender; a failing find (an unknown user) counts as drift, not as converged.
 */
export function treeDriftFact(path: string, want: { owner?: string; group?: string; mode?: string }): Fact<boolean> {
  const tests: string[] = [];
  if (want.owner !== undefined) tests.push(sh`! -user ${want.owner}`);
  if (want.group !== undefined) tests.push(sh`! -group ${want.group}`);
  if (want.mode !== undefined) tests.push(sh`! -perm ${want.mode}`);
  const find = sh`find ${path} -mindepth 1 ! -type l`;
  return statusFact(sh`[ -d ${path} ]` + ` && ! { f=$(${find} \\( ${tests.join(' -o ')} \\) -print -quit) && [ -z "$f" ]; }`, `tree below ${path}`);
}
