import type { EventSink } from '../engine/events.js';
import { JsonReporter } from './json.js';
import { ListrReporter } from './listr.js';
import { PlainReporter } from './plain.js';
import { wantsColor } from './format.js';

export interface Reporter {
  onEvent: EventSink;
  finish(): Promise<void>;
}

/** Pick the reporter: JSON when asked, live progress on a terminal, plain lines otherwise (CI logs, pipes). */
export function createReporter(opts: { json: boolean; check: boolean; diff: boolean; verbose: boolean }): Reporter {
  if (opts.json) return new JsonReporter(opts.check);
  const color = wantsColor(process.stdout);
  if (process.stdout.isTTY && !process.env.CI && !opts.verbose) return new ListrReporter({ ...opts, color });
  return new PlainReporter({ ...opts, color });
}

export { PlainReporter, JsonReporter, ListrReporter };
