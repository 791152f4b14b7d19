import { describe, expect } from 'vitest';
import { ipvs, timeoutsUnitText, TIMEOUTS_UNIT, type IpvsState } from '../../../src/modules/ipvs.js';
import { rulesFileText } from '../../../src/lvs/ipvs/persist.js';
import { tableFromParams, type IpvsParams } from '../../../src/lvs/ipvs/schema.js';
import { frame } from '../../../src/facts/index.js';
import { testContext } from '../../helpers/converge.js';
import { cap, fileOut, ipvsOut, unitOut } from '../../helpers/facts.js';
import { planTable } from '../../helpers/table.js';

const ctx = testContext('');
const base: IpvsParams = {
  services: [{ kind: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr', destinations: [{ address: '10.0.1.1', port: 80, method: 'nat' }] }],
  timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
};
/** ipvsadm < 1.31 output for a director whose table is `save` (-Sn lines), as the lab's ipvsadm prints it. */
const listing = (save: string, weight = 1) =>
  cap('tuninfo', 'ipvsadm: unrecognized option', 2) +
  cap('save', save) +
  cap('list', `IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.0.0.1:80 rr\n  -> 10.0.1.1:80                  Masq    ${weight}      0          0\n`) +
  cap('thresholds', 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn\n  -> RemoteAddress:Port\nTCP  10.0.0.1:80 rr\n  -> 10.0.1.1:80                  0          0          0          0\n') +
  cap('timeout', 'Timeout (tcp tcpfin udp): 900 120 300\n');
const SAME = listing('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n');
const rules = rulesFileText(tableFromParams(base));
const persisted = (live: string, over: Record<string, string> = {}) =>
  frame({
    live: ipvsOut(live),
    rules: fileOut(rules, { shipped: false }),
    defaults: fileOut('AUTO="true"\nDAEMON="none"\n'),
    timeoutsUnit: unitOut(timeoutsUnitText(base.timeouts!), { 'multi-user.target': `/etc/systemd/system/${TIMEOUTS_UNIT}` }),
    ...over,
  });

describe('ipvs module table', () => {
  planTable<IpvsParams, IpvsState>(ipvs, ctx, [
    { why: 'table, timeouts, rules file, AUTO and boot unit all in place', params: base, out: persisted(SAME), noop: 'IPVS table already as declared (1 service, 1 destination), persisted in /etc/ipvsadm.rules and loaded at boot' },
    { why: 'not persisted', params: { ...base, persist: false }, out: frame({ live: ipvsOut(SAME) }), noop: 'IPVS table already as declared (1 service, 1 destination)' },
    {
      why: 'purge false leaves a keepalived service alone',
      params: { ...base, persist: false, purge: false },
      out: frame({ live: ipvsOut(listing('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n-A -t 10.9.9.9:443 -s rr\n')) }),
      noop: 'IPVS table already as declared (1 service, 1 destination; undeclared services left alone)',
    },
    { why: 'a weight drifted: one -R batch, no flush', params: { ...base, persist: false }, out: frame({ live: ipvsOut(listing('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 5\n', 5)) }), changes: [['IPVS: ~1 destination', [expect.stringContaining('ipvsadm -R')]]] },
    { why: 'ip_vs not loaded: the whole table, from nothing', params: { ...base, persist: false }, out: frame({ live: ipvsOut('@unloaded 0\n') }), changes: [['IPVS: +1 service, +1 destination']] },
    { why: 'rules file differs (its bytes were shipped)', params: base, out: persisted(SAME, { rules: fileOut('# old\n') }), changes: [['update /etc/ipvsadm.rules (IPVS rules loaded at boot)']] },
    { why: 'AUTO off in /etc/default/ipvsadm', params: base, out: persisted(SAME, { defaults: fileOut('AUTO="false"\n') }), changes: [['load IPVS rules at boot: AUTO="true" in /etc/default/ipvsadm']] },
  ]);
});
