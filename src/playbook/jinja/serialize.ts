import { Document, isCollection, isMap, isScalar, visit } from 'yaml';
import { assertData, isDict, JinjaError, keysOf } from './values.js';

/**
 * to_json / to_nice_json / to_yaml / to_nice_yaml as Ansible prints them: Python's json.dumps (`", "` and
 * `": "` separators, non-ASCII as \uXXXX) and PyYAML (sorted keys, lists not indented under their key,
 * to_yaml's leaf collections in flow style), so a rendered file is the same byte for byte.
 */

export function pyJson(v: unknown, opts: { indent?: number; sortKeys?: boolean; pos: number }): string {
  assertData(v, opts.pos);
  const nl = opts.indent === undefined ? '' : '\n';
  const item = opts.indent === undefined ? ', ' : ',';
  const go = (x: unknown, depth: number): string => {
    const pad = opts.indent === undefined ? '' : ' '.repeat(opts.indent * (depth + 1));
    const end = opts.indent === undefined ? '' : ' '.repeat(opts.indent * depth);
    if (x === null) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'number') {
      if (Number.isNaN(x)) return 'NaN';
      if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
      return String(x);
    }
    if (typeof x === 'string') return JSON.stringify(x).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (Array.isArray(x)) return x.length ? `[${nl}${x.map((y) => pad + go(y, depth + 1)).join(item + nl)}${nl}${end}]` : '[]';
    if (isDict(x)) {
      const keys = keysOf(x);
      if (opts.sortKeys) keys.sort();
      return keys.length ? `{${nl}${keys.map((k) => `${pad}${go(k, depth + 1)}: ${go(x[k], depth + 1)}`).join(item + nl)}${nl}${end}}` : '{}';
    }
    throw new JinjaError('this value cannot be written as JSON', opts.pos);
  };
  return go(v, 0);
}

export function pyYaml(v: unknown, opts: { indent: number; flowLeaves: boolean; pos: number }): string {
  assertData(v, opts.pos);
  const doc = new Document(v, { sortMapEntries: true });
  if (opts.flowLeaves) {
    // PyYAML's default_flow_style=None: a collection holding only scalars is written inline.
    visit(doc, {
      Collection(_k, node) {
        if (isCollection(node) && node.items.every((i) => (isMap(node) ? isScalar((i as { value: unknown }).value) : isScalar(i)))) node.flow = true;
      },
    });
  }
  return doc.toString({ indent: opts.indent, indentSeq: false, flowCollectionPadding: false, lineWidth: 0 });
}
