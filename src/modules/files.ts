import { posix } from 'node:path';
import type { Plan, Step } from '../types.js';
import { quote, raw, sh } from '../transport/quote.js';
import { normalizeMode, sha256, type FileState } from '../facts/file.js';
import { noop } from './util.js';

/**
 * The write side of file-shaped modules (file, copy, template, sysctl, kernel_module, ipvs, the boot units of
 * ip_address/route): one atomic write, attribute steps, and the plan of a file's content. The read side
 * (FileState, fileFact) is src/facts/file.ts.
 */

export { DIFF_LIMIT, normalizeMode, sha256, type FileState } from '../facts/file.js';

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

/** JSON Schema shared by every module that takes a `mode`. */
export const modeSchema = {
  description:
    "Permission bits in octal, quoted ('0644'). An unquoted YAML number is read as octal digits too (0644 and 644 both mean rw-r--r--).",
  anyOf: [
    { type: 'string', pattern: '^(0o)?[0-7]{1,4}$' },
    { type: 'integer', minimum: 0, maximum: 7777 },
  ],
} as const;

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
): Plan {
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
  if (!drift.length) return noop(`${what} ${path}: content${describeAttrs(st, want)} already match${describeAttrs(st, want) ? '' : 'es'}`);
  return [{ summary: `set ${drift.join(', ')} on ${path}`, steps: attrSteps(path, st, want) }];
}

/** `, mode 0644 and owner root` for the attributes the operator asked for (what a no-op reason names). */
export function describeAttrs(st: FileState, want: Pick<WriteOptions, 'mode' | 'owner' | 'group'>): string {
  const parts = [
    want.mode !== undefined ? `mode ${want.mode}` : '',
    want.owner !== undefined ? `owner ${st.owner ?? want.owner}` : '',
    want.group !== undefined ? `group ${st.group ?? want.group}` : '',
  ].filter(Boolean);
  if (!parts.length) return '';
  return parts.length === 1 ? ` and ${parts[0]}` : `, ${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** A step that fails with `message`: the plan shows the problem, and apply reports it like any failed command. */
export function failStep(message: string): Step {
  return { cmd: sh`echo ${message} >&2; exit 1`, label: message };
}
