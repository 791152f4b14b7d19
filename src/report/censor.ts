import type { EngineEvent, TaskEvent } from '../engine/events.js';
import { Redactor } from '../engine/redact.js';

/** Ansible's words for a hidden result, so operators recognise them. */
export const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
export const NO_LOG_CHANGE = 'details hidden (no_log)';

/**
 * A `no_log` task as every reporter shows it: which task, on which host, how it ended and how many changes,
 * but no command, diff, output, loop item or failure text. Done here, at the reporters' door, so that no
 * reporter (plain, listr, --json, -v, --diff) can forget a field.
 */
export function censorTask(e: TaskEvent): TaskEvent {
  if (!e.noLog) return e;
  const { output, message, item: _item, noop: _noop, changes, ...kept } = e;
  return {
    ...kept,
    changes: changes.map(() => ({ summary: NO_LOG_CHANGE, commands: [] })),
    ...(message !== undefined ? { message: NO_LOG_MESSAGE } : {}),
    ...(output !== undefined ? { output: NO_LOG_MESSAGE } : {}),
  };
}

/**
 * What a reporter may see of an event: no_log parts removed, then every known secret masked. The engine
 * masks its events already; doing it again here covers what reaches a reporter from elsewhere (inventory
 * warnings, verify results) and whatever a secret turned out to be after the event was made.
 */
export function safeEvents(onEvent: (e: EngineEvent) => void): (e: EngineEvent) => void {
  const redactor = new Redactor();
  return (e) => onEvent(redactor.deep(e.type === 'task' ? censorTask(e) : e));
}
