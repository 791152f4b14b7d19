import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote, raw, sh, splitWords } from '../../src/transport/quote.js';

/** The one quoting function: every inventory value reaches a shell through it. Checked against a real sh. */
const nasty = ["it's", 'a b', '$(rm -rf /)', '`id`', 'x;y', '"q"', 'back\\slash', 'new\nline', '', '*', '-n', 'ünï'];

describe('quote / sh / splitWords', () => {
  it('a real sh receives every value as one literal word', () => {
    const line = `printf '%s\\0' ${nasty.map(quote).join(' ')}`;
    const out = execFileSync('sh', ['-c', line]).toString('utf8');
    expect(out.split('\0').slice(0, -1)).toEqual(nasty);
  });

  it('sh`` quotes every interpolation, arrays become words, raw() goes in as is', () => {
    expect(sh`ip addr replace ${'198.51.100.10/32'} dev ${'lo'}`).toBe('ip addr replace 198.51.100.10/32 dev lo');
    expect(sh`echo ${["a b", 'c']} ${raw('&&')} true`).toBe("echo 'a b' c && true");
    expect(() => sh`x ${{} as unknown as string}`).toThrow(/cannot interpolate/);
  });

  it('splitWords is the inverse of quote', () => {
    const words = nasty.filter((w) => !w.includes('\n'));
    expect(splitWords(words.map(quote).join(' '))).toEqual(words);
    expect(splitWords(`-o "ProxyJump=a b" -J 'x'\\ y`)).toEqual(['-o', 'ProxyJump=a b', '-J', 'x y']);
    expect(() => splitWords(`echo "open`)).toThrow(/unterminated double quote/);
  });
});
