import { ExitCode } from '../errors.js';
import { runPlaybook, type RunOptions } from '../engine/run.js';
import { connector } from '../engine/connect.js';
import { createReporter } from '../report/index.js';
import { loadRunInputs, type RunFlags } from './inputs.js';
import { connectionOverrides } from './input-checks.js';
import type { OpenedInventory } from './inventory-view.js';
import { verifyCluster } from './verify.js';
import { realserverHosts } from '../lvs/model/index.js';
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
}

/**
 * `apply` and `plan` are one pipeline: load and check everything (no connection on bad input), then read
 * and plan every host; `apply` goes on to execute and verify. `plan` is `apply --check` with an exit code
 * that says whether anything is pending (2), like `terraform plan -detailed-exitcode`.
 */
export async function applyCommand(playbookFile: string, flags: ApplyFlags, mode: 'apply' | 'plan'): Promise<number> {
  const check = mode === 'plan' || Boolean(flags.check);
  const { opened, playbook, extraVars, redactor, forks, connectTimeoutMs, tags, skipTags } = loadRunInputs(playbookFile, flags);
  const reporter = createReporter({ json: Boolean(flags.json), check, diff: Boolean(flags.diff), verbose: Boolean(flags.verbose) });
  for (const w of opened.warnings) reporter.onEvent({ type: 'warning', message: w });

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
  };
  const result = await runPlaybook(opts);
  let drift = false;
  // lvs_state=absent tears (part of) the cluster down: comparing those hosts with the model would report the
  // removal as drift (exit 3) after it worked.
  const removed = opened.cluster ? hostsBeingRemoved(opened, extraVars, flags.limit) : [];
  const removing = removed.length > 0;
  if (removing && !check) {
    const named = removed.length > 6 ? `${removed.slice(0, 6).join(', ')} and ${removed.length - 6} more` : removed.join(', ');
    reporter.onEvent({ type: 'warning', message: `verify skipped: lvs_state=absent removes ${named} from the cluster the model declares` });
  }
  // Verify only what converged: a failed or unreachable host already says what is wrong.
  const verify = !check && opened.cluster && !removing && flags.verify !== false && !result.failed.length && !result.unreachable.length;
  if (verify) {
    const v = await verifyCluster(opened, { limit: flags.limit, connect: opts.connect, redactor });
    drift = v.drift;
    if (flags.json) reporter.onEvent({ type: 'verify', drift, report: v.report });
    else {
      await reporter.finish();
      process.stdout.write(v.text);
    }
  }
  if (!verify || flags.json) await reporter.finish();

  if (result.failed.length) return ExitCode.error;
  if (result.unreachable.length) return ExitCode.unreachable;
  if (drift) return ExitCode.drift;
  if (check && result.changed && (mode === 'plan' || flags.detailedExitcode)) return ExitCode.changesPending;
  return ExitCode.ok;
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
