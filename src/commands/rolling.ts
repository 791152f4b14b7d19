import type { BatchHooks } from '../engine/batches.js';
import type { EngineEvent } from '../engine/events.js';
import type { Play } from '../playbook/types.js';
import { realserverHosts } from '../lvs/model/index.js';
import { resolveTargets } from '../lvs/drain/overlay.js';
import { prepare, putBack, takeOut, weightsRun, type DrainFlags, type Prepared } from './drain.js';

/**
 * Rolling deploys of a cluster's realservers: a play with `serial` and `lvs_rolling: true` in its vars takes
 * each batch's realservers out of every virtual service before the batch's tasks (drain, waiting for their
 * connections to end, up to `lvs_rolling_drain_timeout` seconds, 60 by default), and puts them back after,
 * once each answers on its RIP. A batch that fails, or a realserver that does not answer, stays drained and
 * stops the rollout there: the batches not run yet are untouched, so the rest of the cluster keeps serving.
 * Plain Ansible ignores the two vars, so the playbook stays an Ansible playbook.
 */

export const ROLLING_VAR = 'lvs_rolling';
export const ROLLING_TIMEOUT_VAR = 'lvs_rolling_drain_timeout';

const optedIn = (play: Play) => play.vars[ROLLING_VAR] === true || play.vars[ROLLING_VAR] === 'true';

export function rollingHooks(flags: Pick<DrainFlags, 'inventory' | 'cluster' | 'user' | 'privateKey' | 'hostKeyChecking'>, emit: (e: EngineEvent) => void): BatchHooks {
  let prepared: Prepared | undefined;
  const ctx = () => (prepared ??= prepare([], flags, 'drain'));
  const say = (message: string) => emit({ type: 'notice', message: `rolling: ${message}` });
  const quiet = (p: Prepared) => weightsRun(p, false, () => {}, () => {});
  const members = (hosts: string[]) => {
    const p = ctx();
    const rs = new Set(realserverHosts(p.model));
    return resolveTargets(p.model, hosts.filter((h) => rs.has(h))).targets;
  };
  return {
    async before(play, hosts, batch) {
      if (!optedIn(play)) return { ok: true };
      const targets = members(hosts);
      if (!targets.length) return { ok: true };
      const waitSec = Number(play.vars[ROLLING_TIMEOUT_VAR] ?? 60);
      const r = await takeOut(ctx(), targets, {
        reason: `rolling deploy: play "${play.name}" batch ${batch.number}/${batch.of}`,
        waitSec: Number.isFinite(waitSec) && waitSec >= 0 ? waitSec : 60,
        print: say,
        converge: quiet,
      });
      if (r.result.failed.length || r.result.unreachable.length) return { ok: false, message: `the drain failed on ${[...r.result.failed, ...r.result.unreachable].join(', ')}` };
      if (r.left.length) return { ok: false, message: `connections still open after ${r.seconds} s (${r.left.join('; ')}); ${targets.map((t) => t.name).join(', ')} stay drained` };
      say(`${targets.map((t) => t.name).join(', ')} drained in ${r.seconds} s`);
      return { ok: true };
    },
    async after(play, hosts, results) {
      if (!optedIn(play)) return { ok: true };
      const fine = hosts.filter((h) => results[h] === 'ok');
      const bad = hosts.filter((h) => results[h] !== 'ok');
      const back = members(fine);
      if (back.length) {
        try {
          const r = await putBack(ctx(), back, { print: say, converge: quiet });
          if (r.failed.length || r.unreachable.length) return { ok: false, message: `the restore failed on ${[...r.failed, ...r.unreachable].join(', ')}` };
        } catch (e) {
          return { ok: false, message: (e as Error).message };
        }
        say(`${back.map((t) => t.name).join(', ')} back in service`);
      }
      const kept = members(bad);
      // The batch's own failures are in the recap already: stop the rollout, fail no one else.
      if (kept.length) return { ok: false, fail: [], message: `${kept.map((t) => t.name).join(', ')} failed and stay drained (\`lvsible restore\` once fixed); the rest of the cluster is serving` };
      return { ok: true };
    },
  };
}
