import type { EngineEvent, Recap, TaskEvent } from '../engine/events.js';
import { safeEvents } from './censor.js';

interface PlayDoc {
  name: string;
  hosts: string[];
  /** With `serial`: one record per batch, as Ansible's json callback has one play per batch. */
  batch?: { number: number; of: number };
  tasks: Omit<TaskEvent, 'type' | 'play'>[];
  unreachable: { host: string; message: string }[];
}

/** `--json`: one document on stdout at the end, the plan or the run as data (same Change shape as plans). */
export class JsonReporter {
  private plays: PlayDoc[] = [];
  private recap: Recap = {};
  private roundTrips: Record<string, number> = {};
  private connections?: Record<string, number>;
  private timings?: unknown;
  private warnings: string[] = [];
  private notices: string[] = [];
  private verify: unknown;

  constructor(private check: boolean, private write: (s: string) => void = (s) => process.stdout.write(s)) {}

  onEvent = safeEvents((e: EngineEvent): void => {
    const cur = this.plays[this.plays.length - 1];
    if (e.type === 'play') this.plays.push({ name: e.name, hosts: e.hosts, ...(e.batch ? { batch: e.batch } : {}), tasks: [], unreachable: [] });
    else if (e.type === 'task' && cur) {
      const { type: _t, play: _p, ...rest } = e;
      cur.tasks.push(rest);
    } else if (e.type === 'unreachable' && cur) cur.unreachable.push({ host: e.host, message: e.message });
    else if (e.type === 'warning') this.warnings.push(e.message);
    else if (e.type === 'notice') this.notices.push(e.message);
    else if (e.type === 'verify') this.verify = e.report;
    else if (e.type === 'recap') {
      this.recap = e.recap;
      this.roundTrips = e.roundTrips;
      this.connections = e.connections;
      this.timings = e.timings;
    }
  });

  async finish(): Promise<void> {
    const doc = {
      check: this.check,
      changed: Object.values(this.recap).some((s) => s.changed > 0),
      plays: this.plays,
      recap: this.recap,
      roundTrips: this.roundTrips,
      ...(this.connections ? { connections: this.connections } : {}),
      ...(this.timings ? { timings: this.timings } : {}),
      warnings: this.warnings,
      ...(this.notices.length ? { notices: this.notices } : {}),
      ...(this.verify !== undefined ? { verify: this.verify } : {}),
    };
    this.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
}
