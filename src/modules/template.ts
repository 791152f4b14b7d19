import type { Module, ModuleContext } from '../types.js';
import { TemplateError } from '../playbook/template.js';
import { writeChecks } from './checks.js';
import { fileFact, sha256, type FileState } from '../facts/index.js';
import { normalizeMode } from './files.js';
import { planWrite, readLocal, resolveLocal, writeProperties } from './copy.js';

export interface TemplateParams {
  src: string;
  dest: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  backup?: boolean;
  validate?: string;
  /** Filled by normalize: the rendered text, so plan stays pure and the template is rendered once. */
  rendered?: string;
}

function render(p: TemplateParams, ctx: ModuleContext): string {
  if (p.rendered !== undefined) return p.rendered;
  const text = readLocal(p.src, ctx, 'templates', 'template').toString('utf8');
  try {
    return ctx.render(text);
  } catch (e) {
    // The template engine names the line and column but not the file: add it, so the operator knows which template broke.
    // Keep it a TemplateError with its undefined names: the precheck leaves facts-only ones for run time.
    const where = resolveLocal(p.src, ctx, 'templates', 'template');
    if (e instanceof TemplateError) throw new TemplateError(`template ${where}${e.line ? `:${e.line}:${e.col}` : ''}: ${e.message}`, e.template, e.undefinedNames, e.line, e.col);
    throw new Error(`template ${where}: ${(e as Error).message}`);
  }
}

export const templateModule: Module<TemplateParams, FileState> = {
  name: 'template',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: {
        type: 'string',
        minLength: 1,
        description: "Jinja2 template (.j2), relative to the role's templates/ directory, then to the role or playbook directory. Rendered with the host's variables.",
      },
      ...writeProperties,
    },
  },

  check: writeChecks,
  normalize: (p, ctx) => ({ ...p, mode: normalizeMode(p.mode), rendered: render(p, ctx) }),

  read: (p, ctx) => fileFact(ctx.root + p.dest, sha256(render(p, ctx))),

  plan: (p, st, ctx) => planWrite(p, st, Buffer.from(render(p, ctx), 'utf8'), ctx),
};
