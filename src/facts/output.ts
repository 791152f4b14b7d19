import type { Fact } from './sections.js';

/**
 * The two smallest facts: what a command printed, and whether a test succeeded. `cmd`/`test` are already-built
 * sh fragments (through `sh`/`quote`); their stderr is the caller's to silence.
 */

/** The command's stdout as one line: newlines become spaces, ends trimmed (systemctl answers, is-enabled). */
export function outputFact(cmd: string, name?: string): Fact<string> {
  return { ...(name ? { name } : {}), script: cmd, parse: (out) => out.split('\n').join(' ').trim() };
}

/** `yes` when the test succeeds, else `no`: a boolean that no output of the test itself can change. */
export function statusFact(test: string, name?: string): Fact<boolean> {
  return { ...(name ? { name } : {}), script: `if ${test}; then echo yes; else echo no; fi`, parse: (out) => out.trim() === 'yes' };
}
