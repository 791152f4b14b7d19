/**
 * Regexes that could backtrack catastrophically are refused before they run (issue 8, corpus case 412): a
 * JavaScript regex cannot be interrupted, so `(a+)+$` on 30 a's and a `!` would hang `lvsible plan` for good.
 * The same check guards template filters and tests and `~regex` host patterns.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REGEX_INPUT, regexHazard } from '../../src/grammar/regex-safety.js';
import { patternProblems } from '../../src/inventory/patterns.js';
import { renderString, TemplateError } from '../../src/playbook/template.js';

const UNSAFE = [
  '(a+)+', '(a*)*', '(a+)*', '(a|aa)+', '(\\w+\\s?)+', '(.*a){20}', '^(a+)+$', '(?:a+){2,}', '(\\d{1,3}\\.?)+',
  '(a+|b)+', '(\\d|\\w)+', '(?=(a+)+$)', '((a+))+', '(a+a)+', '(a+b?a+c)+', '([a-z]*)*x', '(.*?,){11}P',
];
const SAFE = [
  'a+', '^web\\d+$', '(\\d{1,3}\\.){3}\\d{1,3}', '([a-z0-9-]+\\.)+[a-z]+', '(a+b)+', '(ba+)+', '(a+b+)+',
  '(eth|ens)\\d+', '(eth|ens)+', '(foo|bar)+', '[a+]+', '(\\s|\\w)+', '(a+ab)+', '^(\\w+)=(.*)$', '(a|b){2}',
  '\\d+(\\.\\d+)*', '(\\w+,\\s*)+', '(?:[^/]+/)+', '((ab)*c)+', '^\\s*#', '(?<k>\\w+):(?<v>.*)',
];

describe('regexHazard', () => {
  it.each(UNSAFE)('refuses %s', (re) => {
    expect(regexHazard(re)).toMatch(/could take exponential time/);
  });
  it.each(SAFE)('accepts %s', (re) => {
    expect(regexHazard(re)).toBeNull();
  });
  it('case folding counts: (a|A)+ overlaps only with the i flag', () => {
    expect(regexHazard('(a|A)+')).toBeNull();
    expect(regexHazard('(a|A)+', 'i')).toMatch(/alternatives/);
  });
});

describe('template regexes', () => {
  it('the corpus 412 template is refused with the regex and why, within a second', () => {
    const t0 = Date.now();
    let err: unknown;
    try {
      renderString("{{ ('a' * 30 ~ '!') | regex_replace('(a+)+$', 'b') }}", {});
    } catch (e) {
      err = e;
    }
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as Error).message).toMatch(/regular expression "\(a\+\)\+\$" refused: nested quantifier in \(a\+\)\+: could take exponential time/);
  });
  it.each([
    "{{ 'x' | regex_search('(a*)*b') }}",
    "{{ 'x' | regex_findall('(\\w+\\s?)+$') }}",
    "{{ 'x' is match('(a|aa)+$') }}",
    "{{ ['x'] | select('search', '(.*a){20}') | list }}",
  ])('refuses %s', (t) => {
    expect(() => renderString(t, {})).toThrow(/could take exponential time/);
  });
  it('safe regexes still work', () => {
    expect(renderString("{{ '10.0.0.1' | regex_search('(\\d{1,3}\\.){3}\\d{1,3}') }}", {})).toBe('10.0.0.1');
    expect(renderString("{{ 'web01.lan' | regex_replace('^([a-z0-9-]+\\.)+', '') }}", {})).toBe('lan');
  });
  it('the text a regex runs on is bounded', () => {
    expect(() => renderString("{{ s | regex_search('b') }}", { s: 'a'.repeat(MAX_REGEX_INPUT + 1) })).toThrow(/at most 1000000 characters/);
    expect(renderString("{{ s | regex_search('a$') }}", { s: 'a'.repeat(1000) })).toBe('a');
  });
});

describe('~regex host patterns', () => {
  it('refuses a catastrophic one and accepts a plain one', () => {
    expect(patternProblems('~(w+)+$').join()).toMatch(/nested quantifier/);
    expect(patternProblems('~web\\d+')).toEqual([]);
  });
});
