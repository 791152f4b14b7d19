import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Change, Probe, Step } from '../types.js';
import { quote, raw, sh } from '../transport/quote.js';

/**
 * What file-shaped modules (file, copy, template, sysctl, the persistence units of ip_address/route) share:
 * one probe that reads a path's type, attributes, digest and (small) content, and one atomic write.
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
  /** The bytes of a regular file smaller than DIFF_LIMIT. */
  content?: Buffer;
  /** The file exists but this user may not read it: its content is unknown, not empty. */
  unreadable?: boolean;
}

export interface WriteOptions {
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep the old file as `dest.YYYYmmddHHMMSS~` before replacing it. */
  backup?: boolean;
  /** Command run on the new file before it replaces the live one; `%s` is the temp file's path. */
  validate?: string;
  /** mkdir -p the parent directory first (Ansible copy/template do). */
  createDirs?: boolean;
}

/** `0644`, `644`, 644 (YAML 1.2 reads `0644` as decimal 644) all mean rw-r--r--: digits are octal, like Ansible. */
export function normalizeMode(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  const s = typeof mode === 'number' ? String(mode) : mode.trim().replace(/^0o/i, '');
  if (!/^[0-7]{1,4}$/.test(s)) throw new Error(`invalid file mode ${JSON.stringify(mode)}: expected octal digits like '0644'`);
  return s.padStart(4, '0');
}

/** JSON Schema shared by every module that takes a `mode`. */
export const modeSchema = {
  description:
    "Permission bits in octal, quoted ('0644'). An unquoted YAML number is read as octal digits too (0644 and 644 both mean rw-r--r--).",
  anyOf: [
    { type: 'string', pattern: '^(0o)?[0-7]{1,4}$' },
    { type: 'integer', minimum: 0, maximum: 7777 },
  ],
} as const;

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * Shell snippet describing `path`. It reads only regular files (a FIFO would block), tolerates permission
 * errors (the probe must never exit) and prints one `key value` per line; content comes last, in base64.
 * With `expectSha` (the digest the plan wants), content is shipped only when it differs: a converged re-run
 * moves no file bodies and forks no encoder. Forks are kept few, since a play may hold dozens of files.
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
    `  if [ -n "$s" ] && [ "$s" != ${quote(expectSha ?? '-')} ] && [ "$4" -lt ${DIFF_LIMIT} ]; then echo content; base64 < "$p" | tr -d '\n'; echo; fi`,
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

export function fileProbe(path: string, expectSha?: string): Probe<FileState> {
  return { script: fileProbeScript(path, expectSha), parse: parseFileState };
}

/** Does the live owner (name or numeric id, as the operator may write either) match? */
export function ownerMatches(want: string | undefined, name: string | undefined, id: number | undefined): boolean {
  if (want === undefined) return true;
  return /^\d+$/.test(want) ? Number(want) === id : want === name;
}

/** The attribute differences between `st` and the wanted mode/owner/group, in operator's words. */
export function attrDrift(st: FileState, want: Pick<WriteOptions, 'mode' | 'owner' | 'group'>): string[] {
  const out: string[] = [];
  if (want.mode !== undefined && st.mode !== want.mode) out.push(`mode ${st.mode ?? '?'} -> ${want.mode}`);
  if (!ownerMatches(want.owner, st.owner, st.uid)) out.push(`owner ${st.owner ?? '?'} -> ${want.owner}`);
  if (!ownerMatches(want.group, st.group, st.gid)) out.push(`group ${st.group ?? '?'} -> ${want.group}`);
  return out;
}

/** chmod/chown steps for attribute-only drift: no rewrite. `-h` so a link's own owner changes, never its target's. */
export function attrSteps(path: string, st: FileState, want: Pick<WriteOptions, 'mode' | 'owner' | 'group'>, recurse = false): Step[] {
  const steps: Step[] = [];
  const r = raw(recurse ? ' -R' : '');
  const ownerWrong = !ownerMatches(want.owner, st.owner, st.uid);
  const groupWrong = !ownerMatches(want.group, st.group, st.gid);
  if (recurse || ownerWrong || groupWrong) {
    const spec = (want.owner ?? '') + (want.group !== undefined ? `:${want.group}` : '');
    if (spec) steps.push({ cmd: sh`chown${r} -h -- ${spec} ${path}` });
  }
  if (want.mode !== undefined && (recurse || st.mode !== want.mode) && st.type !== 'link') {
    steps.push({ cmd: sh`chmod${r} -- ${want.mode} ${path}` });
  }
  return steps;
}

/**
 * Replace `path` with `content` atomically, as one step: the bytes travel on stdin (base64, so any byte
 * survives) into a temp file in the SAME directory (so the final `mv` is a rename, never a copy), which gets
 * its mode and owner and passes `validate` before it replaces the live file. A reader never sees half a file,
 * and a rejected file never becomes live. Without `mode`/`owner`/`group`, an existing file keeps its own.
 */
export function atomicWriteSteps(path: string, content: string | Buffer, opts: WriteOptions = {}): Step[] {
  const dir = posix.dirname(path);
  const base = posix.basename(path);
  const mode = normalizeMode(opts.mode);
  const lines = [
    'set -e',
    sh`dest=${path}; dir=${dir}`,
    `if [ -d "$dest" ] && [ ! -L "$dest" ]; then echo "$dest is a directory, not a file" >&2; exit 1; fi`,
  ];
  if (opts.createDirs) lines.push(`mkdir -p -- "$dir"`);
  lines.push(
    sh`tmp=$(mktemp "$dir"/${`.${base}.XXXXXX`})`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    `base64 -d > "$tmp"`,
    // mktemp creates 0600 files: without an explicit mode, keep the old file's or give a new one the umask default.
    mode !== undefined
      ? sh`chmod ${mode} "$tmp"`
      : `if [ -e "$dest" ]; then chmod --reference="$dest" "$tmp"; else chmod "$(printf '%04o' $((0666 & ~$(umask))))" "$tmp"; fi`,
  );
  if (opts.owner !== undefined || opts.group !== undefined) {
    lines.push(sh`chown -- ${(opts.owner ?? '') + (opts.group !== undefined ? `:${opts.group}` : '')} "$tmp"`);
  } else {
    lines.push(`if [ -e "$dest" ]; then chown --reference="$dest" "$tmp"; fi`);
  }
  if (opts.validate) {
    // The validator is the operator's own command line (`keepalived -t -f %s`): only the temp path is ours.
    const cmd = opts.validate.includes('%s') ? opts.validate.split('%s').join('"$tmp"') : `${opts.validate} "$tmp"`;
    lines.push(`if ! out=$( { ${cmd} ; } 2>&1 ); then printf 'validation failed (%s):\\n%s\\n' ${quote(opts.validate)} "$out" >&2; exit 1; fi`);
  }
  if (opts.backup) {
    lines.push(`if [ -e "$dest" ]; then cp -p -- "$dest" "$dest.$(date +%Y%m%d%H%M%S)~"; fi`);
  }
  lines.push(`mv -f -- "$tmp" "$dest"`, `trap - EXIT`);
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  return [{ cmd: sh`sh -c ${lines.join('\n')}`, stdin: data.toString('base64'), label: `write ${path}` }];
}

/** Text for --diff: the file as text, or a one-line stand-in for bytes a terminal should not print. */
export function diffText(data: Buffer | undefined, st?: FileState): string | undefined {
  if (data === undefined) {
    if (!st || st.type === 'absent') return '';
    if (st.type !== 'file') return undefined;
    return st.unreadable ? '[unreadable]\n' : `[${st.size ?? '?'} bytes, not shown]\n`;
  }
  if (isBinary(data)) return `[binary file, ${data.length} bytes, sha256 ${sha256(data).slice(0, 12)}]\n`;
  return data.toString('utf8');
}

export function isBinary(data: Buffer): boolean {
  if (data.includes(0)) return true;
  return !Buffer.from(data.toString('utf8'), 'utf8').equals(data);
}

/**
 * The change that brings a regular file to `content` + attributes, or [] when it is there already.
 * Content drift is a rewrite (with the wanted attributes); attribute-only drift is chmod/chown.
 */
export function planFileContent(
  path: string,
  st: FileState,
  content: Buffer,
  opts: WriteOptions,
  what = 'file',
): Change[] {
  const want = { ...opts, mode: normalizeMode(opts.mode) };
  const same = st.type === 'file' && st.sha256 === sha256(content);
  if (!same) {
    const verb = st.type === 'absent' ? 'create' : 'update';
    const why = st.unreadable ? ' (current content unreadable)' : '';
    return [
      {
        summary: `${verb} ${what} ${path}${why}`,
        before: diffText(st.content, st),
        after: diffText(content),
        diffName: path,
        steps: atomicWriteSteps(path, content, want),
      },
    ];
  }
  const drift = attrDrift(st, want);
  if (!drift.length) return [];
  return [{ summary: `set ${drift.join(', ')} on ${path}`, steps: attrSteps(path, st, want) }];
}

/** A step that fails with `message`: the plan shows the problem, and apply reports it like any failed command. */
export function failStep(message: string): Step {
  return { cmd: sh`echo ${message} >&2; exit 1`, label: message };
}
