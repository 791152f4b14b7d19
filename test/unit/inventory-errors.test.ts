import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, displayPath, formatLocation } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/index.js';

const FIX = resolve('test/fixtures/inventories');

/** Every issue of a failed load, as "relative/file:line:col: message" lines. */
function issuesOf(...paths: string[]): string[] {
  try {
    loadInventory(paths.map((p) => join(FIX, p)));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => `${formatLocation({ ...i, field: undefined }).replace(displayPath(FIX) + '/', '')}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('inventory errors point at file:line:col', () => {
  it('hosts given as a list', () => {
    expect(issuesOf('bad/hosts-list.yml')).toEqual(['bad/hosts-list.yml:5:9: must be a mapping (name: value), not a list']);
  });

  it('children that is not a mapping', () => {
    expect(issuesOf('bad/children-not-mapping.yml')).toEqual([
      'bad/children-not-mapping.yml:6:17: must be a mapping (name: value), not a string ("realservers")',
    ]);
  });

  it('ansible_port out of range or not a number, bad lvsible_host_key_checking: all reported at once', () => {
    expect(issuesOf('bad/bad-port.yml')).toEqual([
      'bad/bad-port.yml:4:21: must be <= 65535',
      'bad/bad-port.yml:6:21: must be a whole number, not a string ("ssh")',
      'bad/bad-port.yml:8:32: must be one of: "strict", "accept-new", "off", got "maybe"',
    ]);
  });

  it('a group that is its own ancestor', () => {
    expect(issuesOf('bad/cycle.yml')).toEqual(['bad/cycle.yml:9:7: group "a" would be its own ancestor: a -> b -> c -> a']);
    expect(issuesOf('bad/cycle.ini')).toEqual(['bad/cycle.ini:5:1: group "a" would be its own ancestor: a -> b -> a']);
  });

  it('an unknown key in a group, pointed at itself', () => {
    expect(issuesOf('bad/unknown-key.yml')).toEqual([
      'bad/unknown-key.yml:4:3: unknown field "host" (a group holds only hosts, vars and children)',
    ]);
  });

  it('bad host ranges and ports', () => {
    expect(issuesOf('bad/bad-range.yml')).toEqual([
      'bad/bad-range.yml:3:15: host range [03:1]: zero-padded begin and end must have the same width',
      'bad/bad-range.yml:4:15: host range [1:3:0]: step must be a positive number',
      'bad/bad-range.yml:6:15: port 99999 in "lb1:99999" must be 1..65535',
    ]);
  });

  it('YAML syntax errors and inventory plugin configs', () => {
    expect(issuesOf('bad/syntax.yml')).toEqual(['bad/syntax.yml:5:1: YAML syntax: All mapping items must start at the same column']);
    expect(issuesOf('bad/plugin.yml')).toEqual([
      'bad/plugin.yml:1:9: inventory plugins ("plugin: aws_ec2") are not supported: list hosts and groups instead',
    ]);
  });

  it('INI mistakes, each at its line', () => {
    expect(issuesOf('bad/bad.ini')).toEqual([
      'bad/bad.ini:2:18: must be <= 65535',
      'bad/bad.ini:3:5: host lb2: expected key=value at column 5 (a word without "=")',
      'bad/bad.ini:6:1: section [directors:children] includes undefined group "missing_group" (declare it with a [missing_group] section)',
      'bad/bad.ini:8:1: section [typo:vars] is for a group that is never declared (no [typo] or [typo:children] section)',
      'bad/bad.ini:11:1: section [web:things] has unknown type "things" (expected [web], [web:vars] or [web:children])',
      'bad/bad.ini:14:1: section [realservers:vars] is for a group that is never declared (no [realservers] or [realservers:children] section)',
      'bad/bad.ini:15:1: expected key=value in [realservers:vars] (no "=" on this line)',
    ]);
  });

  it('group_vars/host_vars files: not a mapping, vault, quoted port, bad boolean', () => {
    expect(issuesOf('bad-vars')).toEqual([
      'bad-vars/group_vars/all.yml:1:1: must be a mapping (name: value), not a list',
      'bad-vars/group_vars/ungrouped:1:1: Ansible Vault files are not supported: decrypt it or pass secrets another way',
      'bad-vars/host_vars/h1.yml:1:15: must be a number, not the string "2222" (drop the quotes)',
      'bad-vars/host_vars/h1.yml:2:17: must be one of: true, false, "yes", "no", "true", "false", "True", "False", "on", "off", 1, 0, got "maybe"',
    ]);
  });

  it('names the field too, and collects issues from several sources into one error', () => {
    try {
      loadInventory([join(FIX, 'bad/bad-port.yml'), join(FIX, 'bad/hosts-list.yml'), join(FIX, 'nope.yml')]);
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.issues).toHaveLength(5);
      expect(err.issues[0]!.field).toBe('all.hosts.lb1.ansible_port');
      expect(err.issues[3]!.field).toBe('all.children.web.hosts');
      expect(err.issues[4]!.message).toMatch(/inventory source not found \(ENOENT\)/);
      expect(err.message).toContain('bad-port.yml:4:21 (all.hosts.lb1.ansible_port): must be <= 65535');
    }
  });

  it('does not leak a secret into an error message', () => {
    expect(issuesOf('bad-vars').join('\n')).not.toContain('6135'); // vault payload
    const msg = [...issuesOf('bad/secrets.ini'), ...issuesOf('bad/secrets.yml')].join('\n');
    expect(msg).not.toMatch(/hunter2|s3cret|true/);
    expect(issuesOf('bad/secrets.yml')).toEqual([
      'bad/secrets.yml:4:32: must be a string, not a boolean',
      'bad/secrets.yml:5:25: must be a string, not a list',
    ]);
    expect(issuesOf('bad/secrets.ini')).toHaveLength(3);
  });
});
