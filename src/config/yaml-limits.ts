import {
  Composer,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  Lexer,
  Parser,
  YAMLParseError,
  type Document,
  type DocumentOptions,
  type LineCounter,
  type Node,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml';
import type { ConfigIssue } from '../errors.js';

/**
 * One linear pass over a parsed YAML document, before it becomes data: duplicate keys, nesting depth, and
 * aliases. Everything after this (toJS, Ajv, templating, secret masking, the Redactor) walks the data
 * recursively or once per reference, so what it may not do is decided here, with the file and line named:
 * - a key twice in one mapping (yaml's own `uniqueKeys` compares every pair with every other: quadratic);
 * - nesting deeper than MAX_DEPTH, counting what aliases bring in (a real playbook is under 15 levels);
 * - more than MAX_ALIASES aliases or anchors, an alias that refers to its own parent, and aliases that
 *   expand to more values than MAX_EXPANSION or the size of the file itself (billion laughs).
 * Aliases are then replaced by the node they name, so that toJS does not scan every earlier anchor for each
 * alias (yaml's Alias.resolve: quadratic in the number of aliases).
 */

export const MAX_DEPTH = 64;
export const MAX_ALIASES = 100_000;
export const MAX_EXPANSION = 100_000;

/**
 * yaml's parseDocument, with the parser's stack watched between tokens: `[[[[...` a million levels deep costs
 * yaml gigabytes before checkYamlStructure could see it. Each open collection is one entry on that stack (plus
 * the document and a scalar), so a stack above MAX_DEPTH + 2 is surely too deep: parsing stops there, at
 * that offset. The loop is the one yaml documents for "the parser with a user-provided lexer".
 */
export function parseBounded(
  text: string,
  options: ParseOptions & DocumentOptions & SchemaOptions & { lineCounter: LineCounter },
): Document | { tooDeepAt: number } {
  const parser = new Parser(options.lineCounter.addNewLine);
  let tooDeepAt = -1;
  function* tokens() {
    options.lineCounter.addNewLine(0);
    for (const lexeme of new Lexer().lex(text)) {
      yield* parser.next(lexeme);
      if (parser.stack.length > MAX_DEPTH + 2) {
        tooDeepAt = parser.offset;
        return;
      }
    }
    yield* parser.end();
  }
  let doc: Document | null = null;
  for (const d of new Composer(options).compose(tokens(), true, text.length)) {
    if (!doc) doc = d as Document;
    else {
      doc.errors.push(new YAMLParseError(d.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
      break;
    }
  }
  return tooDeepAt >= 0 ? { tooDeepAt } : doc!;
}

interface Frame {
  node: Node;
  depth: number;
  items: unknown[];
  /** The next item, and for a pair whether its key (0) or its value (1) comes next. */
  i: number;
  part: 0 | 1;
  size: number;
  height: number;
}

type Pos = (n: unknown) => { line: number; col: number };

export function checkYamlStructure(doc: Document, lc: LineCounter, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const pos: Pos = (n) => lc.linePos((n as { range?: number[] | null })?.range?.[0] ?? 0);
  const at = (n: unknown, message: string): void => {
    issues.push({ file, ...pos(n), message });
  };
  const root = doc.contents as Node | null;
  if (!isNode(root)) return issues;

  // Sizes (values, aliases expanded) and heights of anchored nodes, the only ones an alias can bring in;
  // an anchor whose node has no size yet is still being walked (an alias to it would be a cycle).
  const size = new Map<Node, number>();
  const height = new Map<Node, number>();
  const anchors = new Map<string, Node>();
  let own = 0;
  let aliases = 0;
  let anchorCount = 0;
  let tooDeep = false;

  const resolveAlias = (alias: Node & { source: string }, depth: number): Node | null => {
    if (++aliases === MAX_ALIASES + 1) at(alias, `more than ${MAX_ALIASES} aliases: refused (an alias bomb?)`);
    const target = anchors.get(alias.source);
    if (!target) {
      at(alias, `alias *${alias.source} has no anchor &${alias.source} before it`);
      return null;
    }
    if (!size.has(target)) {
      at(alias, `alias *${alias.source} refers to a value that contains it (a cycle)`);
      return null;
    }
    if (!tooDeep && depth + height.get(target)! > MAX_DEPTH) {
      tooDeep = true;
      at(alias, `nesting deeper than ${MAX_DEPTH} levels (through alias *${alias.source})`);
    }
    return target;
  };

  const anchor = (node: Node): void => {
    own++;
    const name = (node as { anchor?: string }).anchor;
    if (!name) return;
    if (++anchorCount === MAX_ALIASES + 1) at(node, `more than ${MAX_ALIASES} anchors: refused`);
    anchors.set(name, node);
  };

  // Only collections get a frame; a scalar is counted where it is met.
  const open = (node: Node, depth: number): Frame => {
    anchor(node);
    if (depth > MAX_DEPTH && !tooDeep) {
      tooDeep = true;
      at(node, `nesting deeper than ${MAX_DEPTH} levels`);
    }
    if (isMap(node)) checkKeys(node.items, at, pos);
    const items = tooDeep ? [] : (node as unknown as { items: unknown[] }).items;
    return { node, depth, items, i: 0, part: 0, size: 1, height: 1 };
  };

  if (!isCollection(root)) {
    anchor(root);
    return issues;
  }
  const stack: Frame[] = [open(root, 1)];
  let total = 0;
  while (stack.length) {
    const f = stack[stack.length - 1]!;
    if (f.i < f.items.length && issues.length < 100) {
      const item = f.items[f.i];
      let holder: Record<string | number, unknown>;
      let prop: string | number;
      if (isPair(item)) {
        holder = item as unknown as Record<string, unknown>;
        prop = f.part === 0 ? 'key' : 'value';
        if (f.part === 0) f.part = 1;
        else (f.part = 0), f.i++;
      } else {
        holder = f.items as unknown as Record<number, unknown>;
        prop = f.i++;
      }
      const child = holder[prop];
      if (isAlias(child)) {
        const target = resolveAlias(child as Node & { source: string }, f.depth);
        if (target) {
          holder[prop] = target;
          f.size += size.get(target)!;
          f.height = Math.max(f.height, height.get(target)! + 1);
        }
      } else if (isCollection(child)) stack.push(open(child, f.depth + 1));
      else if (isNode(child)) {
        anchor(child);
        f.size++;
        if ((child as { anchor?: string }).anchor) size.set(child, 1), height.set(child, 0);
      }
      continue;
    }
    stack.pop();
    if ((f.node as { anchor?: string }).anchor) size.set(f.node, f.size), height.set(f.node, f.height);
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.size += f.size;
      parent.height = Math.max(parent.height, f.height + 1);
    } else total = f.size;
  }
  const allowed = Math.max(MAX_EXPANSION, own);
  // Past the alias count the file is already refused; the expansion would only say it again.
  if (aliases <= MAX_ALIASES && total - own > allowed) {
    const n = total > 1e9 ? 'over a billion' : String(total);
    at(root, `aliases expand this file to ${n} values, more than ${allowed} beyond the ${own} written: refused (an alias bomb?)`);
  }
  return issues;
}

/** A key twice in one mapping; compared as toJS will make them properties (`1` and `"1"` are one key). */
function checkKeys(pairs: unknown[], at: (n: unknown, m: string) => void, pos: Pos): void {
  if (pairs.length < 2) return;
  const seen = new Map<string, unknown>();
  for (const p of pairs) {
    const key = isPair(p) ? p.key : undefined;
    // `<<` (a merge) may repeat; keys that are collections or aliases are not compared.
    if (!isScalar(key) || typeof key.value === 'symbol') continue;
    const name = key.value === null ? '' : String(key.value);
    const first = seen.get(name);
    if (first) at(key, `duplicate key "${name}" (first at line ${pos(first).line})`);
    else seen.set(name, key);
  }
}
