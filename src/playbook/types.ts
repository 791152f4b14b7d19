import type { SourceLocation } from '../errors.js';
import type { PathSegment, SourceDoc } from '../config/source.js';
import type { Vars } from '../types.js';

/** A task as loaded: nothing rendered yet; templates are rendered per host at run time. */
export interface Task {
  name: string;
  /** Module name after alias resolution (`ansible.builtin.apt` -> `package`), or a built-in action. */
  module: string;
  args: unknown;
  when?: unknown;
  /** How many of `when`'s conditions came from a role or an include (they come first). */
  whenInherited: number;
  loop?: unknown;
  loopVar: string;
  register?: string;
  notify: string[];
  /** Handler topics this handler answers to, besides its name. */
  listen: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  ignoreErrors: boolean;
  changedWhen?: unknown;
  failedWhen?: unknown;
  noLog: boolean;
  vars: Vars;
  /** Where relative `src:`/templates resolve: the role's directory or the playbook's. */
  baseDir: string;
  role?: string;
  loc: SourceLocation;
  /** Where each task keyword is written (`when`, `loop`, `notify`, the module...): errors point there. */
  keyLocs: Record<string, SourceLocation>;
  /** Where each task variable (or role parameter) is written. */
  varLocs: Record<string, SourceLocation>;
  /** The document and path of the module's arguments, so a rendered parameter's problem points at where it is written. */
  argsAt: { doc: SourceDoc; path: PathSegment[] };
}

export interface Play {
  name: string;
  hosts: string;
  vars: Vars;
  /** Where each play variable is written (`vars:` or a vars_files file). */
  varLocs: Record<string, SourceLocation>;
  roleDefaults: Vars;
  roleVars: Vars;
  become?: boolean;
  becomeUser?: string;
  gatherFacts: boolean;
  tasks: Task[];
  handlers: Task[];
  loc: SourceLocation;
  /** Where `hosts:` is written: a bad pattern is reported there. */
  hostsLoc: SourceLocation;
  /**
   * `serial` as written (an integer, `"30%"`, a list of them, or a template giving one): the play runs batch by
   * batch (src/engine/serial.ts, docs/serial.md). Absent: every host at once.
   */
  serial?: unknown;
  serialLoc?: SourceLocation;
  /** `max_fail_percentage` as written (a number, `"30%"`, or a template): per batch, strictly above stops the run. */
  maxFailPercentage?: unknown;
  maxFailLoc?: SourceLocation;
  /** `any_errors_fatal: true`: a failure on one host stops the play, and the run, on every host. */
  anyErrorsFatal?: boolean;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
}

/** What a play, role or import passes on to every task below it. */
export interface Inherited {
  tags: string[];
  when: unknown[];
  vars: Vars;
  /** Where each of `vars` is written (role parameters in the play). */
  varLocs?: Record<string, SourceLocation>;
  become?: boolean;
  becomeUser?: string;
  /** `no_log` of the play, role or import_tasks: hides every task below it. */
  noLog?: boolean;
}
