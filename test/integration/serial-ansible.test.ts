import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector } from '../../src/engine/connect.js';
import { Redactor } from '../../src/engine/redact.js';
import { runPlaybook } from '../../src/engine/run.js';
import { precheck } from '../../src/engine/precheck.js';
import { openInventory } from '../../src/commands/inventory-view.js';
import { loadPlaybook } from '../../src/playbook/load.js';
import { playSerial, splitBatches } from '../../src/playbook/serial.js';
import { ANSIBLE_BATCHES } from '../unit/serial-batches.data.js';

/**
 * `serial` and its stop rules, lvsible against the real ansible-playbook on this machine (skipped when it is not
 * installed). Hosts are `ansible_connection: local`, so both tools run the same inventory and playbook files.
 * Batches: ansible-playbook prints `ansible_play_batch` once per batch (json callback) for every `serial` of the
 * unit table, and lvsible's batches must be the same. Stop rules: the same playbook, whose tasks append
 * `host task` to a log, run by each tool; the lines (which host ran which task, which play) must be the same.
 */

const hasAnsible = (() => {
  try {
    execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const ENV = { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_LOCAL_TEMP: '' };

function ansible(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  return new Promise((res) => {
    execFile('ansible-playbook', args, { env: { ...ENV, ...env }, timeout: 170_000, maxBuffer: 64 << 20 }, (err, stdout) => {
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

const inventory = (n: number) =>
  `all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: /usr/bin/python3\n  children:\n    web:\n      hosts:\n${Array.from({ length: n }, (_v, i) => `        h${i + 1}: {}\n`).join('')}`;

// Concurrent: each case is its own files and log, and ansible-playbook spends its time waiting on its workers.
describe.skipIf(!hasAnsible).concurrent('serial, lvsible against ansible-playbook', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsible-serial-ansible-'));
    writeFileSync(join(dir, 'hosts7.yml'), inventory(7));
    writeFileSync(join(dir, 'hosts4.yml'), inventory(4));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cuts the same batches for every serial of the unit table (templated ones included)', async () => {
    const cases = ANSIBLE_BATCHES.map(([serial]) => serial);
    // A few ansible-playbook runs side by side: a batch costs it about half a second.
    const chunks = [0, 1, 2, 3, 4, 5].map((k) => cases.filter((_c, i) => i % 6 === k));
    const vars = { n: 3, pct: '40%', steps: [1, '60%'] };
    // lvsible reads the same plays without `run_once` (which it does not have): only the batches are compared.
    const play = (once: boolean) => (serial: unknown, i: number) => ({
      name: `case ${i}`,
      hosts: 'web',
      gather_facts: false,
      ...(serial === null ? {} : { serial }),
      vars,
      tasks: [{ debug: { msg: '{{ ansible_play_batch }}' }, ...(once ? { run_once: true } : {}) }],
    });
    const templated = ['{{ n }}', '{{ pct }}', '{{ steps }}'];
    chunks.push(templated);
    const runs = await Promise.all(
      chunks.map(async (serials, k) => {
        const file = join(dir, `batches-${k}.yml`);
        writeFileSync(join(dir, `ansible-batches-${k}.yml`), JSON.stringify(serials.map(play(true))));
        writeFileSync(file, JSON.stringify(serials.map(play(false))));
        const r = await ansible(['-i', join(dir, 'hosts7.yml'), join(dir, `ansible-batches-${k}.yml`)], { ANSIBLE_STDOUT_CALLBACK: 'json' });
        expect(r.code, r.stdout.slice(-2000)).toBe(0);
        const doc = JSON.parse(r.stdout) as { plays: { play: { name: string }; tasks: { hosts: Record<string, { msg: string[] }> }[] }[] };
        // One record per batch, as lvsible's --json has.
        const seen = new Map<string, string[][]>();
        for (const p of doc.plays) for (const t of p.tasks) seen.set(p.play.name, [...(seen.get(p.play.name) ?? []), Object.values(t.hosts)[0]!.msg]);
        return { file, serials, seen };
      }),
    );
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];
    let compared = 0;
    for (const { file, serials, seen } of runs) {
      const pb = loadPlaybook(file);
      for (const [i, p] of pb.plays.entries()) {
        const s = playSerial(p).serial;
        const ours = s ? splitBatches(hosts, s) : [hosts];
        expect(ours, `serial ${JSON.stringify(serials[i])}`).toEqual(seen.get(p.name));
        compared++;
      }
    }
    expect(compared).toBe(cases.length + templated.length);
  }, 180_000);

  /** The same playbook by both tools: `bad` hosts fail t1, the others take 0.4 s in it (so lvsible's hosts are in step). */
  // ansible-playbook runs the commands with `raw` (no Python module per task: the same shell line, a fraction of
  // the cost); lvsible with `shell`.
  function scenario(name: string, keys: string, bad: string[], module: 'raw' | 'shell') {
    const log = join(dir, `${name}.log`);
    const line = (what: string) => `echo "{{ inventory_hostname }} ${what}" >> ${log}`;
    const file = join(dir, `${name}.yml`);
    writeFileSync(
      file,
      `
- name: rolling
  hosts: web
  gather_facts: false
${keys}
  tasks:
    - name: t1
      ${module}: ${JSON.stringify(`case {{ inventory_hostname }} in ${bad.join('|')}) exit 3;; esac; sleep 0.4; ${line('t1')}`)}
      notify: h
    - name: t2
      ${module}: ${JSON.stringify(line('t2'))}
  handlers:
    - name: h
      ${module}: ${JSON.stringify(line('handler'))}
- name: second
  hosts: web
  gather_facts: false
  tasks:
    - name: s1
      ${module}: ${JSON.stringify(line('s1'))}
`,
    );
    return { file, log };
  }

  const read = (log: string) => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).sort();
    } catch {
      return [];
    }
  };

  const SCENARIOS: [string, string, string[]][] = [
    ['failed host out, batches go on', '  serial: [1, "50%"]', ['h2']],
    ['max_fail_percentage 49: 1 of 2 stops', '  serial: [1, "50%"]\n  max_fail_percentage: 49', ['h2']],
    ['max_fail_percentage 50: 1 of 2 goes on', '  serial: [1, "50%"]\n  max_fail_percentage: "50%"', ['h2']],
    ['max_fail_percentage per batch, not summed', '  serial: 2\n  max_fail_percentage: 50', ['h1', 'h3']],
    ['max_fail_percentage without serial', '  max_fail_percentage: 20', ['h3']],
    ['any_errors_fatal', '  serial: 2\n  any_errors_fatal: true', ['h3']],
    ['every host of a batch failed', '  serial: 2', ['h1', 'h2']],
    ['every host of a play failed, no serial', '', ['h1', 'h2', 'h3', 'h4']],
  ];

  it.each(SCENARIOS)('%s: the same hosts run the same tasks', async (title, keys, bad) => {
    const name = title.replace(/[^a-z0-9]+/gi, '-');
    const a = scenario(`${name}-ansible`, keys, bad, 'raw');
    const l = scenario(`${name}-lvsible`, keys, bad, 'shell');
    const ran = await ansible(['-i', join(dir, 'hosts4.yml'), a.file]);
    expect([0, 2]).toContain(ran.code);

    const redactor = new Redactor();
    const opts = {
      inventory: openInventory([join(dir, 'hosts4.yml')], { redactor }).view,
      playbook: loadPlaybook(l.file),
      check: false,
      connect: connector(),
      emit: () => undefined,
      redactor,
    };
    precheck(opts);
    const result = await runPlaybook(opts);
    // Not vacuous: ansible-playbook's log is empty only where the first batch fails whole.
    if (!/every host/.test(title)) expect(read(a.log).length, ran.stdout).toBeGreaterThan(0);
    expect(read(l.log), `ansible-playbook:\n${ran.stdout}`).toEqual(read(a.log));
    // Ansible exits 2 when a host failed; lvsible names the failed hosts.
    expect(result.failed.length > 0).toBe(ran.code === 2);
  }, 120_000);
});
