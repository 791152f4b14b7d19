import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, patternProblems, resolvePattern, resolvePatternDetailed, splitPattern } from '../../src/inventory/index.js';

const inv = loadInventory([resolve('test/fixtures/inventories/yaml/hosts.yml')]);
const short = (hosts: string[]) => hosts.map((h) => h.replace('.example.com', ''));
const r = (pattern: string, limit?: string) => short(resolvePatternDetailed(inv, pattern, limit).hosts);

describe('host patterns (Ansible semantics, results in inventory order)', () => {
  it.each<[string, string[]]>([
    ['all', ['client', 'lb1', 'lb2', 'web01', 'web02', 'web03', 'nsa', 'nsb', 'fe80::10']],
    ['*', ['client', 'lb1', 'lb2', 'web01', 'web02', 'web03', 'nsa', 'nsb', 'fe80::10']],
    ['directors', ['lb1', 'lb2']],
    ['realservers', ['web01', 'web02', 'web03', 'nsa', 'nsb', 'fe80::10']], // child groups included
    ['ungrouped', ['client']],
    ['lb2.example.com', ['lb2']],
    ['fe80::10', ['fe80::10']], // an IPv6 address is not split on ':'
    // union: either separator; result in inventory order, not pattern order
    ['web:directors', ['lb1', 'lb2', 'web01', 'web02', 'web03']],
    ['dns,directors', ['lb1', 'lb2', 'nsa', 'nsb', 'fe80::10']],
    // globs over host and group names
    ['web0*', ['web01', 'web02', 'web03']],
    ['lb?.example.com', ['lb1', 'lb2']],
    ['web0[13].example.com', ['web01', 'web03']],
    ['web0[!13].example.com', ['web02']],
    ['dir*', ['lb1', 'lb2']], // a glob that matches a group name
    // regex, anchored at the start like Python's re.match
    ['~(lb|ns)[a-z0-9]\\.', ['lb1', 'lb2', 'nsa', 'nsb']],
    ['~example', []],
    // intersection and exclusion
    ['realservers:&web', ['web01', 'web02', 'web03']],
    ['realservers:!web', ['nsa', 'nsb', 'fe80::10']],
    ['all:!realservers:!ungrouped', ['lb1', 'lb2']],
    ['!directors', ['client', 'web01', 'web02', 'web03', 'nsa', 'nsb', 'fe80::10']], // only exclusions: start from all
    ['&directors', ['lb1', 'lb2']],
    // order of operations: unions, then intersections, then exclusions, wherever they are written
    ['!web01.example.com:web:&realservers:directors', ['web02', 'web03']],
    // subscripts into a group (inclusive end)
    ['web[0]', ['web01']],
    ['web[-1]', ['web03']],
    ['realservers[1:3]', ['web02', 'web03', 'nsa']],
    ['realservers[4:]', ['nsb', 'fe80::10']],
  ])('%s', (pattern, expected) => {
    expect(r(pattern)).toEqual(expected);
  });

  it('warns about terms that match nothing, without failing', () => {
    const warnings: string[] = [];
    const hosts = resolvePattern(inv, 'directors:nosuchgroup:!alsonothing', { warnings });
    expect(short(hosts)).toEqual(['lb1', 'lb2']);
    expect(warnings).toEqual([
      'Could not match supplied host pattern, ignoring: nosuchgroup',
      'Could not match supplied host pattern, ignoring: alsonothing',
    ]);
    expect(resolvePatternDetailed(inv, 'all').warnings).toEqual([]);
  });

  it('applies --limit as an intersection', () => {
    expect(r('realservers', 'web*:!web02*')).toEqual(['web01', 'web03']);
    expect(r('directors', 'realservers')).toEqual([]);
  });

  it('reads --limit @file as a list of host names', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lvsible-limit-'));
    try {
      writeFileSync(join(tmp, 'retry'), '# failed last time\nlb2.example.com\nweb03.example.com\n');
      expect(r('all', `@${join(tmp, 'retry')}`)).toEqual(['lb2', 'web03']);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('accepts a list of patterns (play hosts: as a YAML list)', () => {
    expect(short(resolvePattern(inv, ['directors', '!lb1.example.com']))).toEqual(['lb2']);
  });

  it('splits like Ansible', () => {
    expect(splitPattern('a:b:&c:!d')).toEqual(['a', 'b', '&c', '!d']);
    expect(splitPattern('web[1:3]:db')).toEqual(['web[1:3]', 'db']);
    expect(splitPattern(' a , b ')).toEqual(['a', 'b']);
    expect(splitPattern('2001:db8::1')).toEqual(['2001:db8::1']);
  });

  it('reports a bad regular expression', () => {
    expect(() => resolvePattern(inv, '~web(')).toThrow(/invalid regular expression in host pattern "~web\("/);
  });
});

describe('patterns that cannot be parsed are refused, not widened', () => {
  it.each([
    ['~[unclosed', /unclosed "\["/],
    ['dir[1:', /unclosed "\["/],
    ['web:!', /"!" .* names no group or host/],
    ['web:&', /"&" .* names no group or host/],
    ['~', /no regular expression/],
    ['~(a', /invalid regular expression/],
    ['web[3:1]', /ends before it starts/],
    ['web\u0007', /control character/],
    ['', /empty host pattern/],
  ])('%j', (pattern, message) => {
    const problems = patternProblems(pattern);
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(message);
  });

  it.each(['all', 'web', 'web:!dir1', 'web:&lvs_directors', 'web[0]', 'web[1:]', 'web[0:2]', 'db?.lan', 'web[ab]*', '~web\\d+', 'a,b', '2001:db8::1'])(
    'accepts %j',
    (pattern) => expect(patternProblems(pattern)).toEqual([]),
  );
});
