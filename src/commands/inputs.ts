import { ConfigError, collectIssues, sortIssues, type ConfigIssue } from '../errors.js';
import { readPlaybook } from '../playbook/load.js';
import type { Playbook } from '../playbook/types.js';
import { precheckIssues } from '../engine/precheck.js';
import { Redactor } from '../engine/redact.js';
import type { Vars } from '../types.js';
import { flagIssues, keyFileIssues, limitIssues, lvsStateIssues, playPatternIssues, renderPlayHosts, varsOverrideIssues } from './input-checks.js';
import { checkInventoryExists, defaultInventory, parseExtraVars, splitList } from './common.js';
import { readOpenInventory, type OpenedInventory } from './inventory-view.js';
import { CLUSTER_VIEW_NAMES } from '../lvs/model/index.js';

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
  user?: string;
  privateKey?: string;
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

/** Up to how many hosts the tasks are still checked against an inventory that has problems of its own. */
const PRECHECK_BROKEN_INVENTORY_MAX = 500;

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
  // Inventory and cluster model loaded cleanly: the checks against the cluster's hosts and groups can run.
  const loaded = opened && issues.length === before ? opened : undefined;
  const playbook = readPlaybook(playbookFile, issues);
  const parsedExtra = collectIssues(issues, () => parseExtraVars(flags.extraVars ?? []));
  const extraVars = parsedExtra ?? {};
  redactor.addFromVars(extraVars);
  const tags = splitList(flags.tags);
  const skipTags = splitList(flags.skipTags);
  if (loaded) issues.push(...limitIssues(loaded, flags.limit));
  if (playbook && parsedExtra) renderPlayHosts(playbook, extraVars, issues);
  if (loaded && parsedExtra) issues.push(...lvsStateIssues(loaded, extraVars));
  if (playbook) issues.push(...playPatternIssues(playbook, loaded));
  if (parsedExtra) issues.push(...varsOverrideIssues(playbook, extraVars));
  if (loaded && playbook) issues.push(...keyFileIssues(loaded, playbook, flags.limit));
  // Every task on every host, also when the inventory has problems (a cluster-sized one: for a generated
  // inventory of thousands of hosts that is slow, and its problems are usually one mistake repeated), but not
  // when the extra vars are broken (every variable they define would be reported undefined). With a broken
  // cluster model the names it gives every host (lvs_director, ...) are left alone: its problem is above.
  const modelFailed = Boolean(opened?.clusterFile && !opened.cluster);
  const checkTasks = opened && (!opened.inventoryFailed || opened.view.hosts().length <= PRECHECK_BROKEN_INVENTORY_MAX);
  if (opened && checkTasks && playbook && parsedExtra) {
    const runtimeNames = modelFailed ? CLUSTER_VIEW_NAMES : [];
    const fallbackHosts = modelFailed ? opened.view.hosts() : undefined;
    const limit = loaded ? flags.limit : undefined;
    for (const i of precheckIssues({ inventory: opened.view, playbook, extraVars, limit, tags, skipTags, runtimeNames, fallbackHosts })) issues.push(i);
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

