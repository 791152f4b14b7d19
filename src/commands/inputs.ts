import { existsSync, statSync } from 'node:fs';
import { ConfigError, collectIssues, sortIssues, type ConfigIssue } from '../errors.js';
import { readPlaybook } from '../playbook/load.js';
import type { Playbook } from '../playbook/types.js';
import { precheckIssues } from '../engine/precheck.js';
import { Redactor } from '../engine/redact.js';
import { patternProblems } from '../inventory/index.js';
import type { Vars } from '../types.js';
import { checkInventoryExists, defaultInventory, parseExtraVars, splitList } from './common.js';
import { readOpenInventory, type OpenedInventory } from './inventory-view.js';

/** The command-line options every run takes, as commander hands them over (strings, unchecked). */
export interface RunFlags {
  inventory?: string[];
  cluster?: string;
  limit?: string;
  tags?: string;
  skipTags?: string;
  extraVars?: string[];
  forks?: string;
  timeout?: string;
}

/** Everything a run needs, loaded and checked: nothing in here can still be refused by a host-independent check. */
export interface RunInputs {
  opened: OpenedInventory;
  playbook: Playbook;
  extraVars: Vars;
  redactor: Redactor;
  forks?: number;
  connectTimeoutMs?: number;
  tags: string[];
  skipTags: string[];
}

/** Where command-line problems are reported: there is no file, the option is the field. */
export const COMMAND_LINE = 'command line';

/**
 * Load and check every input of a run (options, inventory, cluster model, playbook, extra vars, then every
 * task rendered for every host it targets) and report every problem in one list, ordered by file and line.
 * A later step runs even when an earlier one failed, as far as it can without the earlier one's result, so an
 * operator never fixes mistakes in rounds. Nothing here opens a connection.
 */
export function loadRunInputs(playbookFile: string, flags: RunFlags): RunInputs {
  const issues: ConfigIssue[] = [...flagIssues(flags)];
  const redactor = new Redactor();
  const invPaths = flags.inventory?.length ? flags.inventory : defaultInventory(playbookFile);
  const before = issues.length;
  collectIssues(issues, () => checkInventoryExists(invPaths));
  // With an inventory source missing, what loads would be a different inventory than the operator named.
  const opened = issues.length > before ? undefined : readOpenInventory(invPaths, issues, { cluster: flags.cluster, redactor });
  const inventoryOk = issues.length === before;
  const playbook = readPlaybook(playbookFile, issues);
  const parsedExtra = collectIssues(issues, () => parseExtraVars(flags.extraVars ?? []));
  const extraVars = parsedExtra ?? {};
  redactor.addFromVars(extraVars);
  const tags = splitList(flags.tags);
  const skipTags = splitList(flags.skipTags);
  if (opened && inventoryOk) issues.push(...limitIssues(opened, flags.limit));
  if (playbook) {
    for (const play of playbook.plays) for (const p of patternProblems(play.hosts)) issues.push({ ...play.hostsLoc, message: p });
  }
  // Without the extra vars every variable they define would be reported undefined: noise, not news.
  if (opened && inventoryOk && playbook && parsedExtra) {
    issues.push(...precheckIssues({ inventory: opened.view, playbook, extraVars, limit: flags.limit, tags, skipTags }));
  }
  if (issues.length) throw new ConfigError(sortIssues(issues).map((i) => ({ ...i, message: redactor.text(i.message) })));
  return {
    opened: opened!,
    playbook: playbook!,
    extraVars,
    redactor,
    forks: flags.forks === undefined ? undefined : Number(flags.forks),
    connectTimeoutMs: flags.timeout === undefined ? undefined : Number(flags.timeout) * 1000,
    tags,
    skipTags,
  };
}

/** Numbers from the command line: a typo must not become NaN, 0 forks (nothing runs) or a timer that never fires. */
export function flagIssues(flags: { forks?: string; timeout?: string }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (field: string, message: string) => issues.push({ file: COMMAND_LINE, field, message });
  if (flags.forks !== undefined && !(/^[0-9]+$/.test(flags.forks.trim()) && Number(flags.forks) >= 1 && Number(flags.forks) <= 10_000)) {
    at('--forks', `must be a whole number from 1 to 10000, got ${JSON.stringify(flags.forks)}`);
  }
  if (flags.timeout !== undefined) {
    const t = flags.timeout.trim();
    const n = Number(t);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(t) || !(n > 0) || n > 86_400) at('--timeout', `must be a number of seconds above 0 and at most 86400, got ${JSON.stringify(flags.timeout)}`);
  }
  return issues;
}

/** `--limit` is a promise to touch only those hosts: one that cannot be read, or that matches nothing, stops the run. */
export function limitIssues(opened: OpenedInventory, limit: string | undefined): ConfigIssue[] {
  if (limit === undefined) return [];
  const at = (message: string): ConfigIssue => ({ file: COMMAND_LINE, field: '--limit', message });
  if (limit.startsWith('@')) {
    const file = limit.slice(1);
    if (!existsSync(file) || !statSync(file).isFile()) return [at(`limit file ${JSON.stringify(file)} not found`)];
  } else {
    const problems = patternProblems(limit);
    if (problems.length) return problems.map(at);
  }
  const { hosts } = opened.view.resolve(limit);
  if (!hosts.length) return [at(`${JSON.stringify(limit)} matches no host in the inventory, so there is nothing to run on`)];
  return [];
}
