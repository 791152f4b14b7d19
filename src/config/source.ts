import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigError, type ConfigIssue, type SourceLocation } from '../errors.js';
import { checkText, readInputText } from './read.js';
import { checkYamlStructure, MAX_DEPTH, parseBounded } from './yaml-limits.js';
import { currentSecrets, secretTag } from './secrets.js';
import { quoteText } from '../grammar/common.js';

export type PathSegment = string | number;

/** A parsed YAML file that still knows where each value came from, so errors can name file:line:col. */
export interface SourceDoc {
  file: string;
  data: unknown;
  /** Line and column (1-based) of the value at `path`, or of its nearest existing parent. */
  locate(path: PathSegment[]): { line: number; col: number };
  /** Same, but of the key itself when `path` ends at a mapping key (errors about a name, not its value). */
  locateKey?(path: PathSegment[]): { line: number; col: number };
}

/** YAML text given directly (`-e '{...}'`, `--cluster -`, tests): the same text checks as a file's. */
export function parseYaml(text: string, file: string): SourceDoc {
  checkText(text, file);
  return parseChecked(text, file);
}

/** Read a YAML file through the one input reader (size, encoding, binary, NUL: src/config/read.ts). */
export function loadYaml(file: string): SourceDoc {
  return parseChecked(readInputText(file), file);
}

function parseChecked(text: string, file: string): SourceDoc {
  const lineCounter = new LineCounter();
  // YAML 1.1, as Ansible reads it (PyYAML): `become: yes` is true and `mode: 0644` is octal, so existing
  // playbooks and inventories mean the same thing here. Duplicate keys are found by checkYamlStructure
  // (yaml's uniqueKeys is quadratic in the size of a mapping).
  const parsed = guard(file, () =>
    parseBounded(text, { lineCounter, prettyErrors: false, uniqueKeys: false, version: '1.1', customTags: [secretTag] }),
  );
  if ('tooDeepAt' in parsed) {
    throw new ConfigError([{ file, ...lineCounter.linePos(parsed.tooDeepAt), message: `nesting deeper than ${MAX_DEPTH} levels` }]);
  }
  const doc = parsed;
  const issues: ConfigIssue[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    // yaml's own wording speaks to programmers ("use YAML.parseAllDocuments()"): say what is wrong in the file.
    const message = e.code === 'MULTIPLE_DOCS' ? 'a second YAML document (---): this file must hold one' : e.message.split('\n')[0];
    return { file, line: pos.line, col: pos.col, message: `YAML syntax: ${message}` };
  });
  // Tags before the structure check: it puts aliased nodes in place of their aliases, and this walk skips aliases.
  issues.push(...checkTags(doc, lineCounter, text, file));
  issues.push(...checkYamlStructure(doc, lineCounter, file));
  // Secrets are recorded before anything can fail on them (docs/secrets.md), from the text when it did not parse.
  if (issues.length) {
    currentSecrets().collectFromText(text);
    throw new ConfigError(sortByPosition(issues));
  }
  // No alias is left (checkYamlStructure put each one's node in its place), so yaml's alias count is moot.
  const data = guard(file, () => doc.toJS({ maxAliasCount: -1 }) ?? null);
  currentSecrets().collect(data);
  return {
    file,
    data,
    locate: (path) => locateIn(doc, lineCounter, path),
    locateKey: (path) => locateIn(doc, lineCounter, path, true),
  };
}

const CORE = 'tag:yaml.org,2002:';
/** The tags a value may carry: YAML's plain types, and lvsible's own `!secret` (secrets.ts). */
const KNOWN_TAGS = new Set(['str', 'int', 'bool', 'float', 'null', 'seq', 'map'].map((t) => CORE + t).concat(secretTag.tag));

/** Why a tag lvsible does not read is refused; null when it is read. */
function tagProblem(tag: string): string | null {
  if (KNOWN_TAGS.has(tag)) return null;
  const short = tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag;
  if (tag === '!vault' || tag === '!vault-encrypted')
    return `${short}: Ansible Vault values are not supported yet (lvsible cannot decrypt them); give the value in clear text tagged !secret, or with -e @file (docs/secrets.md)`;
  if (tag === '!unsafe') return `${short}: Ansible's !unsafe tag is not supported yet (lvsible would template the value); write it without {{ or {%`;
  if (['binary', 'timestamp', 'set', 'omap', 'pairs'].some((t) => tag === CORE + t))
    return `the YAML tag ${short} is not supported: write the value as a plain string, list or mapping`;
  return `unknown YAML tag ${short}: lvsible reads plain YAML values (and !secret), and refuses a tag rather than read it as text`;
}

/**
 * Tags are refused unless lvsible reads them: the yaml package would make `!vault |` or
 * `!!python/object/apply:os.system [...]` a plain string or list and record only a warning.
 */
function checkTags(doc: Document, lc: LineCounter, text: string, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const path: PathSegment[] = []; // one stack, copied only for a problem: this walks every node of a 64 MB file
  const walk = (node: unknown): void => {
    if (!node || isAlias(node) || issues.length >= 100) return;
    const n = node as Node;
    const why = n.tag ? tagProblem(n.tag) : null;
    if (why) {
      // At the tag as written (`!!python/...` just before the value), the way a reader points at it.
      const start = n.range?.[0] ?? 0;
      let at = text.lastIndexOf('!', start);
      while (at > 0 && text[at - 1] === '!') at--;
      const { line, col } = lc.linePos(at >= 0 ? at : start);
      issues.push({ file, line, col, field: formatPath(path) || undefined, message: why });
    }
    if (isMap(n))
      for (const p of n.items as Pair[]) {
        if (!isPair(p)) continue;
        walk(p.key);
        path.push(isScalar(p.key) ? String(p.key.value) : String(p.key));
        walk(p.value);
        path.pop();
      }
    else if (isSeq(n))
      n.items.forEach((item, i) => {
        path.push(i);
        walk(item);
        path.pop();
      });
  };
  walk(doc.contents);
  return issues;
}

/** Whatever the yaml package throws (a RangeError on input it cannot handle) is still this file's problem. */
function guard<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const why = e instanceof RangeError ? 'too deeply nested or too large to read' : (e as Error).message;
    throw new ConfigError([{ file, message: `YAML: ${why}` }]);
  }
}

const sortByPosition = (issues: ConfigIssue[]): ConfigIssue[] =>
  [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));

/** Each mapping's keys, indexed when it is first looked into: locate is O(depth), not O(size of the maps). */
const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairIn(map: YAMLMap, seg: PathSegment): Pair | undefined {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items as Pair[]) {
      const k = String((p.key as { value?: unknown })?.value ?? p.key);
      if (!index.has(k)) index.set(k, p);
    }
    keyIndex.set(map, index);
  }
  return index.get(String(seg));
}

function locateIn(doc: Document, lc: LineCounter, path: PathSegment[], atKey = false): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best: Node | null = (doc.contents as Node | null) ?? null;
  for (const [i, seg] of path.entries()) {
    if (isMap(node)) {
      const pair = pairIn(node, seg);
      if (!pair) break;
      // Point at the key when asked, or when the value is missing or empty, otherwise at the value.
      const key = atKey && i === path.length - 1;
      best = ((key ? null : (pair.value as Node | null)) ?? (pair.key as Node)) || best;
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

/** `services[0].vip` -> ['services', 0, 'vip']. */
export function parseField(field: string): PathSegment[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** Turn a path into the dotted form shown to operators: `tasks[2].sysctl.value`. */
export function formatPath(path: PathSegment[]): string {
  // A key with blanks, control or invisible characters is quoted and escaped, so the field stays one readable
  // line (a host name holding a newline or a bidi override would otherwise break or reorder the message).
  return path.reduce<string>((acc, seg) => {
    if (typeof seg === 'number') return `${acc}[${seg}]`;
    if (ODD_KEY.test(seg)) return `${acc}[${quoteText(seg)}]`;
    return acc ? `${acc}.${seg}` : seg;
  }, '');
}

const ODD_KEY = /[\s\u0000-\u001f\u007f-\u009f\p{Cf}]/u;

/** Where the value at `path` is written, as a location with its dotted field. */
export function locationAt(doc: SourceDoc, path: PathSegment[]): SourceLocation {
  const { line, col } = doc.locate(path);
  return { file: doc.file, line, col, field: formatPath(path) || undefined };
}

/** Where each of `keys` is written under `at` (a mapping's variables, say). */
export function locationsUnder(doc: SourceDoc, at: PathSegment[], keys: string[]): Record<string, SourceLocation> {
  return Object.fromEntries(keys.map((k) => [k, locationAt(doc, [...at, k])]));
}

/** An issue about the key at the end of `path` (an unknown field), located at the key rather than its value. */
export function keyIssueAt(doc: SourceDoc, path: PathSegment[], message: string): ConfigIssue {
  const { line, col } = (doc.locateKey ?? doc.locate)(path);
  return { file: doc.file, line, col, field: formatPath(path) || undefined, message };
}

/** An issue located at `path` inside `doc`. */
export function issueAt(doc: SourceDoc, path: PathSegment[], message: string): ConfigIssue {
  const { line, col } = doc.locate(path);
  return { file: doc.file, line, col, field: formatPath(path) || undefined, message };
}
