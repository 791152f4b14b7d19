import type { HostStateHook } from '../../engine/run.js';
import { directorView, type ClusterModel } from '../model/index.js';
import { drainedModel, strayRecords } from './overlay.js';
import { describeRecord, drainedFact, type DrainRecord } from './state.js';

/**
 * What a run reads on each director with its host facts: the drains recorded there. A director with drained
 * realservers gets its `lvs_director` view from the drained model, so `apply` keeps their weight at 0 (the
 * IPVS table and keepalived.conf both come from the view) and `plan` shows no change for them, only a notice.
 */
export function drainHostState(model: ClusterModel, notify: (message: string) => void): HostStateHook {
  return {
    read: (host) => (model.directors.includes(host) ? drainedFact() : undefined),
    vars(host, state) {
      const records = state as DrainRecord[];
      if (!records.length) return {};
      const stray = new Set(strayRecords(model, records).map((r) => r.address));
      for (const r of records) {
        notify(
          stray.has(r.address)
            ? `${host}: ${describeRecord(r)}, but the model has no such realserver any more: \`lvsible restore ${r.address}\` removes the record`
            : `${host}: ${describeRecord(r)}: kept at weight 0 until \`lvsible restore ${r.host ?? r.address}\``,
        );
      }
      return { lvs_director: directorView(drainedModel(model, records.map((r) => r.address)), host) };
    },
  };
}
