import type { Module, Plan, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { controlChar } from '../grammar/index.js';
import { combine, fileFact, mapFact, treeDriftFact, type FileState } from '../facts/index.js';
import { fileChecks } from './checks.js';
import { attrDrift, attrSteps, describeAttrs, failStep, modeSchema, normalizeMode } from './files.js';
import { noop } from './util.js';

export interface FileParams {
  path: string;
  state?: 'file' | 'directory' | 'absent' | 'touch' | 'link';
  mode?: string | number;
  owner?: string;
  group?: string;
  src?: string;
  recurse?: boolean;
}

export interface FileModuleState extends FileState {
  /** With `recurse`: something below the directory has the wrong owner, group or mode. */
  treeDrift?: boolean;
}

const fullPath = (p: FileParams, root: string): string => root + p.path;

export const fileModule: Module<FileParams, FileModuleState> = {
  name: 'file',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: { type: 'string', pattern: '^/', description: 'Absolute path of the file, directory or link to manage.' },
      state: {
        enum: ['file', 'directory', 'absent', 'touch', 'link'],
        description:
          'file: must exist already (only attributes are managed); directory: created with parents; absent: removed (recursively); touch: created empty if missing (never re-touched, so a re-run is a no-op); link: a symlink to `src`.',
      },
      mode: modeSchema,
      owner: { type: 'string', minLength: 1, description: 'Owner, as a user name or numeric uid.' },
      group: { type: 'string', minLength: 1, description: 'Group, as a group name or numeric gid.' },
      src: { type: 'string', minLength: 1, description: 'Target of the symlink (state: link), written as given.' },
      recurse: { type: 'boolean', description: 'With state: directory, also apply owner, group and mode to everything below it.' },
    },
  },

  check: (p) =>
    fileChecks('path', p)
      // A link target may be relative, but it is still one line of `ln -s` and of every listing of it.
      .field('src', p.src, (v) => (v ? controlChar(v) : 'is empty')).issues,

  normalize(p) {
    const state = p.state ?? (p.src !== undefined ? 'link' : 'file');
    return { ...p, state, mode: normalizeMode(p.mode) };
  },

  read(p, ctx) {
    const path = fullPath(p, ctx.root);
    const want = { owner: p.owner, group: p.group, mode: normalizeMode(p.mode) };
    const tree = p.recurse && p.state === 'directory' && Object.values(want).some((v) => v !== undefined);
    if (!tree) return fileFact(path);
    return mapFact(combine({ file: fileFact(path), tree: treeDriftFact(path, want) }), (s) => ({ ...s.file, ...(s.tree ? { treeDrift: true } : {}) }));
  },

  plan(p, st, ctx): Plan {
    const path = fullPath(p, ctx.root);
    const want = { mode: normalizeMode(p.mode), owner: p.owner, group: p.group };
    const state = p.state ?? 'file';
    const attrs = (what: string, w = want, suffix = ''): Plan => {
      const drift = attrDrift(st, w);
      if (!drift.length && !st.treeDrift) {
        const below = state === 'directory' && p.recurse && describe(w) ? `, and everything below it has ${describe(w)}` : '';
        return noop(`${what} ${path}${suffix} exists${describeAttrs(st, w).replace(/^ and /, ' with ').replace(/^, /, ' with ')}${below}`);
      }
      const recurse = state === 'directory' && !!p.recurse && !!st.treeDrift;
      const summary = recurse ? `set ${describe(want)} on ${path} recursively` : `set ${drift.join(', ')} on ${what} ${path}`;
      return [{ summary, steps: attrSteps(path, st, w, recurse) }];
    };
    const fresh: FileState = { type: 'absent' };

    switch (state) {
      case 'absent':
        if (st.type === 'absent') return noop(`${path} is already absent`);
        return [{ summary: `remove ${st.type} ${path}`, steps: [{ cmd: sh`rm -rf -- ${path}` }] }];

      case 'file':
        if (st.type === 'file') return attrs('file');
        // Ansible's `state: file` never creates content: say why it cannot converge instead of inventing a file.
        return [{ summary: `${path} should be a file but is ${st.type}`, steps: [failStep(`${path} is ${st.type}: state: file does not create files (use touch or copy)`)] }];

      case 'touch':
        if (st.type === 'file') return attrs('file');
        if (st.type !== 'absent') return [{ summary: `${path} is a ${st.type}`, steps: [failStep(`${path} is a ${st.type}, not a file`)] }];
        return [{ summary: `create empty file ${path}`, steps: [{ cmd: sh`touch -- ${path}` }, ...attrSteps(path, fresh, want)] }];

      case 'directory':
        if (st.type === 'directory') return attrs('directory');
        if (st.type !== 'absent') return [{ summary: `${path} is a ${st.type}`, steps: [failStep(`${path} exists and is a ${st.type}, not a directory`)] }];
        return [
          {
            summary: `create directory ${path}${want.mode ? ` (mode ${want.mode})` : ''}`,
            steps: [{ cmd: sh`mkdir -p -- ${path}` }, ...attrSteps(path, fresh, want, !!p.recurse)],
          },
        ];

      case 'link': {
        const src = p.src ?? '';
        // A link's own mode means nothing on Linux (always 0777): only its owner is managed.
        if (st.type === 'link' && st.target === src) return attrs('link', { ...want, mode: undefined }, ` -> ${src}`);
        if (st.type === 'directory') return [{ summary: `${path} is a directory`, steps: [failStep(`${path} is a directory; refusing to replace it with a link`)] }];
        const was = st.type === 'link' ? ` (was -> ${st.target})` : st.type === 'absent' ? '' : ` (replacing ${st.type})`;
        // ln -sfn: a link pointing at a directory is replaced, not followed into.
        const steps: Step[] = [{ cmd: sh`ln -sfn -- ${src} ${path}` }];
        if (want.owner !== undefined || want.group !== undefined) steps.push(...attrSteps(path, { type: 'link' }, { ...want, mode: undefined }));
        return [{ summary: `link ${path} -> ${src}${was}`, before: st.target, after: src, diffName: path, steps }];
      }
    }
  },
};

function describe(w: { mode?: string; owner?: string; group?: string }): string {
  return [w.mode && `mode ${w.mode}`, w.owner && `owner ${w.owner}`, w.group && `group ${w.group}`].filter(Boolean).join(', ');
}
