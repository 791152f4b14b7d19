import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { templateModule } from '../../src/modules/template.js';
import { renderString } from '../../src/playbook/template.js';
import { applyChange } from '../../src/engine/steps.js';
import { LocalConnection } from '../../src/transport/local.js';
import { converge, planOn, testContext } from '../helpers/converge.js';

let root: string;
let role: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lvsible-tpl-'));
  role = join(root, 'role');
  mkdirSync(join(role, 'templates'), { recursive: true });
  writeFileSync(
    join(role, 'templates', 'keepalived.conf.j2'),
    'vrrp_instance VI_1 {\n  priority {{ prio }}\n{% for v in vips %}  {{ v }}\n{% endfor %}  note "{{ note }}"\n}\n',
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

// Rendered as the engine renders .j2 files (src/engine/host.ts): our Jinja, in file mode.
const withVars = (vars: Record<string, unknown>) =>
  testContext(root, { baseDir: role, render: (t, extra) => renderString(t, { ...vars, ...(extra ?? {}) }, { file: true }) });

describe('template', () => {
  it('renders with the host vars, writes, then plans nothing', async () => {
    const ctx = withVars({ prio: 150, vips: ['10.0.0.10', '10.0.0.11'], note: `it's $HOME` });
    const { first, second } = await converge(templateModule, { src: 'keepalived.conf.j2', dest: '/etc/keepalived/keepalived.conf', mode: '0640' }, ctx);
    expect(first).toHaveLength(1);
    expect(second).toEqual([]);
    const text = readFileSync(`${root}/etc/keepalived/keepalived.conf`, 'utf8');
    expect(text).toBe('vrrp_instance VI_1 {\n  priority 150\n  10.0.0.10\n  10.0.0.11\n  note "it\'s $HOME"\n}\n');
  });

  it('a change of a variable is an update with a diff', async () => {
    const params = { src: 'keepalived.conf.j2', dest: '/etc/k.conf' };
    await converge(templateModule, params, withVars({ prio: 150, vips: [], note: '' }));
    const { changes } = await planOn(templateModule, params, withVars({ prio: 100, vips: [], note: '' }));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.before).toContain('priority 150');
    expect(changes[0]!.after).toContain('priority 100');
  });

  it('validate runs against the rendered file before it goes live', async () => {
    const params = { src: 'keepalived.conf.j2', dest: '/etc/k.conf', validate: 'grep -q "priority [0-9]" %s' };
    const good = withVars({ prio: 150, vips: [], note: '' });
    await converge(templateModule, params, good);
    const { changes } = await planOn(templateModule, params, withVars({ prio: 'x', vips: [], note: '' }));
    await expect(applyChange(new LocalConnection(), changes[0]!)).rejects.toThrow(/validation failed/);
    expect(readFileSync(`${root}/etc/k.conf`, 'utf8')).toContain('priority 150');
  });

  it('finds the template beside the role when not under templates/', async () => {
    writeFileSync(join(role, 'plain.j2'), '{{ a }}\n');
    const { second } = await converge(templateModule, { src: 'plain.j2', dest: '/p' }, withVars({ a: 'b' }));
    expect(second).toEqual([]);
    expect(readFileSync(`${root}/p`, 'utf8')).toBe('b\n');
  });

  it('a template error names the template file', () => {
    writeFileSync(join(role, 'templates', 'broken.j2'), '{% if %}\n');
    expect(() => templateModule.normalize!({ src: 'broken.j2', dest: '/b' }, withVars({}))).toThrow(/broken\.j2/);
  });

  it('noop row: identical rendered content and attrs plans []', async () => {
    const ctx = withVars({ prio: 1, vips: [], note: '' });
    const p = templateModule.normalize!({ src: 'keepalived.conf.j2', dest: '/x', mode: '0644' }, ctx);
    const { sha256 } = await import('../../src/modules/files.js');
    const st = { type: 'file' as const, mode: '0644', sha256: sha256(p.rendered!) };
    expect(templateModule.plan(p, st, ctx)).toEqual([]);
  });
});
