import { posix } from 'node:path';
import type { ExecResult, ModuleContext, Plan, Probe } from '../types.js';
import { quote } from '../transport/quote.js';
import { combine, mapFact, pathExistsFact } from '../facts/index.js';
import { chompLines, defineModule, noop, rooted } from './util.js';
import { splitWords } from '../transport/quote.js';
import { guardChecks } from './checks.js';
/** Re-exported: the splitter lives beside quote(), its inverse. */
export { splitWords };

/** Params shared by `command` and `shell` (argv is command-only). */
export interface CommandParams {
  free_form?: string;
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  changed_when?: boolean;
}

export interface CommandState {
  createsExists: boolean;
  removesExists: boolean;
}


export const commonSchema = {
  cmd: { type: 'string', minLength: 1, description: 'The command line (the same as the free form `command: ...`).' },
  free_form: { type: 'string', minLength: 1, description: 'The command line, when the task is written `MODULE: some command`.' },
  chdir: { type: 'string', minLength: 1, description: 'Change into this directory before running.' },
  creates: { type: 'string', minLength: 1, description: 'Path; when it exists, the command is not run (it already did its work). Relative paths are relative to chdir.' },
  removes: { type: 'string', minLength: 1, description: 'Path; when it does not exist, the command is not run. Relative paths are relative to chdir.' },
  stdin: { type: 'string', description: 'Text fed to the command on standard input.' },
  changed_when: { type: 'boolean', description: 'false: the command still runs, but the task reports ok rather than changed.' },
} as const;

/** The line the host runs, without chdir: argv or free form split into quoted words, or the shell script. */
export type LineBuilder = (p: CommandParams) => { line: string; shown: string };

/** A relative creates/removes path is relative to chdir, as in Ansible. */
function guardPath(p: CommandParams, path: string, root: string): string {
  return rooted(root, p.chdir && !path.startsWith('/') ? posix.join(p.chdir, path) : path);
}

export function readGuards(p: CommandParams, ctx: ModuleContext): Probe<CommandState> {
  const read = combine({
    creates: p.creates ? pathExistsFact(guardPath(p, p.creates, ctx.root)) : undefined,
    removes: p.removes ? pathExistsFact(guardPath(p, p.removes, ctx.root)) : undefined,
  });
  return mapFact(read, (s) => ({ createsExists: !!s.creates, removesExists: !!s.removes }));
}

export function planRun(p: CommandParams, cur: CommandState, ctx: ModuleContext, build: LineBuilder): Plan {
  if (p.creates && cur.createsExists) return noop(`${p.creates} exists (creates): not run`);
  if (p.removes && !cur.removesExists) return noop(`${p.removes} does not exist (removes): not run`);
  const { line, shown } = build(p);
  const cmd = p.chdir ? `cd ${quote(rooted(ctx.root, p.chdir))} && ${line}` : line;
  return [{ summary: `run: ${shown}`, steps: [{ cmd, label: shown, ...(p.stdin !== undefined ? { stdin: p.stdin } : {}) }] }];
}

/** What `register:` holds, Ansible-shaped. No results: a creates/removes guard skipped the run. */
export function commandResult(results: ExecResult[]): Record<string, unknown> {
  const r = results[results.length - 1];
  if (!r) return { rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [], msg: 'skipped: creates/removes condition met' };
  const out = chompLines(r.stdout);
  const err = chompLines(r.stderr);
  return { rc: r.code, stdout: out.text, stderr: err.text, stdout_lines: out.lines, stderr_lines: err.lines };
}

function commandLine(p: CommandParams): { line: string; shown: string } {
  const words = p.argv ?? splitWords(p.cmd ?? p.free_form ?? '');
  if (!words.length) throw new Error('command: nothing to run (give free form, cmd or argv)');
  const line = words.map((w) => quote(w)).join(' ');
  return { line, shown: line };
}

export const command = defineModule<CommandParams, CommandState>({
  name: 'command',
  alwaysRuns: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...commonSchema,
      argv: {
        type: 'array',
        items: { type: 'string' },
        minItems: 1,
        description: 'The program and its arguments as a list; each is passed as one word, exactly as written.',
      },
    },
    anyOf: [{ required: ['free_form'] }, { required: ['cmd'] }, { required: ['argv'] }],
  },
  // The command line is split into words here, not by a shell: an open quote can be seen before connecting.
  check: (p) => {
    const issues = guardChecks(p);
    const text = p.argv ? undefined : (p.cmd ?? p.free_form);
    const field = p.cmd !== undefined ? 'cmd' : 'free_form';
    if (typeof text === 'string') {
      try {
        if (!splitWords(text).length) issues.push({ field, message: 'nothing to run' });
      } catch (e) {
        issues.push({ field, message: (e as Error).message });
      }
    }
    return issues;
  },
  read: readGuards,
  plan: (p, cur, ctx) => planRun(p, cur, ctx, commandLine),
  registerResult: commandResult,
});
