/**
 * A small reader for keepalived.conf: lines of words, `{` opens a block, `}` closes it, `!`/`#` start
 * comments. It lets tests (and tools) check a rendered config by meaning: which real_server has which
 * lvs_method, rather than by comparing text.
 */

export interface ConfNode {
  /** First word: `virtual_server`, `real_server`, `weight`... */
  key: string;
  args: string[];
  children: ConfNode[];
  line: number;
}

export function parseKeepalivedConf(text: string): ConfNode[] {
  const root: ConfNode = { key: '', args: [], children: [], line: 0 };
  const stack: ConfNode[] = [root];
  text.split('\n').forEach((raw, i) => {
    const words = stripComment(raw).replace(/([{}])/g, ' $1 ').trim().split(/\s+/).filter(Boolean);
    let current: ConfNode | null = null;
    for (const w of words) {
      const top = stack[stack.length - 1]!;
      if (w === '{') {
        if (!current) throw new Error(`line ${i + 1}: "{" without a keyword`);
        stack.push(current);
        current = null;
      } else if (w === '}') {
        if (stack.length === 1) throw new Error(`line ${i + 1}: unbalanced "}"`);
        stack.pop();
        current = null;
      } else if (!current) {
        current = { key: w, args: [], children: [], line: i + 1 };
        top.children.push(current);
      } else current.args.push(w);
    }
  });
  if (stack.length !== 1) throw new Error(`unclosed block "${stack[stack.length - 1]!.key}"`);
  return root.children;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '!' || c === '#')) return line.slice(0, i);
  }
  return line;
}

/** Children of `node` (or of a list of top-level nodes) with the given key. */
export function find(nodes: ConfNode[] | ConfNode, key: string): ConfNode[] {
  return (Array.isArray(nodes) ? nodes : nodes.children).filter((n) => n.key === key);
}

/** The arguments of the single `key` line inside `node`, or undefined. */
export function value(node: ConfNode, key: string): string | undefined {
  const hit = find(node, key);
  return hit.length ? hit[0]!.args.join(' ') : undefined;
}
