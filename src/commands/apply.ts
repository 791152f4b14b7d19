import { ConfigError, ExitCode } from '../errors.js';
import { runPlaybook, type RunOptions } from '../engine/run.js';
import { connector } from '../engine/connect.js';
import { createReporter } from '../report/index.js';
import { loadRunInputs, type RunFlags } from './inputs.js';
import { COMMAND_LINE, connectionOverrides } from './input-checks.js';
import { defaultInventory } from './common.js';
import type { OpenedInventory } from './inventory-view.js';
import { planFileFor, readPlanFile, writePlanFile } from './plan-file.js';
import { realserverHosts } from '../lvs/model/index.js';
import { verifyStage } from '../lvs/verify/stage.js';
import { drainHostState } from '../lvs/drain/run-state.js';
import { rollingHooks, ROLLING_VAR } from './rolling.js';
import type { HostKeyChecking } from '../transport/known-hosts.js';
import type { Vars } from '../types.js';

export interface ApplyFlags extends RunFlags {
  check?: boolean;
  diff?: boolean;
  json?: boolean;
  verbose?: boolean;
  verify?: boolean;
  detailedExitcode?: boolean;
  hostKeyChecking?: HostKeyChecking;
  /** `plan --out FILE`: save the plan, for `apply FILE`. */
  out?: string;
}

/**
 * `apply` and `plan` are one pipeline: load and check everything (no connection on bad input), then read
 * and plan every host; `apply` goes on to execute and verify, on the same connections. `plan` is `apply --check`
 * with an exit code that says whether anything is pending (2), like `terraform plan -detailed-exitcode`.
 * `apply FILE`, FILE a saved plan: the same inputs, planned again before anything changes, applied only if the
 * hosts are still what the plan saw.
 */
export async function applyCommand(target: string, given: ApplyFlags, mode: 'apply' | 'plan'): Promise<number> {
  const saved = mode === 'apply' ? readPlanFile(target, given.extraVars) : undefined;
  if (saved) refuseReshaping(target, given);
  const flags: ApplyFlags = saved ? { ...given, ...saved.flags } : given;
  const playbookFile = saved ? saved.playbook : target;
  const check = mode === 'plan' || Boolean(flags.check);
  const { opened, playbook, extraVars, redactor, forks, connectTimeoutMs, tags, skipTags } = loadRunInputs(playbookFile, flags);
  const reporter = createReporter({ json: Boolean(flags.json), check, diff: Boolean(flags.diff), verbose: Boolean(flags.verbose) });
  for (const w of opened.warnings) reporter.onEvent({ type: 'warning', message: w });

  // lvs_state=absent tears (part of) the cluster down: comparing those hosts with the model would report the
  // removal as drift (exit 3) after it worked.
  const removed = opened.cluster ? hostsBeingRemoved(opened, extraVars, flags.limit) : [];
  if (removed.length && !check) {
    const named = removed.length > 6 ? `${removed.slice(0, 6).join(', ')} and ${removed.length - 6} more` : removed.join(', ');
    reporter.onEvent({ type: 'warning', message: `verify skipped: lvs_state=absent removes ${named} from the cluster the model declares` });
  }
  const verifying = !check && opened.cluster && !removed.length && flags.verify !== false;
  const allowed = flags.limit ? new Set(opened.view.resolve(flags.limit).hosts) : undefined;

  const rolling = playbook.plays.filter((p) => p.vars[ROLLING_VAR] !== undefined);
  for (const p of rolling.filter((p) => p.serial === undefined)) {
    reporter.onEvent({ type: 'warning', message: `play "${p.name}": ${ROLLING_VAR} drains batch by batch only with serial: without it the play runs on every host at once, nothing is drained` });
  }
  const opts: RunOptions = {
    inventory: opened.view,
    playbook,
    extraVars,
    limit: flags.limit,
    tags,
    skipTags,
    check,
    forks,
    connect: withOverrides(
      connector({ hostKeyChecking: flags.hostKeyChecking, user: flags.user, privateKeyPath: flags.privateKey, connectTimeoutMs }),
      connectionOverrides(extraVars),
    ),
    emit: reporter.onEvent,
    redactor,
    ...(verifying ? { verify: verifyStage(opened.cluster!, (h) => opened.view.hostVars(h), allowed) } : {}),
    ...(saved ? { expect: saved.plan } : {}),
    ...(opened.cluster ? { hostState: drainHostState(opened.cluster, (message) => reporter.onEvent({ type: 'warning', message })) } : {}),
    ...(opened.cluster && rolling.length ? { batch: rollingHooks({ ...flags, inventory: flags.inventory?.length ? flags.inventory : defaultInventory(playbookFile) }, reporter.onEvent) } : {}),
  };
  const result = await runPlaybook(opts);

  if (result.planDrift?.length) {
    for (const d of result.planDrift) reporter.onEvent({ type: 'warning', message: `${d.host}: ${d.what}: ${d.detail}` });
    reporter.onEvent({ type: 'warning', message: `${target}: the hosts are no longer what this plan saw: nothing was applied; make a new plan` });
  }
  let saveFailed = false;
  if (flags.out && mode === 'plan') {
    const incomplete = Object.entries(result.plan.hosts).filter(([, h]) => h.incomplete);
    if (incomplete.length || result.failed.length || result.unreachable.length) {
      saveFailed = true;
      reporter.onEvent({ type: 'warning', message: `plan not saved to ${flags.out}: ${incomplete.map(([h, p]) => `${h} (${p.incomplete})`).join(', ') || 'hosts failed'}` });
    } else writePlanFile(flags.out, planFileFor(playbookFile, flags, result.plan, redactor));
  }
  await reporter.finish();

  // A plan that no longer holds is refused, as terraform refuses a stale plan: an error, not drift of the model.
  if (result.failed.length || saveFailed || result.planDrift?.length) return ExitCode.error;
  if (result.unreachable.length) return ExitCode.unreachable;
  if (result.verify?.drift) return ExitCode.drift;
  if (check && result.changed && (mode === 'plan' || flags.detailedExitcode)) return ExitCode.changesPending;
  return ExitCode.ok;
}

/** A saved plan is applied with the options it was made with: one that would change what runs is refused. */
function refuseReshaping(file: string, given: ApplyFlags): void {
  const named = (['inventory', 'cluster', 'limit', 'tags', 'skipTags', 'forks', 'user', 'privateKey'] as const).filter((k) => given[k] !== undefined && !(Array.isArray(given[k]) && !(given[k] as string[]).length));
  if (named.length) {
    throw new ConfigError(named.map((k) => ({ file: COMMAND_LINE, field: k, message: `${file} is a saved plan: it runs with the options it was made with (give --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} to \`plan --out\` instead)` })));
  }
}

/**
 * The cluster's hosts (within --limit) on which this run removes the cluster: `lvs_state` resolves to absent
 * there, from `-e` (which wins, as in Ansible) or from the inventory (host_vars, group_vars).
 */
export function hostsBeingRemoved(opened: OpenedInventory, extraVars: Vars, limit?: string): string[] {
  const model = opened.cluster;
  if (!model) return [];
  const allowed = limit ? new Set(opened.view.resolve(limit).hosts) : undefined;
  const members = new Set([...model.directors, ...realserverHosts(model)]);
  return [...members].filter((h) => (!allowed || allowed.has(h)) && String(extraVars.lvs_state ?? opened.view.hostVars(h).lvs_state ?? 'present') === 'absent');
}

/** `-e ansible_host=...` points every connection of the run (the engine's and verify's) elsewhere, as in Ansible. */
function withOverrides(connect: RunOptions['connect'], overrides: Vars): RunOptions['connect'] {
  return Object.keys(overrides).length ? (host, vars) => connect(host, { ...vars, ...overrides }) : connect;
}
