import { MAX_REGEX_INPUT, regexHazard } from '../../grammar/regex-safety.js';
import { JinjaError } from './values.js';

/**
 * Python `re` patterns and replacement strings, in JavaScript terms: `(?P<name>...)`, `(?P=name)`, `\A`, `\Z`,
 * leading inline flags `(?i)`, and `\1` / `\g<name>` in replacements. Compiled patterns are cached: a
 * selectattr over a thousand hosts compiles its pattern once. A pattern that could backtrack catastrophically
 * (`(a+)+`) is refused before it runs (see grammar/regex-safety.ts): a JavaScript regex cannot be interrupted.
 */

const cache = new Map<string, RegExp>();

export function pyRegex(pattern: string, flags = '', pos = -1): RegExp {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    let src = pattern;
    let f = flags;
    const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
    if (inline) {
      src = src.slice(inline[0].length);
      for (const c of inline[1]!) if ('ims'.includes(c) && !f.includes(c)) f += c;
    }
    src = src
      .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
      .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
      .replace(/\\A/g, '^')
      .replace(/\\Z/g, '$(?![\\s\\S])');
    try {
      re = new RegExp(src, f);
    } catch (e) {
      throw new JinjaError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`, pos);
    }
    const hazard = regexHazard(src, f);
    if (hazard) throw new JinjaError(`regular expression ${JSON.stringify(pattern)} refused: ${hazard}`, pos);
    if (cache.size > 500) cache.clear();
    cache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** The text a regex runs on, refused past MAX_REGEX_INPUT (1 MB): backtracking work grows with it. */
export function regexSubject(v: string, pos = -1): string {
  if (v.length > MAX_REGEX_INPUT) throw new JinjaError(`regular expressions run on at most ${MAX_REGEX_INPUT} characters; this text has ${v.length}`, pos);
  return v;
}

/** A Python re.sub replacement (`\1`, `\g<1>`, `\g<name>`) as a JavaScript one (`$1`, `$<name>`, `$$`). */
export function pyReplacement(rep: string): string {
  return rep
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<([A-Za-z_]\w*)>/g, '$$<$1>')
    .replace(/\\(\d{1,2})/g, '$$$1')
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\\\/g, '\\');
}
