import type { Change, Plan, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { controlChar, kernelModuleName } from '../grammar/index.js';
import { combine, fileFact, fileText, mapFact, moduleLoadedFact, type FileState } from '../facts/index.js';
import { ParamChecks } from './checks.js';
import { atomicWriteSteps } from './files.js';
import { defineModule, noop, removeFileStep, rooted } from './util.js';

export interface KernelModuleParams {
  name: string;
  state?: 'present' | 'absent';
  params?: string;
  persistent?: boolean;
}

export interface KernelModuleState {
  loaded: boolean;
  /** /etc/modules-load.d/NAME.conf, undefined when absent. */
  loadFile?: string;
  /** /etc/modprobe.d/NAME.conf, undefined when absent. */
  optionsFile?: string;
}

/** modprobe treats `-` and `_` alike; the kernel names the module (and /sys/module/*) with `_`. */
export function canonicalModuleName(name: string): string {
  return name.trim().replace(/-/g, '_');
}

function norm(p: KernelModuleParams): KernelModuleParams & { state: 'present' | 'absent'; persistent: boolean } {
  return {
    ...p,
    name: canonicalModuleName(p.name),
    state: p.state ?? 'present',
    persistent: p.persistent ?? true,
    ...(p.params !== undefined ? { params: p.params.trim().split(/\s+/).filter(Boolean).join(' ') } : {}),
  };
}

const paths = (name: string) => ({
  load: `/etc/modules-load.d/${name}.conf`,
  options: `/etc/modprobe.d/${name}.conf`,
});

export const kernel_module = defineModule<KernelModuleParams, KernelModuleState>({
  name: 'kernel_module',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]+$',
        description: 'Kernel module name (ip_vs, ip_vs_wrr, ipip); `-` and `_` are equivalent, as for modprobe.',
      },
      state: { enum: ['present', 'absent'], description: 'present: loaded (default); absent: unloaded with modprobe -r.' },
      params: {
        type: 'string',
        pattern: '^[^\\n]*$',
        description:
          'Module options passed to modprobe and persisted as `options NAME PARAMS` in /etc/modprobe.d/NAME.conf (e.g. "conn_tab_bits=20"). Applies at the next load: a loaded module is not reloaded to change them. Omitted: that file is left alone.',
      },
      persistent: {
        type: 'boolean',
        description: 'Also load at boot via /etc/modules-load.d/NAME.conf (default true); with state absent, that file is removed.',
      },
    },
  },
  check: (p) =>
    new ParamChecks()
      .field('name', p.name, kernelModuleName)
      .field('params', p.params, (v) => controlChar(v)).issues,
  normalize: (p) => norm(p),
  read(p, ctx) {
    const n = norm(p);
    const f = paths(n.name);
    const read = combine({
      loaded: moduleLoadedFact(n.name, ctx.root),
      load: fileFact(rooted(ctx.root, f.load)),
      options: fileFact(rooted(ctx.root, f.options)),
    });
    return mapFact(read, (s): KernelModuleState => ({ loaded: s.loaded, loadFile: textOf(s.load), optionsFile: textOf(s.options) }));
  },
  plan(p, cur, ctx): Plan {
    const n = norm(p);
    const f = paths(n.name);
    const changes: Change[] = [];
    const words = n.params ? n.params.split(' ') : [];
    if (n.state === 'present') {
      if (n.persistent) {
        const load = `${n.name}\n`;
        if (cur.loadFile !== load) {
          changes.push({
            summary: `load ${n.name} at boot (${f.load})`,
            before: cur.loadFile ?? '',
            after: load,
            diffName: f.load,
            steps: write(rooted(ctx.root, f.load), load),
          });
        }
        if (n.params !== undefined) {
          const opts = n.params ? `options ${n.name} ${n.params}\n` : '';
          if ((cur.optionsFile ?? '') !== opts || (opts === '' && cur.optionsFile !== undefined)) {
            changes.push({
              summary: opts ? `set ${n.name} options "${n.params}" (${f.options})` : `remove ${n.name} options (${f.options})`,
              before: cur.optionsFile ?? '',
              after: opts,
              diffName: f.options,
              steps: opts ? write(rooted(ctx.root, f.options), opts) : [removeFileStep(rooted(ctx.root, f.options))],
            });
          }
        }
      }
      if (!cur.loaded) {
        changes.push({
          summary: `load kernel module ${n.name}${n.params ? ` ${n.params}` : ''}`,
          steps: [{ cmd: sh`modprobe ${n.name} ${words}`.trimEnd() }],
        });
      }
    } else {
      if (n.persistent && cur.loadFile !== undefined) {
        changes.push({
          summary: `do not load ${n.name} at boot (remove ${f.load})`,
          before: cur.loadFile,
          after: '',
          diffName: f.load,
          steps: [removeFileStep(rooted(ctx.root, f.load))],
        });
      }
      if (cur.loaded) {
        changes.push({ summary: `unload kernel module ${n.name}`, steps: [{ cmd: sh`modprobe -r ${n.name}` }] });
      }
    }
    if (changes.length) return changes;
    if (n.state === 'absent') return noop(`kernel module ${n.name} is not loaded${n.persistent ? `, and ${f.load} does not exist` : ''}`);
    const boot = n.persistent ? `, and ${f.load} loads it at boot` : '';
    const opts = n.persistent && n.params ? ` with options "${n.params}" (${f.options})` : '';
    return noop(`kernel module ${n.name} is loaded${boot}${opts}`);
  },
});

/** An unreadable file reads as empty text: it differs from what is wanted, so it is rewritten (or removed). */
function textOf(st: FileState): string | undefined {
  const t = fileText(st);
  return t === null ? '' : t;
}

/** modules-load.d and modprobe.d files are world-readable config: 0644, as this module always wrote them. */
const write = (path: string, content: string): Step[] => atomicWriteSteps(path, content, { mode: '0644', createDirs: true });
