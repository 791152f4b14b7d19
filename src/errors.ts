import { isAbsolute, relative } from 'node:path';

/** Where a problem is: a file, a line and column (1-based), and the field inside the document. */
export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
  /** Dotted path of the field, e.g. `plays[0].tasks[2].sysctl.value`. */
  field?: string;
}

/** A file as the operator would type it: relative to where they stand when it is below it, else as it is. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function formatLocation(loc: SourceLocation): string {
  let s = displayPath(loc.file);
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.col !== undefined) s += `:${loc.col}`;
  if (loc.field) s += ` (${loc.field})`;
  return s;
}

/** A mistake in the operator's input. Collected, all reported at once, and nothing connects. */
export interface ConfigIssue extends SourceLocation {
  message: string;
}

/**
 * Files in the order they were first named (the command line, then the inventory, the cluster, the playbook),
 * top to bottom within a file: the order an operator reads and fixes them in.
 */
export function sortIssues<T extends ConfigIssue>(issues: T[]): T[] {
  const order = new Map<string, number>();
  for (const i of issues) if (!order.has(i.file)) order.set(i.file, order.size);
  return [...issues].sort((a, b) => order.get(a.file)! - order.get(b.file)! || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/** Run a loading step and keep its problems with the others instead of stopping at the first failing file. */
export function collectIssues<T>(issues: ConfigIssue[], step: () => T): T | undefined {
  try {
    return step();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const i of e.issues) issues.push(i); // a loop: a spread of 100k+ issues overflows the stack
    return undefined;
  }
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${formatLocation(i)}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** A command that failed on a host: says what ran, how it ended, and the tail of what it printed. */
export class RemoteCommandError extends Error {
  constructor(
    readonly host: string,
    readonly label: string,
    readonly code: number,
    readonly stderr: string,
    readonly stdout = '',
  ) {
    const tail = (stderr || stdout).trim().split('\n').slice(-8).join('\n');
    super(`${host}: ${label} exited ${code}${tail ? `:\n${tail}` : ''}`);
    this.name = 'RemoteCommandError';
  }
}

/** The host could not be reached or the connection dropped: it is "unreachable" in the recap. */
export class UnreachableError extends Error {
  constructor(readonly host: string, message: string) {
    super(`${host}: ${message}`);
    this.name = 'UnreachableError';
  }
}

/** Exit codes, documented in README.md. cli.ts is the only place that maps errors onto them. */
export const ExitCode = {
  ok: 0,
  error: 1,
  /** `plan` (and `apply --check --detailed-exitcode`): changes are pending. */
  changesPending: 2,
  /** `verify`: the live state drifted from the declared one. */
  drift: 3,
  /** At least one host was unreachable (and none failed otherwise). */
  unreachable: 4,
} as const;
