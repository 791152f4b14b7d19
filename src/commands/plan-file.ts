import { renameSync, writeFileSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { readInputText } from '../config/read.js';
import type { RunPlan } from '../engine/plan.js';
import { MASK, type Redactor } from '../engine/redact.js';
import type { RunFlags } from './inputs.js';

/**
 * A saved plan (`lvsible plan --out FILE`): the command that made it, so `lvsible apply FILE` runs the same
 * inputs with nothing else given, and the run's plan (every host's changes and a fingerprint of each fact it
 * read). Like everything lvsible prints, it passed the redactor: no secret is in it in any form, not even a
 * hash (src/engine/reads.ts `fingerprint`). A `-e` value holding a secret is kept masked, and must be given
 * again to apply.
 */
export const PLAN_FORMAT = 'lvsible-plan/1';

/** The options a plan keeps: what decides which tasks run where, and how hosts are reached. */
const PLAN_FLAGS = ['inventory', 'cluster', 'limit', 'tags', 'skipTags', 'extraVars', 'forks', 'user', 'privateKey'] as const;

export interface PlanFile {
  format: typeof PLAN_FORMAT;
  created: string;
  /** Absolute, so that the plan applies from any directory. */
  playbook: string;
  flags: Pick<RunFlags, (typeof PLAN_FLAGS)[number]>;
  plan: RunPlan;
}

/** `file` as a saved plan, or undefined when it is not one (a playbook: loaded, and reported, as such). */
function parsePlanText(file: string): Partial<PlanFile> | undefined {
  let text: string;
  try {
    text = readInputText(file);
  } catch {
    return undefined;
  }
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const doc = JSON.parse(text) as Partial<PlanFile>;
    return doc.format === PLAN_FORMAT ? doc : undefined;
  } catch {
    return undefined;
  }
}

export function planFileFor(playbook: string, flags: RunFlags, plan: RunPlan, redactor: Redactor): PlanFile {
  const abs = (p?: string) => (p === undefined ? undefined : resolve(p));
  const kept = {
    ...(flags.inventory?.length ? { inventory: flags.inventory.map((p) => resolve(p)) } : {}),
    ...(flags.cluster ? { cluster: abs(flags.cluster) } : {}),
    ...(flags.limit ? { limit: flags.limit } : {}),
    ...(flags.tags ? { tags: flags.tags } : {}),
    ...(flags.skipTags ? { skipTags: flags.skipTags } : {}),
    // `@file` names a file: absolute, like the other paths.
    ...(flags.extraVars?.length ? { extraVars: flags.extraVars.map((e) => redactor.text(e.startsWith('@') ? `@${resolve(e.slice(1))}` : e)) } : {}),
    ...(flags.forks ? { forks: flags.forks } : {}),
    ...(flags.user ? { user: flags.user } : {}),
    ...(flags.privateKey ? { privateKey: abs(flags.privateKey) } : {}),
  };
  return { format: PLAN_FORMAT, created: new Date().toISOString(), playbook: resolve(playbook), flags: kept, plan: redactor.deep(plan) };
}

/** Written beside its final name and renamed over it: a reader never sees half a plan. */
export function writePlanFile(file: string, doc: PlanFile): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}

/**
 * `file` as a saved plan (undefined: it is a playbook), refusing (with the file and field) a plan that is not
 * whole. `-e` given to `apply FILE` replaces the saved ones, which is how a masked secret is supplied again.
 */
export function readPlanFile(file: string, extraVars?: string[]): PlanFile | undefined {
  const doc = parsePlanText(file);
  if (!doc) return undefined;
  const problems: { field: string; message: string }[] = [];
  if (typeof doc.playbook !== 'string') problems.push({ field: 'playbook', message: 'must be the playbook path' });
  if (!doc.flags || typeof doc.flags !== 'object') problems.push({ field: 'flags', message: 'must be the options the plan was made with' });
  if (!doc.plan || typeof doc.plan !== 'object' || typeof doc.plan.hosts !== 'object') problems.push({ field: 'plan.hosts', message: 'must be the plan of every host' });
  // A plan file is input like any other: a hand-edited option of the wrong shape is refused here, before it runs.
  for (const [k, v] of Object.entries(doc.flags ?? {})) {
    const lists = k === 'inventory' || k === 'extraVars';
    const ok = lists ? Array.isArray(v) && v.every((x) => typeof x === 'string') : typeof v === 'string';
    if (!ok || !PLAN_FLAGS.includes(k as (typeof PLAN_FLAGS)[number])) problems.push({ field: `flags.${k}`, message: PLAN_FLAGS.includes(k as (typeof PLAN_FLAGS)[number]) ? `must be ${lists ? 'a list of strings' : 'a string'}` : 'is not an option a plan keeps' });
  }
  const saved = doc.flags?.extraVars ?? [];
  if (!extraVars?.length && saved.some((e) => e.includes(MASK))) {
    problems.push({ field: 'flags.extraVars', message: 'the plan was made with a secret in -e, which a plan never holds: give the same -e again to apply it' });
  }
  if (problems.length) throw new ConfigError(problems.map((p) => ({ file, ...p })));
  return { ...(doc as PlanFile), flags: { ...doc.flags!, ...(extraVars?.length ? { extraVars } : {}) } };
}
