import { describe, expect, it } from 'vitest';
import { SecretStore } from '../../src/config/secrets.js';
import { changesDigest, comparePlans, type HostPlan, type RunPlan } from '../../src/engine/plan.js';
import { fingerprint } from '../../src/engine/reads.js';
import { Redactor } from '../../src/engine/redact.js';

/** The pure parts of saved plans: what a fingerprint stands for, and how a stale plan is told apart. */

const redactor = () => new Redactor(new SecretStore());

describe('fingerprint', () => {
  it('is the same for the same state, whatever the key order, and differs when a value differs', () => {
    const r = redactor();
    expect(fingerprint({ a: 1, b: ['x', 'y'] }, r)).toBe(fingerprint({ b: ['x', 'y'], a: 1 }, r));
    expect(fingerprint({ a: 1, b: ['x', 'y'] }, r)).not.toBe(fingerprint({ a: 1, b: ['y', 'x'] }, r));
    expect(fingerprint({ type: 'file', content: Buffer.from('one\n') }, r)).not.toBe(fingerprint({ type: 'file', content: Buffer.from('two\n') }, r));
    expect(fingerprint(new Map([['lo', new Set(['10.0.0.1/32', '10.0.0.2/32'])]]), r)).toBe(fingerprint(new Map([['lo', new Set(['10.0.0.2/32', '10.0.0.1/32'])]]), r));
  });

  it('leaves out what moves on a live host without drift: IPVS counters, address lifetimes', () => {
    const r = redactor();
    const dest = (active: number) => ({ address: '10.0.0.11', port: 80, weight: 1, counters: { activeConn: active, inactConn: 3 } });
    expect(fingerprint({ services: [{ destinations: [dest(0)] }] }, r)).toBe(fingerprint({ services: [{ destinations: [dest(812)] }] }, r));
    expect(fingerprint({ local: '10.0.2.15', valid_life_time: 86390 }, r)).toBe(fingerprint({ local: '10.0.2.15', valid_life_time: 86112 }, r));
    expect(fingerprint({ services: [{ destinations: [{ ...dest(0), weight: 2 }] }] }, r)).not.toBe(fingerprint({ services: [{ destinations: [dest(0)] }] }, r));
  });

  it('is taken after masking, so that no digest stands for a secret', () => {
    const r = redactor();
    r.add('s3cr3t-A');
    const withSecret = fingerprint({ content: Buffer.from('auth_pass s3cr3t-A\n') }, r);
    expect(withSecret).toBe(fingerprint({ content: Buffer.from('auth_pass ********\n') }, r));
    // A value the run does not know as secret is not masked: a host whose password drifted is still seen.
    expect(fingerprint({ content: Buffer.from('auth_pass other-B\n') }, r)).not.toBe(withSecret);
  });
});

const host = (reads: Record<string, string>, changes: string[] = []): HostPlan => ({
  reads: Object.fromEntries(Object.entries(reads).map(([k, d]) => [k, { label: `file /etc/${k}`, digest: d }])),
  tasks: [
    { play: 'p', task: 'config', module: 'copy', status: changes.length ? 'changed' : 'ok', handler: false, changes: changes.map((summary) => ({ summary, commands: [] })) },
  ],
});
const plan = (hosts: Record<string, HostPlan>): RunPlan => ({ hosts });

describe('comparePlans', () => {
  it('finds nothing when every fact and every change is the same', () => {
    const a = plan({ h1: host({ motd: 'd1' }, ['update file /etc/motd']) });
    expect(comparePlans(a, structuredClone(a))).toEqual([]);
  });

  it('names each fact that changed on each host', () => {
    const saved = plan({ h1: host({ motd: 'd1', issue: 'd2' }), h2: host({ motd: 'd3' }) });
    const now = plan({ h1: host({ motd: 'd1', issue: 'dX' }), h2: host({ motd: 'dY' }) });
    expect(comparePlans(saved, now)).toEqual([
      { host: 'h1', what: 'file /etc/issue', detail: 'changed since the plan was made' },
      { host: 'h2', what: 'file /etc/motd', detail: 'changed since the plan was made' },
    ]);
  });

  it('with the same facts but other changes, says the inputs changed and names the task', () => {
    const saved = plan({ h1: host({ motd: 'd1' }, ['update file /etc/motd']) });
    const now = plan({ h1: host({ motd: 'd1' }, ['update file /etc/motd', 'set mode 0600 on /etc/motd']) });
    const drift = comparePlans(saved, now);
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ host: 'h1', what: 'task "config"' });
    expect(drift[0]!.detail).toMatch(/inputs changed/);
    expect(changesDigest(saved.hosts.h1!.tasks)).not.toBe(changesDigest(now.hosts.h1!.tasks));
  });

  it('counts hosts that joined or left, and reads that appeared or went', () => {
    const saved = plan({ h1: host({ motd: 'd1' }), gone: host({}) });
    const now = plan({ h1: host({ motd: 'd1', extra: 'd9' }), added: host({}) });
    expect(comparePlans(saved, now)).toEqual([
      { host: 'added', what: 'host', detail: 'not in the saved plan' },
      { host: 'gone', what: 'host', detail: 'in the saved plan, not in this run' },
      { host: 'h1', what: 'file /etc/extra', detail: 'read now, not by the saved plan' },
    ]);
  });
});
