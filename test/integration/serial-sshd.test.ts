import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { connector } from '../../src/engine/connect.js';
import type { EngineEvent, TaskEvent } from '../../src/engine/events.js';
import { Redactor } from '../../src/engine/redact.js';
import { runPlaybook, type RunOptions } from '../../src/engine/run.js';
import type { BatchHostResult } from '../../src/engine/batches.js';
import { precheck } from '../../src/engine/precheck.js';
import { openInventory } from '../../src/commands/inventory-view.js';
import { loadPlaybook } from '../../src/playbook/load.js';
import { PlainReporter } from '../../src/report/plain.js';
import { JsonReporter } from '../../src/report/json.js';

/**
 * `serial` over four real sshd hosts (h1..h4). Every task and handler appends a line to one log file on this
 * machine (all four sshd are here), and the batch hooks append theirs, so the file is the order things really
 * ran in: batch 1's tasks and handlers all end before batch 2's first task starts, hooks sit between batches.
 * The stop rules are those observed with ansible-playbook (docs/serial.md). One connection per host for the
 * whole run, and the same round trips as the same playbook without `serial`.
 */

const HOSTS = ['h1', 'h2', 'h3', 'h4'];

describe('serial: a play batch by batch over real sshd hosts', () => {
  let servers: SshdHandle[];
  let dir: string;
  let log: string;

  beforeAll(async () => {
    servers = await Promise.all(HOSTS.map((_h, i) => startSshd({ address: `127.0.0.${41 + i}` })));
    dir = mkdtempSync(join(tmpdir(), 'lvsible-serial-'));
    log = join(dir, 'order.log');
    const hosts = HOSTS.map((name, i) => {
      const h = servers[i]!;
      mkdirSync(join(dir, name));
      return `        ${name}:\n          ansible_host: ${h.host}\n          ansible_port: ${h.port}\n          ansible_user: ${h.user}\n          ansible_ssh_private_key_file: ${h.privateKeyPath}\n          lvsible_known_hosts_file: ${h.knownHostsPath}\n          lvsible_root: ${join(dir, name)}\n`;
    }).join('');
    writeFileSync(join(dir, 'hosts.yml'), `all:\n  children:\n    web:\n      hosts:\n${hosts}`);
  }, 60_000);
  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A play whose tasks log `host task`; `bad` hosts fail at t1; `slow` hosts sleep in t1 first. */
  function playbook(keys: string, opts: { bad?: string[]; slow?: string[]; second?: boolean } = {}) {
    const line = (what: string) => `echo "{{ inventory_hostname }} ${what}" >> ${log}`;
    writeFileSync(
      join(dir, 'site.yml'),
      `
- name: rolling
  hosts: web
  gather_facts: false
${keys}
  tasks:
    - name: t1
      shell: ${JSON.stringify(`${opts.slow?.length ? `case {{ inventory_hostname }} in ${opts.slow.join('|')}) sleep 1.5;; esac; ` : ''}${line('t1')}; case {{ inventory_hostname }} in ${(opts.bad ?? ['none']).join('|')}) exit 3;; esac`)}
      notify: h
    - name: t2
      shell: ${JSON.stringify(line('t2'))}
  handlers:
    - name: h
      shell: ${JSON.stringify(line('handler'))}
${opts.second ? `- name: second\n  hosts: web\n  gather_facts: false\n  tasks:\n    - name: s1\n      shell: ${JSON.stringify(line('s1'))}\n` : ''}`,
    );
  }

  async function run(over: Partial<RunOptions> = {}) {
    writeFileSync(log, '');
    const redactor = new Redactor();
    const opened = openInventory([join(dir, 'hosts.yml')], { redactor });
    const events: EngineEvent[] = [];
    const calls: { step: string; hosts: string[]; batch: string; results?: Record<string, BatchHostResult> }[] = [];
    const opts: RunOptions = {
      inventory: opened.view,
      playbook: loadPlaybook(join(dir, 'site.yml')),
      check: false,
      connect: connector(),
      emit: (e) => events.push(e),
      redactor,
      batch: {
        async before(_play, hosts, b) {
          calls.push({ step: 'before', hosts, batch: `${b.number}/${b.of}` });
          appendFileSync(log, `hook before ${b.number}\n`);
          return { ok: true };
        },
        async after(_play, hosts, results, b) {
          calls.push({ step: 'after', hosts, batch: `${b.number}/${b.of}`, results });
          appendFileSync(log, `hook after ${b.number}\n`);
          return { ok: true };
        },
      },
      ...over,
    };
    precheck(opts);
    const result = await runPlaybook(opts);
    const lines = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
    const tasks = events.filter((e): e is TaskEvent => e.type === 'task');
    const ran = (task: string) => tasks.filter((t) => t.task === task).map((t) => t.host).sort();
    return { result, events, lines, calls, tasks, ran };
  }

  /** The log cut where each batch's first line is: every line of batch n comes before any of batch n+1. */
  function expectInOrder(lines: string[], batches: string[][]) {
    const index = (h: string) => batches.findIndex((b) => b.includes(h));
    let last = 0;
    for (const l of lines) {
      const [who, , n] = l.split(' ');
      const b = who === 'hook' ? Number(n) - 1 : index(who!);
      expect(b, `"${l}" after a line of batch ${last + 1}\n${lines.join('\n')}`).toBeGreaterThanOrEqual(last);
      last = b;
    }
  }

  it('runs the whole play, handlers included, on batch 1, then batch 2...; hooks between; one connection per host; reads as without serial', async () => {
    playbook('  serial: [1, "50%"]');
    const { result, events, lines, calls } = await run();
    expect(result.failed).toEqual([]);
    // [1, "50%"] of 4 hosts: [h1], [h2, h3], [h4] (50% of 4 is 2, the last entry repeats).
    const batches = [['h1'], ['h2', 'h3'], ['h4']];
    expect(events.filter((e) => e.type === 'play')).toEqual(batches.map((hosts, i) => ({ type: 'play', name: 'rolling', hosts, check: false, batch: { number: i + 1, of: 3 } })));
    expectInOrder(lines, batches);
    for (const [i, b] of batches.entries()) {
      const mine = lines.filter((l) => b.includes(l.split(' ')[0]!) || l.endsWith(` ${i + 1}`));
      // Within a batch: the before hook, every host's t1 and t2, its handler, the after hook.
      expect(mine[0]).toBe(`hook before ${i + 1}`);
      expect(mine[mine.length - 1]).toBe(`hook after ${i + 1}`);
      for (const h of b) expect(mine.indexOf(`${h} handler`)).toBeGreaterThan(mine.indexOf(`${h} t2`));
    }
    expect(calls).toEqual([
      { step: 'before', hosts: ['h1'], batch: '1/3' },
      { step: 'after', hosts: ['h1'], batch: '1/3', results: { h1: 'ok' } },
      { step: 'before', hosts: ['h2', 'h3'], batch: '2/3' },
      { step: 'after', hosts: ['h2', 'h3'], batch: '2/3', results: { h2: 'ok', h3: 'ok' } },
      { step: 'before', hosts: ['h4'], batch: '3/3' },
      { step: 'after', hosts: ['h4'], batch: '3/3', results: { h4: 'ok' } },
    ]);
    expect(result.connections).toEqual({ h1: 1, h2: 1, h3: 1, h4: 1 });

    // The same play without serial: the same round trips per host (reads stay batched at the start).
    playbook('');
    const plain = await run();
    expect(plain.events.filter((e) => e.type === 'play')).toHaveLength(1);
    expect(plain.calls).toEqual([]);
    expect(result.roundTrips).toEqual(plain.result.roundTrips);

    // What an operator reads: the PLAY header again per batch, with the batch under it; --json one record per batch.
    const out: string[] = [];
    const text = new PlainReporter({ diff: false, verbose: false, color: false, write: (s) => out.push(s) });
    const json = new JsonReporter(false, (s) => out.push(s));
    for (const e of events) {
      text.onEvent(e);
      json.onEvent(e);
    }
    await json.finish();
    const printed = out.slice(0, -1).join('');
    expect(printed.match(/^PLAY \[rolling\] \*+$/gm)).toHaveLength(3);
    expect(printed).toContain('batch 2/3: h2, h3');
    expect(printed.match(/^PLAY RECAP/gm)).toHaveLength(1);
    const doc = JSON.parse(out[out.length - 1]!);
    expect(doc.plays.map((p: { hosts: string[]; batch: unknown }) => [p.hosts, p.batch])).toEqual(batches.map((hosts, i) => [hosts, { number: i + 1, of: 3 }]));
  }, 120_000);

  it('a failed host is out, its batch goes on, the next batches run; no later play sees it', async () => {
    playbook('  serial: [1, "50%"]', { bad: ['h2'], second: true });
    const { result, ran, calls } = await run();
    expect(result.failed).toEqual(['h2']);
    expect(result.stopped).toBeUndefined();
    expect(ran('t2')).toEqual(['h1', 'h3', 'h4']);
    expect(ran('s1')).toEqual(['h1', 'h3', 'h4']);
    expect(calls.find((c) => c.step === 'after' && c.batch === '2/3')!.results).toEqual({ h2: 'failed', h3: 'ok' });
  }, 120_000);

  it('max_fail_percentage, per batch: 1 of 2 failed is 50%, above 49: the run stops, batch 3 and the next play untouched', async () => {
    playbook('  serial: [1, "50%"]\n  max_fail_percentage: 49', { bad: ['h2'], slow: ['h3'], second: true });
    const { result, ran, lines, calls } = await run();
    expect(result.stopped).toMatchObject({ play: 'rolling', batch: { number: 2, of: 3 }, untouched: ['h4', 'h1'] });
    expect(result.stopped!.reason).toMatch(/max_fail_percentage 49: 1 of 2 hosts/);
    // h3 was in t1 (sleeping) when h2 failed: it finishes that task and stops before t2, as Ansible's linear strategy does.
    expect(ran('t1')).toEqual(['h1', 'h2', 'h3']);
    expect(ran('t2')).toEqual(['h1']);
    expect(lines.some((l) => l.startsWith('h4') || l.includes(' s1'))).toBe(false);
    expect(calls.find((c) => c.step === 'after' && c.batch === '2/3')!.results).toEqual({ h2: 'failed', h3: 'stopped' });
    expect(calls.some((c) => c.batch === '3/3')).toBe(false);

    // 50 is not above 50: it goes on.
    playbook('  serial: [1, "50%"]\n  max_fail_percentage: 50', { bad: ['h2'] });
    const fine = await run();
    expect(fine.result.stopped).toBeUndefined();
    expect(fine.ran('t2')).toEqual(['h1', 'h3', 'h4']);
  }, 120_000);

  it('any_errors_fatal: the first failure stops the batch at the next task and the run', async () => {
    playbook('  serial: 2\n  any_errors_fatal: true', { bad: ['h3'], slow: ['h4'], second: true });
    const { result, ran } = await run();
    expect(result.failed).toEqual(['h3']);
    expect(result.stopped).toMatchObject({ play: 'rolling', batch: { number: 2, of: 2 }, reason: 'any_errors_fatal: h3 failed', untouched: ['h1', 'h2'] });
    expect(ran('t2')).toEqual(['h1', 'h2']);
    expect(ran('s1')).toEqual([]);
    // h4 got no handler either: a stopped host runs nothing more.
    expect(ran('h')).toEqual(['h1', 'h2']);
  }, 120_000);

  it('a batch whose every host failed stops the run (no max_fail_percentage needed)', async () => {
    playbook('  serial: 2', { bad: ['h1', 'h2'], second: true });
    const { result, ran, calls } = await run();
    expect(result.failed.sort()).toEqual(['h1', 'h2']);
    expect(result.stopped).toMatchObject({ batch: { number: 1, of: 2 }, untouched: ['h3', 'h4'] });
    expect(ran('t1')).toEqual(['h1', 'h2']);
    expect(calls.map((c) => `${c.step} ${c.batch}`)).toEqual(['before 1/2', 'after 1/2']);
  }, 120_000);

  it('a before hook that says no stops the rollout: that batch failed, naming it, the rest untouched', async () => {
    playbook('  serial: [1, "50%"]');
    const { result, tasks, lines } = await run({
      batch: {
        before: async (_p, hosts, b) => (b.number === 2 ? { ok: false, message: `cannot drain ${hosts.join(', ')}` } : { ok: true }),
        after: async (_p, _h, _r, b) => (b.number === 1 ? { ok: true } : { ok: false, message: 'unexpected' }),
      },
    });
    expect(result.failed.sort()).toEqual(['h2', 'h3']);
    const refused = tasks.filter((t) => t.module === 'serial');
    expect(refused.map((t) => [t.host, t.task, t.status])).toEqual([
      ['h2', 'before batch 2/3', 'failed'],
      ['h3', 'before batch 2/3', 'failed'],
    ]);
    expect(refused[0]!.message).toBe('rolling deploy stopped before batch 2/3 (h2, h3): cannot drain h2, h3');
    expect(result.stopped).toMatchObject({ batch: { number: 2, of: 3 }, untouched: ['h4'] });
    expect(lines).toEqual(['h1 t1', 'h1 t2', 'h1 handler']);
    expect(result.recap.h4).toBeUndefined();
  }, 120_000);

  it('an after hook that says no fails the batch\'s hosts that ran fine and stops the rollout', async () => {
    playbook('  serial: 2', { bad: ['h1'] });
    const { result, tasks } = await run({ batch: { after: async (_p, hosts) => ({ ok: false, message: `cannot put ${hosts.join(', ')} back` }) } });
    expect(tasks.filter((t) => t.module === 'serial').map((t) => [t.host, t.task])).toEqual([['h2', 'after batch 1/2']]);
    expect(result.failed.sort()).toEqual(['h1', 'h2']);
    expect(result.stopped).toMatchObject({ batch: { number: 1, of: 2 }, untouched: ['h3', 'h4'] });
  }, 120_000);

  it('check mode cuts the same batches and calls no hook', async () => {
    playbook('  serial: 3');
    const { events, calls } = await run({ check: true });
    expect(events.filter((e) => e.type === 'play').map((e) => (e as { hosts: string[] }).hosts)).toEqual([['h1', 'h2', 'h3'], ['h4']]);
    expect(calls).toEqual([]);
  }, 120_000);
});
