import type { Module, Step } from '../types.js';
import { quote, sh } from '../transport/quote.js';

/** Identity helper: lets TypeScript infer a module's param and state types from its definition. */
export function defineModule<P, S>(mod: Module<P, S>): Module<P, S> {
  return mod;
}

/** A path on the host as the module must touch it: under ctx.root ('' in production, a temp dir in tests). */
export function rooted(root: string, path: string): string {
  if (!root) return path;
  return root.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

/** Values compared the way the kernel prints them: `4096 87380 6291456` equals "4096\t87380  6291456\n". */
export function normalizeWs(value: string | number): string {
  return String(value).trim().split(/\s+/).join(' ');
}

/** Strip trailing newlines only, as Ansible does for `stdout` (inner blank lines and spaces are data). */
export function chompLines(text: string): { text: string; lines: string[] } {
  const t = text.replace(/(\r?\n)+$/, '');
  return { text: t, lines: t === '' ? [] : t.split(/\r?\n/) };
}

/*
 * Probe sections. A module that needs several facts prints each under a header line `@key status`, and file
 * contents with every line prefixed by `|`, so that no content line can ever look like a header.
 */

export interface Section {
  status: string;
  lines: string[];
}

/** Snippet printing `@key yes` when the shell test succeeds, else `@key no`. `test` is an already-built sh fragment. */
export function probeTest(key: string, test: string): string {
  return `if ${test}; then echo ${quote(`@${key} yes`)}; else echo ${quote(`@${key} no`)}; fi`;
}

/** Snippet printing `@key file` then the file's lines (each prefixed `|`), or `@key none` when it is not a file. */
export function probeFile(key: string, path: string): string {
  return (
    sh`if [ -f ${path} ]; then echo ${`@${key} file`}; awk '{ print "|" $0 }' ${path}; ` +
    sh`else echo ${`@${key} none`}; fi`
  );
}

/** Snippet printing `@key VALUE` with the command's stdout on one line (newlines become spaces). */
export function probeValue(key: string, cmd: string): string {
  return `printf '@%s %s\\n' ${quote(key)} "$(${cmd} | tr '\\n' ' ')"`;
}

/** Parse probe output made of the snippets above into key -> section. Lines outside sections are ignored. */
export function parseSections(stdout: string): Map<string, Section> {
  const out = new Map<string, Section>();
  let cur: Section | undefined;
  for (const line of stdout.split('\n')) {
    const head = /^@(\S+) ?(.*)$/.exec(line);
    if (head) {
      cur = { status: head[2]!.trim(), lines: [] };
      out.set(head[1]!, cur);
    } else if (line.startsWith('|') && cur) {
      cur.lines.push(line.slice(1));
    }
  }
  return out;
}

/** A file's content from a `probeFile` section, or undefined when it does not exist. */
export function fileContent(sections: Map<string, Section>, key: string): string | undefined {
  const s = sections.get(key);
  if (!s || s.status !== 'file') return undefined;
  return s.lines.length ? s.lines.join('\n') + '\n' : '';
}

/**
 * A step that replaces `path` with `content` atomically: written to a temp file in the same directory (so
 * `mv` is a rename on one filesystem) and moved over the target. A reader never sees a half-written file.
 */
export function writeFileStep(path: string, content: string, mode = '0644'): Step {
  const dir = path.replace(/\/[^/]*$/, '') || '/';
  const base = path.slice(dir.length).replace(/^\//, '');
  const cmd =
    sh`mkdir -p ${dir} && t=$(mktemp ${`${dir}/.${base}.XXXXXX`}) && ` +
    sh`{ cat > "$t" && chmod ${mode} "$t" && mv -f "$t" ${path}; } || { rm -f "$t"; exit 1; }`;
  return { cmd, stdin: content, label: `write ${path}` };
}

/** A step that removes a file (no error when it is already gone). */
export function removeFileStep(path: string): Step {
  return { cmd: sh`rm -f ${path}`, label: `remove ${path}` };
}
