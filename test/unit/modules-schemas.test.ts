import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/config/source.js';
import { validate } from '../../src/config/validate.js';
import { modules } from '../../src/modules/index.js';

const MINE = ['package', 'sysctl', 'kernel_module', 'service', 'command', 'shell'];

describe('host-state module schemas', () => {
  it.each(MINE)('%s: closed, and every parameter documented', (name) => {
    const mod = modules[name]!;
    expect(mod.name).toBe(name);
    const schema = mod.schema as { additionalProperties: unknown; properties: Record<string, { description?: string }> };
    expect(schema.additionalProperties).toBe(false);
    for (const [prop, def] of Object.entries(schema.properties)) {
      expect(def.description, `${name}.${prop}`).toMatch(/\w{3,}/);
    }
  });

  // Each task as an operator would write it, and the message they get, at the line of the offending field.
  it.each([
    ['sysctl', 'name: net.ipv4.ip_forward\nvalu: 1\n', ['unknown field "valu"', 'missing required field "value"']],
    ['sysctl', 'name: net.ipv4.ip_forward\nstate: absent\n', []],
    ['sysctl', 'name: x\nvalue: 1\nsysctl_file: lvs.conf\n', ['3:14 (sysctl_file): does not look right']],
    ['sysctl', 'name: net/../../etc/passwd\nvalue: x\n', ['(name): does not look right']],
    ['sysctl', 'name: net.ipv4.conf.eth0.1.rp_filter\nvalue: 0\n', []],
    ['service', 'name: keepalived; reboot\n', ['(name): does not look right']],
    ['package', 'name: [ipvsadm, "nginx=1.2"]\n', ['1:17 (name[1]): does not look right']],
    ['kernel_module', 'name: "ip_vs; reboot"\n', ['(name): does not look right']],
    ['service', 'name: keepalived\nstate: running\n', ['2:8 (state): must be one of: "started", "stopped", "restarted", "reloaded"']],
    ['command', 'chdir: /tmp\n', ['missing required field "free_form"']],
    ['shell', 'free_form: ls | wc -l\nargv: [ls]\n', ['unknown field "argv"']],
    ['command', 'argv: [printf, "%s", "a b"]\ncreates: /x\n', []],
  ])('%s %j', (name, yaml, expected) => {
    const doc = parseYaml(yaml, 'task.yml');
    const issues = validate(modules[name]!.schema, doc.data, doc).map((i) => `${i.line}:${i.col}${i.field ? ` (${i.field})` : ''}: ${i.message}`);
    expect(issues.length).toBe(expected.length === 0 ? 0 : issues.length);
    for (const e of expected) expect(issues.join('\n')).toContain(e);
  });
});
