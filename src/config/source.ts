import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { currentSecrets, secretTag } from './secrets.js';

export type PathSegment = string | number;

/** A parsed YAML file that still knows where each value came from, so errors can name file:line:col. */
export interface SourceDoc {
  file: string;
  data: unknown;
  /** Line and column (1-based) of the value at `path`, or of its nearest existing parent. */
  locate(path: PathSegment[]): { line: number; col: number };
}

export function parseYaml(text: string, file: string): SourceDoc {
  const lineCounter = new LineCounter();
  // YAML 1.1, as Ansible reads it (PyYAML): `become: yes` is true and `mode: 0644` is octal, so existing
  // playbooks and inventories mean the same thing here.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.1', customTags: [secretTag] });
  const issues: ConfigIssue[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return { file, line: pos.line, col: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
  });
  // Secrets are recorded before anything can fail on them (docs/secrets.md), from the text when it did not parse.
  if (issues.length) {
    currentSecrets().collectFromText(text);
    throw new ConfigError(issues);
  }
  const data = doc.toJS({ maxAliasCount: 1000 }) ?? null;
  currentSecrets().collect(data);
  return {
    file,
    data,
    locate: (path) => locateIn(doc, lineCounter, path),
  };
}

export function loadYaml(file: string): SourceDoc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([{ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  return parseYaml(text, file);
}

function locateIn(doc: Document, lc: LineCounter, path: PathSegment[]): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best: Node | null = (doc.contents as Node | null) ?? null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === String(seg));
      if (!pair) break;
      // Point at the key when the value is missing or empty, otherwise at the value.
      best = ((pair.value as Node | null) ?? (pair.key as Node)) || best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      best = item;
      node = item;
    } else break;
  }
  const offset = best?.range?.[0] ?? 0;
  return lc.linePos(offset);
}

/** Turn a path into the dotted form shown to operators: `tasks[2].sysctl.value`. */
export function formatPath(path: PathSegment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** An issue located at `path` inside `doc`. */
export function issueAt(doc: SourceDoc, path: PathSegment[], message: string): ConfigIssue {
  const { line, col } = doc.locate(path);
  return { file: doc.file, line, col, field: formatPath(path) || undefined, message };
}
