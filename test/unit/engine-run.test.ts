import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { connector } from '../../src/engine/connect.js';
import type { EngineEvent, TaskEvent } from '../../src/engine/events.js';
import { Redactor } from '../../src/engine/redact.js';
import { runPlaybook, type RunOptions } from '../../src/engine/run.js';
import { precheck } from '../../src/engine/precheck.js';
import { openInventory } from '../../src/commands/inventory-view.js';
import { loadPlaybook } from '../../src/playbook/load.js';

/**
 * The engine over real shells and real files: hosts are `ansible_connection: local`, each with its own
 * temp root. What is checked is the engine's own behaviour: order, handlers, registers, failures, tags.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvsible-engine-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function project(playbook: string, hostVars: Record<string, Record<string, unknown>> = { a: {}, b: {} }) {
  const hosts = Object.entries(hostVars)
    .map(([h, v]) => {
      mkdirSync(join(dir, h), { recursive: true });
      const extra = Object.entries(v).map(([k, x]) => `\n          ${k}: ${JSON.stringify(x)}`).join('');
      return `\n        ${h}:\n          ansible_connection: local\n          lvsible_root: ${join(dir, h)}${extra}`;
    })
    .join('');
  writeFileSync(join(dir, 'hosts.yml'), `all:\n  children:\n    web:\n      hosts:${hosts}\n`);
  writeFileSync(join(dir, 'site.yml'), playbook);
}

async function run(over: Partial<RunOptions> = {}) {
  const redactor = new Redactor();
  const opened = openInventory([join(dir, 'hosts.yml')], { redactor });
  const events: EngineEvent[] = [];
  const opts: RunOptions = {
    inventory: opened.view,
    playbook: loadPlaybook(join(dir, 'site.yml')),
    check: false,
    connect: connector(),
    emit: (e) => events.push(e),
    redactor,
    ...over,
  };
  precheck(opts);
  const result = await runPlaybook(opts);
  const tasks = events.filter((e): e is TaskEvent => e.type === 'task');
  const status = (host: string) => tasks.filter((t) => t.host === host).map((t) => `${t.status}:${t.task}`);
  return { result, events, tasks, status };
}

const root = (h: string, p: string) => join(dir, h, p);

describe('engine', () => {
  it('runs handlers once, at the end, only when notified by a change', async () => {
    project(`
- hosts: web
  tasks:
    - name: one
      copy: { dest: /one, content: "1" }
      notify: bump
    - name: two
      copy: { dest: /two, content: "2" }
      notify: [bump, topic]
    - name: after
      shell: "test -e ${dir}/{{ inventory_hostname }}/count && echo late >> ${dir}/{{ inventory_hostname }}/order || true"
      changed_when: false
  handlers:
    - name: bump
      shell: echo x >> ${dir}/{{ inventory_hostname }}/count
    - name: listener
      listen: topic
      shell: echo y >> ${dir}/{{ inventory_hostname }}/count
    - name: never notified
      shell: echo z >> ${dir}/{{ inventory_hostname }}/count
`);
    const first = await run();
    expect(readFileSync(root('a', 'count'), 'utf8')).toBe('x\ny\n');
    expect(existsSync(root('a', 'order'))).toBe(false); // handlers ran after every task
    expect(first.status('b')).toEqual(['changed:one', 'changed:two', 'ok:after', 'changed:bump', 'changed:listener']);
    const second = await run();
    expect(readFileSync(root('a', 'count'), 'utf8')).toBe('x\ny\n');
    expect(second.result.recap.a).toMatchObject({ changed: 0, ok: 3 });
  });

  it('registers results for later when: conditions and loops', async () => {
    project(`
- hosts: web
  tasks:
    - name: probe
      command: echo "{{ inventory_hostname }}-v2"
      register: out
      changed_when: false
    - name: only where the probe said a
      copy: { dest: "/{{ item.key }}", content: "{{ item.value }} {{ out.stdout }}" }
      loop: "{{ {'x': 1, 'y': 2} | dict2items }}"
      when: out.stdout == 'a-v2'
    - set_fact: { seen: "{{ out.rc }}" }
    - assert: { that: ["seen | int == 0"] }
`);
    const r = await run();
    expect(readFileSync(root('a', 'x'), 'utf8')).toBe('1 a-v2');
    expect(readFileSync(root('a', 'y'), 'utf8')).toBe('2 a-v2');
    expect(existsSync(root('b', 'x'))).toBe(false);
    expect(r.status('b')).toContain('skipped:only where the probe said a');
    expect(r.result.failed).toEqual([]);
  });

  it('a failing host stops its own tasks, not the others', async () => {
    project(
      `
- hosts: web
  tasks:
    - command: "{{ cmd }}"
      name: maybe fails
    - name: tolerated
      command: "false"
      ignore_errors: true
    - copy: { dest: /done, content: ok }
      name: last
`,
      { a: { cmd: 'false' }, b: { cmd: 'true' } },
    );
    const r = await run();
    expect(r.result.failed).toEqual(['a']);
    expect(r.status('a')).toEqual(['failed:maybe fails']);
    expect(r.status('b')).toEqual(['changed:maybe fails', 'failed:tolerated', 'changed:last']);
    expect(r.result.recap.b).toMatchObject({ ignored: 1, failed: 0 });
    expect(existsSync(root('a', 'done'))).toBe(false);
    expect(readFileSync(root('b', 'done'), 'utf8')).toBe('ok');
  });

  it('selects tasks by tags, with always and never', async () => {
    project(`
- hosts: web
  tasks:
    - { copy: { dest: /t1, content: "1" }, tags: [conf] }
    - { copy: { dest: /t2, content: "2" }, tags: [always] }
    - { copy: { dest: /t3, content: "3" }, tags: [never, debug] }
    - { copy: { dest: /t4, content: "4" } }
`);
    const files = ['t1', 't2', 't3', 't4'];
    const present = () => files.map((f) => existsSync(root('b', f)));
    const reset = () => files.forEach((f) => rmSync(root('b', f), { force: true }));
    await run({ tags: ['conf'] });
    expect(present()).toEqual([true, true, false, false]);
    reset();
    await run({ skipTags: ['conf'] });
    expect(present()).toEqual([false, true, false, true]);
    reset();
    await run({ tags: ['debug'] });
    expect(present()).toEqual([false, true, true, false]);
  });

  it('check mode touches nothing, and says what commands would run', async () => {
    project(`
- hosts: web
  tasks:
    - copy: { dest: /f, content: hello }
    - command: { cmd: "touch ${dir}/ran", creates: /f }
`);
    const r = await run({ check: true });
    expect(existsSync(root('a', 'f'))).toBe(false);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    const cmd = r.tasks.find((t) => t.module === 'command' && t.host === 'a')!;
    expect(cmd.status).toBe('changed');
    expect(cmd.check).toBe(true);
    expect(cmd.changes[0]!.summary).toMatch(/run/);
  });

  it('never lets a secret reach an event, even through a diff', async () => {
    project(
      `
- hosts: web
  tasks:
    - copy: { dest: /app.conf, content: "password={{ db_password }}\\nuser=app\\n" }
    - debug: { msg: "connecting with {{ db_password }}" }
    - command: "echo {{ db_password }}"
      register: r
`,
      { a: { db_password: 'hunter2-secret' }, b: { db_password: 'other-secret-9' } },
    );
    const r = await run();
    const text = JSON.stringify(r.events);
    expect(text).not.toContain('hunter2-secret');
    expect(text).not.toContain('other-secret-9');
    expect(text).toContain('password=********');
    expect(readFileSync(root('a', 'app.conf'), 'utf8')).toContain('hunter2-secret');
  });

  it('refuses undefined variables before connecting, but defers facts and registered results', async () => {
    project(`
- hosts: web
  tasks:
    - command: echo hi
      register: later
    - debug: { msg: "{{ later.stdout }} on {{ ansible_distribution }}" }
    - copy: { dest: /x, content: "{{ typo_var }}" }
`);
    const err = await run().catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: join(dir, 'site.yml'), line: 7 });
    expect(issues[0]!.message).toMatch(/undefined variable "typo_var"/);
  });
});
