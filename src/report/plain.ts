import type { EngineEvent, TaskEvent } from '../engine/events.js';
import { safeEvents } from './censor.js';
import { palette, recapLines, renderChange, type Palette } from './format.js';
import { verifyLines } from './verify.js';
import type { VerifyDetails } from '../lvs/verify/stage.js';

export interface ReporterOptions {
  diff: boolean;
  verbose: boolean;
  color: boolean;
  write?: (s: string) => void;
}

/** One line per event, for CI logs and pipes; the same words Ansible operators read every day. */
export class PlainReporter {
  readonly p: Palette;
  private write: (s: string) => void;

  constructor(private opts: ReporterOptions) {
    this.p = palette(opts.color);
    this.write = opts.write ?? ((s) => process.stdout.write(s));
  }

  /** Print an event that is already safe (censored and masked): what ListrReporter, itself behind safeEvents, calls. */
  print = (e: EngineEvent): void => {
    for (const line of this.lines(e)) this.write(`${line}\n`);
  };

  onEvent = safeEvents(this.print);

  lines(e: EngineEvent): string[] {
    const p = this.p;
    switch (e.type) {
      case 'play':
        // With `serial`, Ansible prints the PLAY header again for each batch; the line under it says which one.
        return [
          '',
          p.bold(`${e.check ? 'PLAN' : 'PLAY'} [${e.name}] `.padEnd(72, '*')),
          ...(e.batch ? [p.cyan(`batch ${e.batch.number}/${e.batch.of}: ${e.hosts.join(', ')}`)] : []),
          ...(e.hosts.length ? [] : [p.dim('  no hosts matched')]),
        ];
      case 'task':
        return this.taskLines(e);
      case 'unreachable':
        return [p.red(`unreachable: [${e.host}] ${e.message}`)];
      case 'warning':
        return [p.magenta(`[WARNING] ${e.message}`)];
      case 'notice':
        return [p.cyan(e.message)];
      case 'recap':
        return recapLines(e.recap, p);
      case 'verify':
        return e.details ? verifyLines(e.details as VerifyDetails, p) : [];
      default:
        return [];
    }
  }

  taskLines(e: TaskEvent): string[] {
    const p = this.p;
    const what = `${e.handler ? 'HANDLER ' : ''}${e.task}`;
    if (e.status === 'skipped') return this.opts.verbose ? [p.cyan(`skipping: [${e.host}] ${what}`)] : [];
    if (e.status === 'failed') {
      const head = e.ignored ? p.magenta(`failed (ignored): [${e.host}] ${what}`) : p.red(`failed: [${e.host}] ${what}`);
      const out = [head, ...(e.message ?? '').split('\n').map((l) => `  ${l}`)];
      for (const c of e.changes) out.push(...renderChange(c, p, this.opts));
      return out;
    }
    if (e.status === 'changed') {
      const label = e.check ? 'would change' : 'changed';
      const out = [p.yellow(`${label}: [${e.host}] ${what}`)];
      for (const c of e.changes) out.push(...renderChange(c, p, this.opts));
      if (e.output && this.opts.verbose) out.push(...e.output.split('\n').map((l) => p.dim(`  | ${l}`)));
      return out;
    }
    const out = [p.green(`ok: [${e.host}] ${what}`)];
    if (e.noop && this.opts.verbose) out.push(p.dim(`  nothing to do: ${e.noop}`));
    if (e.output && (e.module === 'debug' || this.opts.verbose)) out.push(...e.output.split('\n').map((l) => `  | ${l}`));
    return out;
  }

  async finish(): Promise<void> {}
}
