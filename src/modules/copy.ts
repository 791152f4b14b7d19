import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Module, ModuleContext, Plan } from '../types.js';
import { ConfigError } from '../errors.js';
import { writeChecks } from './checks.js';
import { fileFact, sha256, type FileState } from '../facts/index.js';
import { modeSchema, normalizeMode, planFileContent } from './files.js';

export interface CopyParams {
  dest: string;
  content?: string;
  src?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  backup?: boolean;
  validate?: string;
  /** Filled by normalize: the bytes to write, base64 (so binary sources survive JSON plans). */
  contentBase64?: string;
}

/** Properties copy and template share: where the file goes and how it is written. */
export const writeProperties = {
  dest: { type: 'string', pattern: '^/', description: 'Absolute path of the file on the host. Parent directories are created.' },
  mode: modeSchema,
  owner: { type: 'string', minLength: 1, description: 'Owner of the file (user name or uid). Default: kept, or the connecting user for a new file.' },
  group: { type: 'string', minLength: 1, description: 'Group of the file (group name or gid).' },
  backup: { type: 'boolean', description: 'Before replacing the file, keep the old one as DEST.YYYYmmddHHMMSS~.' },
  validate: {
    type: 'string',
    minLength: 1,
    description:
      "Command that checks the new file before it replaces the live one; %s is the new file's temporary path (e.g. 'keepalived -t -f %s'). If it fails, the live file is left untouched.",
  },
} as const;

/**
 * Find a local source file the way Ansible does: relative to the role's `subdir` (files/, templates/) first,
 * then to the role or playbook directory itself.
 */
export function resolveLocal(src: string, ctx: ModuleContext, subdir: string, module: string): string {
  const candidates = isAbsolute(src) ? [src] : [join(ctx.baseDir, subdir, src), join(ctx.baseDir, src)];
  const found = candidates.find((c) => statSync(c, { throwIfNoEntry: false })?.isFile());
  if (found) return found;
  throw new ConfigError([{ file: ctx.baseDir, field: `${module}.src`, message: `${module}: source ${JSON.stringify(src)} not found (looked in ${candidates.join(', ')})` }]);
}

export function readLocal(src: string, ctx: ModuleContext, subdir: string, module: string): Buffer {
  return readFileSync(resolveLocal(src, ctx, subdir, module));
}

function desiredBytes(p: CopyParams, ctx: ModuleContext): Buffer {
  if (p.contentBase64 !== undefined) return Buffer.from(p.contentBase64, 'base64');
  if (p.content !== undefined) return Buffer.from(p.content, 'utf8');
  return readLocal(p.src ?? '', ctx, 'files', 'copy');
}

/** Plan a file write shared by copy and template: content drift rewrites, attribute drift chmods/chowns. */
export function planWrite(p: Omit<CopyParams, 'content' | 'src'>, st: FileState, content: Buffer, ctx: ModuleContext): Plan {
  return planFileContent(
    ctx.root + p.dest,
    st,
    content,
    { mode: normalizeMode(p.mode), owner: p.owner, group: p.group, backup: p.backup, validate: p.validate, createDirs: true },
  );
}

export const copyModule: Module<CopyParams, FileState> = {
  name: 'copy',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dest'],
    anyOf: [{ required: ['content'] }, { required: ['src'] }],
    properties: {
      ...writeProperties,
      content: { type: 'string', description: 'The exact content of the file (use this or src).' },
      src: { type: 'string', minLength: 1, description: "Local file to copy, relative to the role's files/ directory, then to the role or playbook directory." },
    },
  },

  check: writeChecks,

  normalize(p, ctx) {
    if (p.content !== undefined && p.src !== undefined) throw new Error('copy: src and content are mutually exclusive');
    const bytes = desiredBytes(p, ctx);
    return { ...p, mode: normalizeMode(p.mode), contentBase64: bytes.toString('base64') };
  },

  read: (p, ctx) => fileFact(ctx.root + p.dest, sha256(desiredBytes(p, ctx))),

  plan: (p, st, ctx) => planWrite(p, st, desiredBytes(p, ctx), ctx),
};
