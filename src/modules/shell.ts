import { sh } from '../transport/quote.js';
import { commandResult, commonSchema, planRun, readGuards, type CommandParams, type CommandState } from './command.js';
import { defineModule } from './util.js';
import { guardChecks } from './checks.js';

/** Like `command`, but the line is a shell script: pipes, redirections, `$VARS` and globs work. */
export const shell = defineModule<CommandParams, CommandState>({
  name: 'shell',
  alwaysRuns: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { ...commonSchema },
    anyOf: [{ required: ['free_form'] }, { required: ['cmd'] }],
  },
  check: guardChecks,
  read: readGuards,
  // Through /bin/sh explicitly: the remote user's login shell may not be POSIX.
  plan: (p, cur, ctx) =>
    planRun(p, cur, ctx, (q) => {
      const script = q.cmd ?? q.free_form ?? '';
      return { line: sh`sh -c ${script}`, shown: script };
    }),
  registerResult: commandResult,
});
