import { describe, expect, it } from 'vitest';
import { withSecrets } from '../../src/config/secrets.js';
import type { EngineEvent, TaskEvent } from '../../src/engine/events.js';
import { Redactor } from '../../src/engine/redact.js';
import { JsonReporter, ListrReporter, PlainReporter } from '../../src/report/index.js';
import { NO_LOG_MESSAGE } from '../../src/report/censor.js';

/**
 * Every reporter, fed the events of a run with a no_log task, a failed no_log task and a secret in a warning:
 * none prints what no_log hides, nor a secret the run knows, whatever the options (-v, --diff).
 */

const HIDDEN = 'only-no-log-knows-this';
const SECRET = 'k3y-from-the-inventory';

const task = (over: Partial<TaskEvent>): TaskEvent => ({
  type: 'task', play: 'p', host: 'web1', task: 'hidden work', module: 'command', status: 'changed', check: false, handler: false, changes: [], ...over,
});

const EVENTS: EngineEvent[] = [
  { type: 'play', name: 'p', hosts: ['web1'], check: false },
  { type: 'warning', message: `inventory: api_key ${SECRET} looks odd` },
  { type: 'host_start', host: 'web1' },
  { type: 'task_start', host: 'web1', task: `deploy ${SECRET}`, index: 0, total: 3 },
  task({
    noLog: true,
    item: `item ${HIDDEN}`,
    output: `stdout ${HIDDEN}`,
    changes: [{ summary: `run: echo ${HIDDEN}`, before: 'old\n', after: `new ${HIDDEN}\n`, diffName: '/etc/x', commands: [`echo ${HIDDEN}`] }],
  }),
  task({ noLog: true, task: 'hidden failure', status: 'failed', message: `exited 1: ${HIDDEN}`, output: HIDDEN, changes: [{ summary: `run: ${HIDDEN}`, commands: [HIDDEN] }] }),
  task({ task: 'visible', output: `uses ${SECRET}`, changes: [{ summary: 'write /etc/y', before: '', after: `key=${SECRET}\n`, commands: [`printf %s ${SECRET}`] }] }),
  { type: 'host_done', host: 'web1' },
  { type: 'recap', recap: { web1: { ok: 0, changed: 2, failed: 1, skipped: 0, unreachable: 0, ignored: 0 } }, roundTrips: { web1: 2 } },
];

async function capture(make: (write: (s: string) => void) => { onEvent(e: EngineEvent): void; finish(): Promise<void> }): Promise<string> {
  const out: string[] = [];
  // listr2 draws its rows on either stream.
  const original = [process.stdout.write, process.stderr.write] as const;
  process.stdout.write = process.stderr.write = ((s: string | Uint8Array) => out.push(String(s)) > 0) as typeof process.stdout.write;
  try {
    await withSecrets(async () => {
      new Redactor().add(SECRET);
      const r = make((s) => out.push(s));
      for (const e of EVENTS) r.onEvent(e);
      await r.finish();
    });
  } finally {
    [process.stdout.write, process.stderr.write] = original;
  }
  return out.join('');
}

const opts = { diff: true, verbose: true, color: false };
const REPORTERS: [string, (w: (s: string) => void) => { onEvent(e: EngineEvent): void; finish(): Promise<void> }][] = [
  ['plain -v --diff', (write) => new PlainReporter({ ...opts, write })],
  ['plain', (write) => new PlainReporter({ diff: false, verbose: false, color: false, write })],
  ['json', (write) => new JsonReporter(false, write)],
  ['listr --diff', () => new ListrReporter({ ...opts, verbose: false })],
];

describe('reporters: no_log and known secrets', () => {
  for (const [name, make] of REPORTERS) {
    it(name, async () => {
      const text = await capture(make);
      expect(text).not.toContain(HIDDEN);
      expect(text).not.toContain(SECRET);
      // The tasks are still reported, with Ansible's words for a hidden failure.
      expect(text).toContain('hidden work');
      expect(text).toContain('hidden failure');
      expect(text).toContain(NO_LOG_MESSAGE);
      if (name === 'json') {
        const doc = JSON.parse(text);
        const [hidden, failed, visible] = doc.plays[0].tasks;
        expect(hidden).toMatchObject({ noLog: true, output: NO_LOG_MESSAGE, changes: [{ commands: [] }] });
        expect(hidden.changes[0].before).toBeUndefined();
        expect(hidden.item).toBeUndefined();
        expect(failed).toMatchObject({ status: 'failed', message: NO_LOG_MESSAGE });
        expect(visible.changes[0].after).toBe('key=********\n');
        expect(doc.warnings).toEqual(['inventory: api_key ******** looks odd']);
      }
      if (name === 'plain -v --diff') expect(text).toContain('+ key=********');
    });
  }
});
