import { readInputText } from '../config/read.js';
import type { Connection, Vars } from '../types.js';
import { ConfigError, ExitCode } from '../errors.js';
import { runProbe } from '../engine/probe.js';
import { Redactor } from '../engine/redact.js';
import { connector } from '../engine/connect.js';
import { formatDrift, verifyDirectorOffline } from '../lvs/ipvs/index.js';
import { desiredTable, type ClusterModel } from '../lvs/model/index.js';
import { verifyStage, type VerifyDetails } from '../lvs/verify/stage.js';
import { palette, wantsColor } from '../report/format.js';
import { verifyLines } from '../report/verify.js';
import { checkInventoryExists, LAB_INVENTORY } from './common.js';
import { openInventory, type OpenedInventory } from './inventory-view.js';
import { limitIssues } from './input-checks.js';
import { asInputError } from './ipvsadm.js';

/**
 * `lvsible verify` on its own: every host of the cluster connected at once, each read with one probe, the
 * cluster judged by the same stage `apply` runs (src/lvs/verify/stage.ts); a VRRP re-read reuses the
 * connection. One connection and one round trip per host when nothing is unsettled.
 */
export async function verifyCluster(
  opened: OpenedInventory,
  opts: { limit?: string; connect: (host: string, vars: Vars) => Promise<Connection>; redactor: Redactor },
): Promise<{ drift: boolean; report: unknown; details: VerifyDetails }> {
  const allowed = opts.limit ? new Set(opened.view.resolve(opts.limit).hosts) : undefined;
  const stage = verifyStage(opened.cluster!, (h) => opened.view.hostVars(h), allowed);
  const conns = new Map<string, Connection>();
  const states = new Map<string, unknown>();
  const errors = new Map<string, string>();
  try {
    await Promise.all(
      stage.hosts.map(async (host) => {
        try {
          const conn = await opts.connect(host, opened.view.hostVars(host));
          conns.set(host, conn);
          const r = stage.read(host);
          states.set(host, await runProbe(conn, r.probe, r.as));
        } catch (e) {
          errors.set(host, (e as Error).message);
        }
      }),
    );
    const v = await stage.judge(states, errors, (host, probe) => {
      const conn = conns.get(host);
      if (!conn) return Promise.reject(new Error(`${host}: not connected`));
      return runProbe(conn, probe, stage.readAs(host));
    });
    return { drift: v.drift, report: opts.redactor.deep(v.report), details: opts.redactor.deep(v.details as VerifyDetails) };
  } finally {
    await Promise.allSettled([...conns.values()].map((c) => c.close()));
  }
}

export async function verifyCommand(flags: {
  inventory?: string[];
  cluster?: string;
  limit?: string;
  ipvsadmOutput?: string;
  director?: string;
  json?: boolean;
}): Promise<number> {
  const paths = flags.inventory?.length ? flags.inventory : [LAB_INVENTORY];
  checkInventoryExists(paths);
  const redactor = new Redactor();
  const opened = openInventory(paths, { cluster: flags.cluster, redactor });
  const limitProblems = limitIssues(opened, flags.limit);
  if (limitProblems.length) throw new ConfigError(limitProblems);
  if (!opened.cluster) {
    process.stderr.write(`error: no cluster model: put cluster.yml in the inventory directory or pass --cluster FILE\n`);
    return ExitCode.error;
  }
  if (flags.ipvsadmOutput) return verifyOffline(opened.cluster, flags.ipvsadmOutput, flags.director, Boolean(flags.json));
  const v = await verifyCluster(opened, { limit: flags.limit, connect: connector(), redactor });
  process.stdout.write(flags.json ? `${JSON.stringify(v.report, null, 2)}\n` : `${verifyLines(v.details, palette(wantsColor(process.stdout))).join('\n')}\n\n`);
  return v.drift ? ExitCode.drift : ExitCode.ok;
}

function verifyOffline(model: ClusterModel, file: string, director: string | undefined, json: boolean): number {
  const host = director ?? (model.directors.length === 1 ? model.directors[0] : undefined);
  if (!host) {
    process.stderr.write(`error: the model has ${model.directors.length} directors (${model.directors.join(', ')}): say which with --director\n`);
    return ExitCode.error;
  }
  let drift: ReturnType<typeof verifyDirectorOffline>;
  try {
    drift = verifyDirectorOffline(desiredTable(model, host), readInputText(file));
  } catch (e) {
    throw asInputError(e, file);
  }
  if (json) process.stdout.write(`${JSON.stringify({ director: host, drift }, null, 2)}\n`);
  else {
    for (const d of drift) process.stdout.write(`✗ ${formatDrift(d)}\n`);
    process.stdout.write(drift.length ? `drift: ${drift.length} difference(s) on ${host}\n` : `verified: ${file} matches the model for ${host}\n`);
  }
  return drift.length ? ExitCode.drift : ExitCode.ok;
}
