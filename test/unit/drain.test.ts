import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answerChecks, recordStep, unrecordStep } from '../../src/commands/drain.js';
import { parseTable } from '../../src/lvs/ipvs/index.js';
import { find, parseKeepalivedConf, value } from '../../src/lvs/keepalived/parse.js';
import { renderKeepalivedConf } from '../../src/lvs/keepalived/render.js';
import { destCounts, remaining } from '../../src/lvs/drain/counts.js';
import { drainedModel, resolveTargets, strayRecords } from '../../src/lvs/drain/overlay.js';
import { drainHostState } from '../../src/lvs/drain/run-state.js';
import { describeRecord, drainedFact, parseDrained, recordText } from '../../src/lvs/drain/state.js';
import { desiredTable } from '../../src/lvs/model/index.js';
import { loadCluster } from '../../src/lvs/model/load.js';
import { clustersDir, dualStackInventory, labInventory } from '../fixtures/clusters/inventory.js';

const mixed = loadCluster(`${clustersDir}/mixed.yml`, labInventory());
const features = loadCluster(`${clustersDir}/features.yml`, dualStackInventory());
const tmp = mkdtempSync(join(tmpdir(), 'lvsible-drain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const shell = (script: string) => {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

describe('the drain records on a director', () => {
  it('are read one per file named by the address; other names, extra lines and long content do not shape the listing', () => {
    const root = join(tmp, 'read');
    const dir = join(root, 'var/lib/lvsible/drained');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '198.51.100.21'), recordText({ host: 'rs-dr', since: '2026-12-02T08:00:00Z', by: 'ops@desk', reason: "kernel 'update'; $(reboot)" }));
    writeFileSync(join(dir, '2001:db8:100::21'), 'not json\nsecond line 198.51.100.99 {}\n');
    writeFileSync(join(dir, '198.51.100.21~'), '{}');
    writeFileSync(join(dir, '.tmp-4242'), '{}');
    writeFileSync(join(dir, '192.0.2.50'), `${'x'.repeat(10_000)}`);
    mkdirSync(join(dir, '10.0.0.9'));
    const records = drainedFact(root).parse(shell(drainedFact(root).script));
    expect(records.map((r) => r.address)).toEqual(['192.0.2.50', '198.51.100.21', '2001:db8:100::21']);
    expect(records[1]).toEqual({ address: '198.51.100.21', host: 'rs-dr', since: '2026-12-02T08:00:00Z', by: 'ops@desk', reason: "kernel 'update'; $(reboot)" });
    // A file that is not a record still drains its address: the safe reading of a director's state.
    expect(records[2]!.problem).toMatch(/no JSON/);
    expect(records[0]!.problem).toMatch(/no JSON/);
  });

  it('an empty or missing directory is no drain', () => {
    expect(drainedFact(join(tmp, 'nothing')).parse(shell(drainedFact(join(tmp, 'nothing')).script))).toEqual([]);
  });

  it('refuse fields that are not one short line of text, and canonicalise the address', () => {
    expect(parseDrained('2001:DB8:100:0::21 {"host":"a\\nb"}\n')).toEqual([{ address: '2001:db8:100::21', problem: expect.stringMatching(/host is not one short line/) }]);
    expect(parseDrained('198.51.100.21 {"host":7}\n')[0]!.problem).toMatch(/host is not/);
    expect(parseDrained('198.51.100.21 [1]\n')[0]!.problem).toMatch(/not an object/);
    expect(parseDrained('999.1.1.1 {}\nrs-dr {}\n')).toEqual([]);
    expect(() => recordText({ reason: 'two\nlines' })).toThrow(/one line/);
  });

  it('are written once (a second drain keeps the first time and reason) and removed by restore, through a real sh', () => {
    const dir = join(tmp, 'write');
    const { targets } = resolveTargets(mixed, ['rs-dr']);
    shell(recordStep(targets, { since: 'T1', by: "o'brien@desk", reason: "it's `late`; rm -rf /" }, dir));
    shell(recordStep(targets, { since: 'T2', by: 'other@desk' }, dir));
    expect(readdirSync(dir)).toEqual(['198.51.100.21']);
    const [r] = parseDrained(`198.51.100.21 ${readFileSync(join(dir, '198.51.100.21'), 'utf8').trim()}\n`);
    expect(r).toMatchObject({ host: 'rs-dr', since: 'T1', by: "o'brien@desk", reason: "it's `late`; rm -rf /" });
    expect(describeRecord(r!)).toBe("rs-dr (198.51.100.21) drained since T1 by o'brien@desk: it's `late`; rm -rf /");
    shell(unrecordStep(targets, dir));
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a drain is an overlay on the model', () => {
  it('sets exactly the drained realservers to weight 0, in the IPVS table and in keepalived.conf', () => {
    const drained = drainedModel(mixed, ['198.51.100.21']);
    const weights = (m: typeof mixed) => desiredTable(m, 'dir1').services.flatMap((s) => s.destinations.map((d) => `${d.address} ${d.weight}`));
    const declared = weights(mixed);
    expect(declared.map((w) => w.split(' ')[0])).toEqual(['192.0.2.11', '198.51.100.21', '198.51.100.31']);
    expect(declared.every((w) => !w.endsWith(' 0'))).toBe(true);
    expect(weights(drained)).toEqual([declared[0], '198.51.100.21 0', declared[2]]);
    const rs = find(parseKeepalivedConf(renderKeepalivedConf(drained, 'dir1')), 'virtual_server')[0]!.children.filter((c) => c.key === 'real_server');
    expect(rs.map((r) => `${r.args[0]} ${value(r, 'weight')}`)).toEqual([declared[0], '198.51.100.21 0', declared[2]]);
    // The model itself is not touched: the next director's view starts from the declared weights.
    expect(weights(mixed)).toEqual(declared);
    expect(drainedModel(mixed, [])).toBe(mixed);
  });

  it('the run reads the records on directors only, and gives a drained director its drained view with a notice', () => {
    const notes: string[] = [];
    const hook = drainHostState(mixed, (m) => notes.push(m));
    expect(hook.read('rs-dr')).toBeUndefined();
    expect(hook.read('dir1')).toBeDefined();
    expect(hook.vars('dir1', [])).toEqual({});
    const vars = hook.vars('dir1', [{ address: '198.51.100.21', host: 'rs-dr', since: 'T' }, { address: '198.51.100.77' }]) as { lvs_director: { keepalived_conf: string } };
    expect(vars.lvs_director.keepalived_conf).toBe(renderKeepalivedConf(drainedModel(mixed, ['198.51.100.21']), 'dir1'));
    expect(notes).toEqual([
      'dir1: rs-dr (198.51.100.21) drained since T: kept at weight 0 until `lvsible restore rs-dr`',
      'dir1: 198.51.100.77 drained, but the model has no such realserver any more: `lvsible restore 198.51.100.77` removes the record',
    ]);
    expect(strayRecords(mixed, [{ address: '198.51.100.21' }])).toEqual([]);
  });
});

describe('drain and restore arguments', () => {
  it('name an inventory host (every address it serves) or a declared address; anything else is a problem, all at once', () => {
    const r = resolveTargets(features, ['rs-nat', '192.0.2.50', 'rs-typo', '198.51.100.250']);
    expect(r.targets.map((t) => [t.name, t.host, t.addresses])).toEqual([
      ['rs-nat', 'rs-nat', ['192.0.2.11']],
      ['192.0.2.50', undefined, ['192.0.2.50']],
    ]);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toMatch(/^rs-typo: not a realserver of .*features\.yml \(realservers: rs-nat, rs-dr/);
    expect(r.problems[1]).toMatch(/^198\.51\.100\.250: not a realserver/);
    // A host is one target with a membership per virtual service it serves.
    const serving = features.virtual_services.filter((s) => s.realservers.some((x) => x.host === 'rs-nat')).length;
    expect(r.targets[0]!.members).toHaveLength(serving);
  });

  it('restore checks TCP realservers by connecting to RIP:port (the health check port when set) and says when it cannot check', () => {
    const [t] = resolveTargets(features, ['rs-nat']).targets;
    const checks = answerChecks(t!);
    expect(checks.every((c) => c.cmd === undefined)).toBe(true);
    expect(checks[0]!.label).toMatch(/udp, not checked/);
    const [dr] = resolveTargets(mixed, ['rs-dr']).targets;
    expect(answerChecks(dr!)).toEqual([{ label: '198.51.100.21:80', cmd: "timeout 5 bash -c 'exec 3<>/dev/tcp/198.51.100.21/80'" }]);
  });
});

describe('when a drain is done', () => {
  // Layout as ipvsadm 1.31 prints `-Ln` (the lab's bookworm directors), counts set for the cases below.
  const listing = [
    'IP Virtual Server version 1.2.1 (size=4096)',
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
    'TCP  198.51.100.10:80 rr',
    '  -> 192.0.2.11:80                Masq    1      4          9         ',
    '  -> 198.51.100.21:80             Route   0      0          7         ',
    'UDP  198.51.100.10:53 rr',
    '  -> 198.51.100.21:53             Route   0      0          2         ',
    '',
  ].join('\n');
  const counts = destCounts(parseTable(listing), new Set(['198.51.100.21']));

  it('counts only the drained destinations, per service', () => {
    expect(counts.map((c) => [c.service, c.dest, c.weight, c.active, c.inactive])).toEqual([
      ['TCP 198.51.100.10:80', '198.51.100.21:80', 0, 0, 7],
      ['UDP 198.51.100.10:53', '198.51.100.21:53', 0, 0, 2],
    ]);
  });

  it('waits for active TCP connections, for UDP flows (listed as inactive), and for inactive TCP ones only when asked', () => {
    expect(counts.map((c) => remaining(c, false))).toEqual([0, 2]);
    expect(counts.map((c) => remaining(c, true))).toEqual([7, 2]);
  });
});
