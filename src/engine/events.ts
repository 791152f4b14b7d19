import type { Change } from '../types.js';

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped';

/** A change as reported: the plan's data without step payloads (stdin may hold file contents or secrets). */
export interface ReportedChange {
  summary: string;
  before?: string;
  after?: string;
  diffName?: string;
  commands: string[];
}

export interface TaskEvent {
  type: 'task';
  play: string;
  host: string;
  task: string;
  module: string;
  status: TaskStatus;
  /** Dry run: the changes are what would happen. */
  check: boolean;
  handler: boolean;
  changes: ReportedChange[];
  message?: string;
  /** A failure that `ignore_errors` let through. */
  ignored?: boolean;
  item?: string;
  /** Module output worth showing (debug's msg, a command's stdout). */
  output?: string;
  /** A converged task: why it had nothing to do, in the module's words (`sysctl net.ipv4.ip_forward is 1 ...`). */
  noop?: string;
  /** `no_log: true`: reporters show that the task ran and how it ended, nothing of what it did (src/report/censor.ts). */
  noLog?: boolean;
}

export type EngineEvent =
  /** A play starts; with `serial`, once per batch (`batch` says which), as Ansible prints PLAY once per batch. */
  | { type: 'play'; name: string; hosts: string[]; check: boolean; batch?: { number: number; of: number } }
  | { type: 'host_start'; host: string }
  | { type: 'task_start'; host: string; task: string; index: number; total: number }
  | TaskEvent
  | { type: 'unreachable'; host: string; message: string }
  | { type: 'host_done'; host: string }
  | { type: 'warning'; message: string }
  /** Progress of work around the plays (a rolling deploy's drain and restore): said, not a problem. */
  | { type: 'notice'; message: string }
  | { type: 'recap'; recap: Recap; roundTrips: Record<string, number>; connections?: Record<string, number>; timings?: StageTimings }
  /**
   * The cluster verification, a stage of the run (src/lvs/verify/stage.ts): `report` is the JSON document's
   * part, `details` what the text reporters draw (src/report/verify.ts).
   */
  | { type: 'verify'; drift: boolean; report: unknown; details?: unknown };

/** Wall milliseconds of each stage of a run, for `--json` and the benches (where the time goes). */
export interface StageTimings {
  /** Every host connected and its host facts read. */
  connect: number;
  /** The batched reads of every play (and verify) at the start. */
  read: number;
  /** The plays: planning, applying, and the reads a change made necessary. */
  plays: number;
  verify: number;
}

export interface HostStats {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  ignored: number;
}

export type Recap = Record<string, HostStats>;

export const emptyStats = (): HostStats => ({ ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });

/** Where events go. Reporters (src/report/) implement it; the engine knows none of them. */
export interface EventSink {
  (event: EngineEvent): void;
}

export function reportChange(c: Change): ReportedChange {
  return {
    summary: c.summary,
    ...(c.before !== undefined ? { before: c.before } : {}),
    ...(c.after !== undefined ? { after: c.after } : {}),
    ...(c.diffName ? { diffName: c.diffName } : {}),
    commands: c.steps.map((s) => s.label ?? s.cmd),
  };
}
