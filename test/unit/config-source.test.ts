import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseYaml } from '../../src/config/source.js';
import { validate } from '../../src/config/validate.js';

describe('YAML with positions', () => {
  it('reads YAML 1.1 as Ansible does: yes/no are booleans, 0644 is octal', () => {
    const doc = parseYaml('become: yes\ngather_facts: no\nmode: 0644\nname: "yes"\n', 'pb.yml');
    expect(doc.data).toEqual({ become: true, gather_facts: false, mode: 0o644, name: 'yes' });
  });

  it('locates nested fields, and their parents when a field is missing', () => {
    const doc = parseYaml('- hosts: all\n  tasks:\n    - name: x\n      sysctl:\n        name: a\n        value: 1\n', 'pb.yml');
    expect(doc.locate([0, 'tasks', 0, 'sysctl', 'value'])).toEqual({ line: 6, col: 16 });
    expect(doc.locate([0, 'tasks', 0, 'nope'])).toEqual({ line: 3, col: 7 });
  });

  it('reports syntax errors and duplicate keys with their line', () => {
    const err = (() => {
      try {
        parseYaml('a: 1\na: 2\nb: [\n', 'bad.yml');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.issues[0]).toMatchObject({ file: 'bad.yml', line: 2 });
    expect(err!.issues.length).toBeGreaterThanOrEqual(2);
  });

  it('words schema errors for operators and lists them all at once', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string' }, weight: { type: 'integer', minimum: 0, maximum: 65535 }, method: { enum: ['nat', 'dr', 'tun'] } },
    };
    const doc = parseYaml('weight: 70000\nmethod: drr\nextra: 1\n', 'c.yml');
    const issues = validate(schema, doc.data, doc);
    expect(issues.map((i) => `${i.line}:${i.field ?? ''}:${i.message}`).sort()).toEqual([
      '1::missing required field "name"',
      '1:weight:must be <= 65535',
      '2:method:must be one of: "nat", "dr", "tun", got "drr"',
      '3:extra:unknown field "extra"',
    ]);
  });
});
