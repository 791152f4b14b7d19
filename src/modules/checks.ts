/**
 * Helpers for the modules' `check` hooks: each param that ends up in a file or a command is run through the
 * grammar of that place (src/grammar) before any host is contacted. A value of the wrong type is skipped
 * here, since the schema check next to this one already reports it.
 */
import type { ParamIssue } from '../types.js';
import { absolutePath, accountName, controlChar, unixMode, type Check } from '../grammar/index.js';

export class ParamChecks {
  readonly issues: ParamIssue[] = [];

  /** Check `value` (when it is text or a number) with `check`; an issue reads `"value" reason`. */
  field(field: string, value: unknown, check: Check): this {
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
    if (typeof value !== 'string') return this;
    const why = check(value);
    if (why) this.issues.push({ field, message: `${JSON.stringify(value)} ${why}` });
    return this;
  }

  /** Every string of a list (or a single value), each under `field[i]`. */
  each(field: string, value: unknown, check: Check): this {
    if (Array.isArray(value)) value.forEach((v, i) => this.field(`${field}[${i}]`, v, check));
    else this.field(field, value, check);
    return this;
  }

  add(field: string, message: string): this {
    this.issues.push({ field, message });
    return this;
  }
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A file's path (under `field`), mode, owner and group: what every module that manages a file takes. */
export function fileChecks(field: string, p: { path?: unknown; mode?: unknown; owner?: unknown; group?: unknown }): ParamChecks {
  return new ParamChecks()
    .field(field, p.path, absolutePath)
    .field('mode', p.mode, unixMode)
    .field('owner', p.owner, accountName)
    .field('group', p.group, accountName);
}

/** dest, mode, owner and group of the modules that write a file (copy, template). */
export function writeChecks(p: { dest?: unknown; mode?: unknown; owner?: unknown; group?: unknown }): ParamIssue[] {
  return fileChecks('dest', { ...p, path: p.dest }).issues;
}

/** chdir, creates and removes of command and shell: paths that are tested or entered on the host. */
export function guardChecks(p: { chdir?: unknown; creates?: unknown; removes?: unknown }): ParamIssue[] {
  return new ParamChecks()
    .field('chdir', p.chdir, absolutePath)
    .field('creates', p.creates, oneLine)
    .field('removes', p.removes, oneLine).issues;
}

const oneLine: Check = (v) => (v ? controlChar(v) : 'is empty');
