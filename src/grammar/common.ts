/**
 * Shared pieces of the file grammars. Every validator in src/grammar returns a reason (a phrase that reads
 * after the value: `"eth 0" contains a space`) or null when the value fits; `mustFit` turns a reason into a
 * thrown GrammarError for the renderers, which must never emit a file whose meaning a value could change.
 */
export type Reason = string | null;
export type Check = (value: string) => Reason;

/** A character as an operator can recognise it in an error: `a newline`, `"#"`, `U+0001`. */
export function describeChar(c: string): string {
  const named: Record<string, string> = { '\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab', ' ': 'a space', '\0': 'a NUL byte' };
  if (named[c]) return named[c]!;
  const cp = c.codePointAt(0)!;
  // Invisible ones (format characters, non-ASCII blanks) by code point: quoted they would show as nothing.
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || /\s/u.test(c) || INVISIBLE.test(c)) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return JSON.stringify(c);
}

/** Control characters (C0, DEL, C1) and the Unicode line/paragraph separators some readers treat as newlines. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * Characters that print as nothing or as a blank but are not ASCII: Unicode format characters (\p{Cf}: the
 * zero-width U+200B..U+200D, U+2060, U+FEFF, the bidi controls U+202A..U+202E and U+2066..U+2069, soft hyphen...)
 * and every non-ASCII space or separator (NBSP, U+2000..U+200A, U+3000...). `web\u200b1` shows as `web1` in
 * every listing and a bidi override reorders what follows it on screen, so a name holding one is not the name
 * an operator reads.
 */
const INVISIBLE = /[\p{Cf}\p{Zs}\p{Zl}\p{Zp}]/u;

export function invisibleChar(value: string): Reason {
  for (const c of value) {
    if (c !== ' ' && INVISIBLE.test(c)) return `contains ${describeChar(c)}, an invisible ${/\p{Cf}/u.test(c) ? 'format character (zero-width or bidi control)' : 'non-ASCII blank'} that makes the text read as something it is not`;
  }
  return null;
}

/**
 * `JSON.stringify` that also writes invisible characters as `\\uXXXX`: a message quoting a name with a bidi
 * override would otherwise reorder the rest of the operator's terminal line.
 */
export function quoteText(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.replace(/[\p{Cf}\p{Zs}\p{Zl}\p{Zp}]/gu, (c) => (c === ' ' ? c : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`));
}

export function controlChar(value: string): Reason {
  const m = CONTROL.exec(value);
  return m ? `contains ${describeChar(m[0])} (control characters are never valid here)` : null;
}

/** First character of `value` outside the allowed set, described; null when every character is allowed. */
export function outside(value: string, allowed: RegExp, why: string): Reason {
  for (const c of value) if (!allowed.test(c)) return `contains ${describeChar(c)} (${why})`;
  return null;
}

/** The first reason of several checks, or null. */
export function first(...reasons: (() => Reason)[]): Reason {
  for (const r of reasons) {
    const why = r();
    if (why) return why;
  }
  return null;
}

/** A value refused at render time: the renderer names which field of which object it came from. */
export class GrammarError extends Error {
  constructor(readonly field: string, readonly value: unknown, readonly reason: string) {
    super(`${field}: ${quoteText(value)} ${reason}`);
    this.name = 'GrammarError';
  }
}

/** `value` as a string when `check` accepts it; otherwise a GrammarError naming `field`. */
export function mustFit(field: string, value: unknown, check: Check): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') throw new GrammarError(field, value, `is a ${value === null ? 'null' : typeof value}, not text`);
  const why = check(text);
  if (why) throw new GrammarError(field, value, why);
  return text;
}

/** Integers in a range, for the numeric words of a file (ports, weights, marks). */
export function integer(min: number, max: number): Check {
  return (v) => (/^(0|[1-9]\d*)$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `is not an integer from ${min} to ${max}`);
}
