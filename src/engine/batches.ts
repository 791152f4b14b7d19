import type { Play } from '../playbook/types.js';
import { exceedsMaxFail, type BatchInfo, type PlaySerial } from '../playbook/serial.js';
import type { EngineEvent } from './events.js';

/*
 * The batches of a play (`serial`) as the engine runs them: the hooks a rolling deploy hangs on them, and the
 * rules that stop a play (and the run) while a batch runs or once it ended. docs/serial.md says what each rule
 * is and how it was checked against ansible-playbook.
 */

export type { BatchInfo };

/** What a batch hook answers: `ok: false` stops the rollout there, `message` says why (shown, and kept in the result). */
export interface BatchVerdict {
  ok: boolean;
  message?: string;
  /**
   * With `ok: false` from `after`: the hosts to fail at this step (default every host of the batch that ran
   * fine). `[]` stops the rollout and fails no host, when the batch's own failures are the reason.
   */
  fail?: string[];
}

/** How a host's batch ended: `stopped` is a host that another host's failure stopped before its next task. */
export type BatchHostResult = 'ok' | 'failed' | 'unreachable' | 'stopped';

/**
 * Called around each batch of a play that has `serial` (never in check mode: a hook may change things, e.g.
 * take the batch's realservers out of their virtual services before and put them back after). `hosts` are the
 * batch's hosts that run (those failed in an earlier play are out). A `before` that says `ok: false` (or throws)
 * stops the rollout: the batch's hosts are reported failed at that step, naming the batch, and no host after them
 * is touched. An `after` that says `ok: false` fails the batch's hosts that had run fine, and stops the rollout
 * the same way. `after` is called for every batch that ran, also one whose failures stop the play, with how each
 * host ended, so the hook can decide what to put back.
 */
export interface BatchHooks {
  before?(play: Play, hosts: string[], batch: BatchInfo): Promise<BatchVerdict>;
  after?(play: Play, hosts: string[], results: Record<string, BatchHostResult>, batch: BatchInfo): Promise<BatchVerdict>;
}

/** Where and why a run stopped before the end of its plays. */
export interface RunStop {
  play: string;
  /** Absent for a play without `serial` (its one batch is every host). */
  batch?: BatchInfo;
  reason: string;
  /** Hosts of this play, and of the plays after it, that were not run because of the stop. */
  untouched: string[];
}

/** Thrown from a host's event sink at its next task once the batch must stop (src/engine/run.ts catches it). */
export class BatchStopped extends Error {
  constructor() {
    super('stopped by a failure elsewhere in the batch');
  }
}

/**
 * Watches one batch's events and decides, as Ansible's linear strategy and playbook executor do, when the play
 * must stop: `any_errors_fatal` at the first failed or unreachable host; `max_fail_percentage` when the hosts
 * failed in this batch (not unreachable, not ignored) over the batch's size are strictly above it; and, once the
 * batch ended, when every host of the batch failed or was unreachable.
 */
export class BatchWatch {
  readonly failed = new Set<string>();
  readonly unreachable = new Set<string>();
  /** Set as soon as the play must stop: the batch's other hosts stop before their next task. */
  stop?: string;

  constructor(
    private readonly hosts: string[],
    /** The batch as cut, hosts failed in earlier plays included: Ansible divides by it and compares with it. */
    private readonly size: number,
    private readonly rules: PlaySerial,
  ) {}

  seen(e: EngineEvent): void {
    if (e.type === 'task' && e.status === 'failed' && !e.ignored) this.failed.add(e.host);
    else if (e.type === 'unreachable') this.unreachable.add(e.host);
    else return;
    if (this.stop) return;
    if (this.rules.anyErrorsFatal) this.stop = `any_errors_fatal: ${e.host} ${e.type === 'unreachable' ? 'was unreachable' : 'failed'}`;
    else if (exceedsMaxFail(this.failed.size, this.size, this.rules.maxFailPercentage)) {
      this.stop = `max_fail_percentage ${this.rules.maxFailPercentage}: ${this.failed.size} of ${this.size} hosts of the batch failed (${[...this.failed].join(', ')})`;
    }
  }

  /** After the batch: the reason the play stops, if any. */
  settle(): string | undefined {
    if (this.stop) return this.stop;
    const down = this.hosts.filter((h) => this.failed.has(h) || this.unreachable.has(h));
    // Ansible compares with the batch as cut: a batch holding a host that failed in an earlier play never counts
    // as all failed (observed with ansible-playbook 2.14, docs/serial.md); max_fail_percentage still applies.
    if (this.size && down.length === this.size) return `every host of the batch failed (${down.join(', ')})`;
    return undefined;
  }
}
