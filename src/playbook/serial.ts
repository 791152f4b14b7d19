import { ConfigError, type SourceLocation } from '../errors.js';
import { hasTemplate, renderValue, TemplateError } from './template.js';
import { resolveScope } from './vars.js';
import type { Play } from './types.js';
import type { Vars } from '../types.js';

/*
 * A play's `serial`, `max_fail_percentage` and `any_errors_fatal`, as ansible-core runs them (checked against
 * ansible-core 2.14: lib/ansible/executor/playbook_executor.py `_get_serialized_batches`,
 * lib/ansible/utils/helpers.py `pct_to_int`, lib/ansible/plugins/strategy/linear.py, and by running
 * ansible-playbook: test/integration/serial-ansible.test.ts, docs/serial.md).
 */

/** One entry of `serial` as written (after templating): an integer, or a string `"3"`, `"30%"`. */
export type SerialEntry = number | string;

/** Where a batch stands in its play: batch `number` of `of`. */
export interface BatchInfo {
  number: number;
  of: number;
}

/** Python's `int(text)`: blanks around, a sign, digits with single underscores between them. */
const PY_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const pyInt = (s: string): number | undefined => (PY_INT.test(s) ? Math.trunc(Number(s.replace(/_/g, '').trim())) : undefined);

/**
 * Ansible's `pct_to_int(value, total)`: `"N%"` is `int(N / 100.0 * total)`, at least 1 (so `"0%"` is one host at a
 * time); anything else is `int(value)`. The float arithmetic is Python's (IEEE doubles, the same in JS):
 * `"29%"` of 100 hosts is 28, as in Ansible. Undefined when Python's int() would raise.
 */
export function serialSize(value: SerialEntry, total: number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (value.endsWith('%')) {
    const pct = pyInt(value.replace(/%/g, ''));
    return pct === undefined ? undefined : Math.trunc((pct / 100.0) * total) || 1;
  }
  return pyInt(value);
}

/**
 * `_get_serialized_batches`: the play's hosts (in inventory order) cut into batches. Each entry of the list sizes
 * one batch, the last one repeats; a size of 0 or less takes every host left; an empty list is one batch of all.
 */
export function splitBatches<T>(hosts: readonly T[], serial: readonly SerialEntry[]): T[][] {
  const list = serial.length ? serial : [-1];
  const left = [...hosts];
  const total = hosts.length;
  const batches: T[][] = [];
  let cur = 0;
  while (left.length) {
    const size = serialSize(list[cur]!, total);
    if (size === undefined) throw new Error(`serial: ${JSON.stringify(list[cur])} is not an integer or a percentage`);
    if (size <= 0) {
      batches.push(left.splice(0));
      break;
    }
    batches.push(left.splice(0, size));
    cur = Math.min(cur + 1, list.length - 1);
  }
  return batches;
}

/** `serial` as Ansible's `isa: list` reads it: absent/null is [], a scalar is a list of one. */
export function serialList(value: unknown): unknown[] {
  return value == null ? [] : Array.isArray(value) ? value : [value];
}

/** The problem with one `serial` entry, or undefined when Ansible accepts it. */
export function serialEntryProblem(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return undefined;
  if (typeof v === 'string' && serialSize(v, 1) !== undefined) return undefined;
  return `serial: ${JSON.stringify(v)} is neither an integer nor a percentage ("30%")`;
}

/** Ansible's `isa: percent`: every `%` removed from a string, then float(). Undefined when float() would raise. */
export function maxFailValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.includes('%') ? v.replace(/%/g, '') : v;
  return /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(s) ? Number(s) : undefined;
}

/** The problem with a `max_fail_percentage`, or undefined when it is a percentage from 0 to 100. */
export function maxFailProblem(v: unknown): string | undefined {
  const pct = maxFailValue(v);
  if (pct === undefined) return `max_fail_percentage: ${JSON.stringify(v)} is not a number or a percentage ("30%")`;
  if (pct < 0 || pct > 100) return `max_fail_percentage: ${JSON.stringify(v)} is not from 0 to 100`;
  return undefined;
}

/**
 * linear.py's rule, evaluated on each failure: the play stops when the hosts failed in this batch (unreachable
 * ones are not counted, `ignore_errors` ones neither) over the batch's size is strictly above the percentage.
 */
export function exceedsMaxFail(failed: number, batchSize: number, maxFailPercentage: number | undefined): boolean {
  return maxFailPercentage !== undefined && batchSize > 0 && failed / batchSize > maxFailPercentage / 100.0;
}

/** The variables a play keyword is templated with: the play's and the roles', and `-e` (no host's). */
function playKeywordVars(play: Play, extraVars: Vars): Vars {
  return resolveScope([play.roleDefaults, play.vars, play.roleVars, extraVars], { ansible_play_name: play.name }).vars;
}

const issue = (loc: SourceLocation | undefined, play: Play, message: string) => new ConfigError([{ ...(loc ?? play.loc), message }]);

function rendered(value: unknown, play: Play, extraVars: Vars, loc: SourceLocation | undefined, key: string): unknown {
  const templated = (v: unknown): boolean => (typeof v === 'string' ? hasTemplate(v) : Array.isArray(v) && v.some(templated));
  if (!templated(value)) return value;
  try {
    // A single `{{ expr }}` keeps its native type, so `serial: "{{ steps }}"` may give a list, as in Ansible.
    return renderValue(value, playKeywordVars(play, extraVars));
  } catch (e) {
    if (e instanceof TemplateError) throw issue(loc, play, `${key}: ${e.message}`);
    throw e;
  }
}

/** What a play's batches are run with, its templates rendered; a ConfigError (at the keyword) when Ansible would refuse them. */
export interface PlaySerial {
  /** undefined: no `serial` (one batch of every host, no batch headers). */
  serial?: SerialEntry[];
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
}

export function playSerial(play: Play, extraVars: Vars = {}): PlaySerial {
  const out: PlaySerial = { anyErrorsFatal: play.anyErrorsFatal ?? false };
  if (play.serial !== undefined) {
    const list = serialList(rendered(play.serial, play, extraVars, play.serialLoc, 'serial'));
    for (const v of list) {
      const problem = serialEntryProblem(v);
      if (problem) throw issue(play.serialLoc, play, problem);
    }
    out.serial = list as SerialEntry[];
  }
  if (play.maxFailPercentage !== undefined) {
    const v = rendered(play.maxFailPercentage, play, extraVars, play.maxFailLoc, 'max_fail_percentage');
    const problem = maxFailProblem(v);
    if (problem) throw issue(play.maxFailLoc, play, problem);
    out.maxFailPercentage = maxFailValue(v);
  }
  return out;
}
