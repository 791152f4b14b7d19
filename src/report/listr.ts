import { Listr, type ListrTaskWrapper } from 'listr2';
import type { EngineEvent } from '../engine/events.js';
import { safeEvents } from './censor.js';
import { PlainReporter, type ReporterOptions } from './plain.js';

type Wrapper = ListrTaskWrapper<unknown, any, any>;

interface HostRow {
  done: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
  wrapper?: Wrapper;
  pendingTitle?: string;
  changed: number;
  failed: boolean;
}

/**
 * Live progress on a terminal: one row per host per play, showing the task it is on. This is the only file
 * that imports listr2. What changed (and the diffs) is printed below the live view once a play ends, by the
 * same code as the plain reporter, so both outputs say the same thing.
 */
export class ListrReporter {
  private plain: PlainReporter;
  private chain: Promise<void> = Promise.resolve();
  private rows = new Map<string, HostRow>();
  private details: string[] = [];

  constructor(opts: ReporterOptions) {
    this.plain = new PlainReporter({ ...opts, write: (s) => this.details.push(s) });
  }

  onEvent = safeEvents((e: EngineEvent): void => {
    switch (e.type) {
      case 'play':
        this.startPlay(e.batch ? `${e.name}] [batch ${e.batch.number}/${e.batch.of}` : e.name, e.hosts, e.check);
        return;
      case 'task_start':
        this.title(e.host, `${e.host}  ${this.plain.p.dim(`[${e.index + 1}/${e.total}]`)} ${e.task}`);
        return;
      case 'task': {
        const row = this.rows.get(e.host);
        if (row && e.status === 'changed') row.changed++;
        if (row && e.status === 'failed' && !e.ignored) row.failed = true;
        if (e.status !== 'ok' && e.status !== 'skipped') this.plain.print(e);
        return;
      }
      case 'unreachable':
        this.plain.print(e);
        this.rows.get(e.host)?.reject(new Error(`${e.host}: unreachable`));
        return;
      case 'host_done': {
        const row = this.rows.get(e.host);
        if (!row) return;
        if (row.failed) row.reject(new Error(`${e.host}: failed`));
        else {
          this.title(e.host, `${e.host}  ${row.changed ? this.plain.p.yellow(`${row.changed} changed`) : this.plain.p.green('ok')}`);
          row.resolve();
        }
        return;
      }
      default:
        this.plain.print(e);
    }
  });

  private title(host: string, title: string): void {
    const row = this.rows.get(host);
    if (!row) return;
    if (row.wrapper) row.wrapper.title = title;
    else row.pendingTitle = title;
  }

  private startPlay(name: string, hosts: string[], check: boolean): void {
    this.rows = new Map();
    for (const h of hosts) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined);
      this.rows.set(h, { done, resolve, reject, changed: 0, failed: false });
    }
    const rows = this.rows;
    const list = new Listr(
      [...rows].map(([host, row]) => ({
        title: host,
        task: async (_ctx: unknown, wrapper: Wrapper) => {
          row.wrapper = wrapper;
          if (row.pendingTitle) wrapper.title = row.pendingTitle;
          await row.done;
        },
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
    );
    this.chain = this.chain.then(async () => {
      process.stdout.write(this.plain.p.bold(`\n${check ? 'PLAN' : 'PLAY'} [${name}]\n`));
      await list.run().catch(() => undefined);
      this.flush();
    });
  }

  private flush(): void {
    if (this.details.length) process.stdout.write(this.details.join(''));
    this.details = [];
  }

  async finish(): Promise<void> {
    await this.chain;
    this.flush();
  }
}
