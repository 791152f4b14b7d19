import { randomBytes } from 'node:crypto';
import type { Probe } from '../types.js';
import { sh } from '../transport/quote.js';

/**
 * The one framing format of every read: how several facts share one snippet (`combine`), and how the engine
 * puts many tasks' reads into one exec (`batchProbe`). A framed output is
 *
 *     \n@@NONCE key1\n<bytes fact 1 printed>\n@@NONCE key2\n<bytes fact 2 printed>\n@@NONCE end\n
 *
 * NONCE is 16 hex digits drawn fresh for every framed read, so what a fact prints (a file's content, ipvsadm
 * output, a hostile unit name) cannot forge a boundary: it would have to guess the nonce before the read ran.
 * Every marker starts with its own newline, so a fact whose output has no trailing newline cannot swallow the
 * next marker, and each section is given back byte for byte (the one added newline is taken off again).
 * The parser learns the nonce from the first marker, which is always ours (the snippet prints it before any
 * fact runs): a parser needs no state but the text, and tests can frame outputs with `frame`.
 */

/** A named fact: one shell snippet and one pure parser. `name` says what was read ("sysctl net.ipv4.ip_forward"). */
export interface Fact<S> extends Probe<S> {
  name?: string;
}

/** A framed read: a Fact, plus whether a given output ran to its end (a cut exec would lose sections). */
export interface Framed<S> extends Fact<S> {
  nonce: string;
  ended(stdout: string): boolean;
}

/** A read that stopped before its end, or text that is not a framed read: never planned from. */
export class IncompleteReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompleteReadError';
  }
}

const NONCE = /^[0-9a-f]{16}$/;
/** Keys are words of code (positions, part names, sysctl names): never blank, never a line of their own. */
const KEY = /^[A-Za-z0-9_.:\/@+-]+$/;

export const newNonce = (): string => randomBytes(8).toString('hex');

/** Shell fragment printing the marker of `key` (facts that frame dynamically, like the IPVS read, use it). */
export function marker(nonce: string, key: string): string {
  if (!NONCE.test(nonce) || !KEY.test(key)) throw new Error(`bad section marker ${nonce} ${key}`);
  return sh`printf '\\n@@%s %s\\n' ${nonce} ${key}`;
}

/** What a framed output holds: its sections by key, and whether the end marker came. */
export interface Split {
  nonce: string;
  sections: Map<string, string>;
  ended: boolean;
}

/** Cut a framed output into its sections (indexOf only: IPVS captures of a big director are megabytes). */
export function splitFramed(stdout: string): Split {
  const nonce = stdout.slice(3, 19);
  if (!stdout.startsWith('\n@@') || !NONCE.test(nonce) || stdout[19] !== ' ') {
    throw new IncompleteReadError(`not a framed read (it starts ${JSON.stringify(stdout.slice(0, 40))})`);
  }
  const tag = `\n@@${nonce} `;
  const sections = new Map<string, string>();
  let pos = 0;
  while (stdout.startsWith(tag, pos)) {
    const eol = stdout.indexOf('\n', pos + tag.length);
    if (eol < 0) break;
    const key = stdout.slice(pos + tag.length, eol);
    if (key === 'end') return { nonce, sections, ended: true };
    if (sections.has(key)) throw new IncompleteReadError(`section ${key} appears twice in one read`);
    const next = stdout.indexOf(tag, eol);
    const end = next < 0 ? stdout.length : next;
    sections.set(key, stdout.slice(eol + 1, end));
    if (next < 0) break;
    pos = next;
  }
  return { nonce, sections, ended: false };
}

/** The bytes a framed snippet prints for these section outputs: the format's reference, and the tests' input. */
export function frame(outputs: Record<string, string>, nonce = newNonce(), ended = true): string {
  const body = Object.entries(outputs).map(([k, v]) => `\n@@${nonce} ${k}\n${v}`).join('');
  return ended ? `${body}\n@@${nonce} end\n` : body;
}

type Parts = Record<string, Probe<unknown> | undefined>;
export type Combined<T extends Parts> = { [K in keyof T]: T[K] extends Probe<infer S> ? S : undefined };

/** The snippet that runs `parts` in order, each in its own subshell (no variable, `set --` or exit leaks). */
function framedScript(nonce: string, parts: Array<[string, Probe<unknown>]>, quiet: boolean): string {
  // A batch drops its reads' stderr, as the engine always did: a read's complaints are not the exec's failure.
  const redirect = quiet ? '2>/dev/null </dev/null' : '</dev/null';
  const body = parts.map(([k, p]) => `${marker(nonce, k)}\n( ${p.script}\n) ${redirect}`);
  return [...body, marker(nonce, 'end')].join('\n');
}

/**
 * Several facts as one read: `combine({ content: fileFact(p), live: sysctlFact(n) })` reads both in one
 * snippet and parses to `{ content: FileState, live: LiveSysctl }`. An undefined part is not read (its key
 * parses to undefined): a module can leave out what its params do not need.
 */
export function combine<T extends Parts>(parts: T, name?: string, quiet = false): Framed<Combined<T>> {
  const nonce = newNonce();
  const present = Object.entries(parts).filter((e): e is [string, Probe<unknown>] => e[1] !== undefined);
  return {
    ...(name ? { name } : {}),
    nonce,
    script: framedScript(nonce, present, quiet),
    ended: (stdout) => splitFramed(stdout).ended,
    parse(stdout) {
      const split = splitFramed(stdout);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(parts)) out[key] = undefined;
      for (const [key, p] of present) {
        const text = split.sections.get(key);
        if (text === undefined || !split.ended) throw new IncompleteReadError(`the read${name ? ` of ${name}` : ''} stopped before its ${key} part`);
        out[key] = p.parse(text);
      }
      return out as Combined<T>;
    },
  };
}

/**
 * Many tasks' reads in one exec, for the engine: the same format with positions as keys, and a fresh nonce
 * per call. Check `ended(stdout)` before `parse`: a read cut short is a failed command, not empty state.
 */
export function batchProbe(probes: Probe<unknown>[]): Framed<unknown[]> {
  const parts: Record<string, Probe<unknown>> = {};
  probes.forEach((p, i) => (parts[String(i)] = p));
  const c = combine(parts, undefined, true);
  return { ...c, parse: (stdout) => Object.values(c.parse(stdout)) };
}

/** A fact whose parsed state is reshaped (a module's view of a general fact). */
export function mapFact<A, B>(fact: Probe<A>, fn: (a: A) => B, name?: string): Fact<B> {
  const label = name ?? (fact as Fact<A>).name;
  return { ...(label ? { name: label } : {}), script: fact.script, parse: (out) => fn(fact.parse(out)) };
}
