/**
 * YAML tags lvsible does not read are refused where they are written (issue 8, corpus cases 418 and 419), rather
 * than read as the plain text the yaml package falls back to: `!vault` ciphertext would become a sysctl value,
 * `!!python/object/apply` a list.
 */
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/config/source.js';
import { ConfigError } from '../../src/errors.js';

function issues(text: string) {
  try {
    parseYaml(text, 'site.yml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

describe('YAML tags', () => {
  it('!vault is refused at the tag, with its field, as not supported yet', () => {
    const got = issues('- hosts: all\n  vars:\n    fwd: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n          6231\n');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ file: 'site.yml', line: 3, col: 10, field: '[0].vars.fwd' });
    expect(got[0]!.message).toMatch(/Vault .*not supported yet/);
    expect(got[0]!.message).not.toContain('\n');
  });
  it.each([
    ['v: !!python/object/apply:os.system ["echo hi"]', /unknown YAML tag !!python\/object\/apply:os.system/, 4],
    ['v: !whatever x', /unknown YAML tag !whatever/, 4],
    ['v: !<tag:example.com,2000:app/foo> x', /unknown YAML tag tag:example.com,2000:app\/foo/, 4],
    ['v: !unsafe "{{ x }}"', /!unsafe tag is not supported yet/, 4],
    ['v: !!binary aGk=', /!!binary is not supported/, 4],
    ['v: !!timestamp 2001-12-14', /!!timestamp is not supported/, 4],
    ['v: !!set {a}', /!!set is not supported/, 4],
    ['v: [1, !nope 2]', /unknown YAML tag !nope/, 8],
    ['!odd k: 1', /unknown YAML tag !odd/, 1],
  ])('%s is refused', (text, why, col) => {
    const got = issues(`${text}\n`);
    expect(got).toHaveLength(1);
    expect(got[0]!.message).toMatch(why);
    expect(got[0]).toMatchObject({ line: 1, col });
  });
  it('every bad tag is reported in one run', () => {
    expect(issues('a: !x 1\nb: !y 2\n').map((i) => i.line)).toEqual([1, 2]);
  });
  it('the core tags and !secret are read as before', () => {
    const doc = parseYaml('s: !!str 1\ni: !!int "7"\nb: !!bool yes\nf: !!float 1.5\nnil: !!null ""\nq: !!seq [1]\nm: !!map {a: 1}\nk: !secret hush-77\nbase: &b {x: 1}\nmerged: {<<: *b, z: 2}\n', 'x.yml');
    expect(doc.data).toEqual({ s: '1', i: 7, b: true, f: 1.5, nil: null, q: [1], m: { a: 1 }, k: 'hush-77', base: { x: 1 }, merged: { x: 1, z: 2 } });
  });
});
