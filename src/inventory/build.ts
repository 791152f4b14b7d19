import type { ConfigIssue } from '../errors.js';
import { formatPath, issueAt, type PathSegment, type SourceDoc } from '../config/source.js';
import { validate } from '../config/validate.js';
import type { Vars } from '../types.js';
import { isSecretVar } from './connection.js';
import { addChildGroup, addHostToGroup, ensureGroup, ensureHost, type Inventory } from './model.js';
import { HostPatternError, parseHostKey } from './ranges.js';
import { inventorySchema, rewordTypeMessage } from './schema.js';
import { inventoryName } from '../grammar/names.js';
import { quoteText } from '../grammar/common.js';
import { assignFrom } from './origins.js';

/**
 * Add one parsed inventory document (YAML, or INI turned into the YAML shape) to `inv`. Problems are
 * appended to `issues`; the walk is defensive so that every problem of a file is found in one pass.
 */
export function applyInventoryDoc(inv: Inventory, doc: SourceDoc, issues: ConfigIssue[]): void {
  const data = doc.data;
  if (isRecord(data) && typeof data.plugin === 'string') {
    issues.push(issueAt(doc, ['plugin'], `inventory plugins ("plugin: ${data.plugin}") are not supported: list hosts and groups instead`));
    return;
  }
  issues.push(...validate(inventorySchema, data, doc).map((i) => reword(i, doc)));
  if (!isRecord(data)) return;
  for (const [name, def] of Object.entries(data)) addGroupDef(inv, doc, issues, name, def, [name], null);
}

function addGroupDef(
  inv: Inventory,
  doc: SourceDoc,
  issues: ConfigIssue[],
  name: string,
  def: unknown,
  path: PathSegment[],
  parent: string | null,
): void {
  const where = `${doc.file}:${doc.locate(path).line}`;
  // Ansible takes blanks and control characters in names; lvsible writes names into keepalived.conf and
  // messages, where they would split words or start lines (src/grammar/names.ts).
  const bad = inventoryName(name);
  if (bad) {
    issues.push(nameIssue(doc, path, `group name ${quoteText(name)} ${bad}`));
    return;
  }
  ensureGroup(inv, name, where);
  if (parent !== null) {
    const cycle = addChildGroup(inv, parent, name);
    if (cycle) {
      const why = name === 'all' ? 'group "all" cannot be a child group' : `group "${name}" would be its own ancestor: ${cycle.join(' -> ')}`;
      issues.push(issueAt(doc, path, why));
      return;
    }
  }
  if (!isRecord(def)) return;
  // Sections in the order written, so hosts keep the order a reader sees in the file.
  for (const [section, value] of Object.entries(def)) {
    if (!isRecord(value)) continue;
    if (section === 'vars') assignFrom(inv.groups.get(name)!.vars, value, doc, [...path, 'vars']);
    else if (section === 'children') {
      for (const [child, childDef] of Object.entries(value)) {
        addGroupDef(inv, doc, issues, child, childDef, [...path, 'children', child], name);
      }
    } else if (section === 'hosts') {
      for (const [key, hostVars] of Object.entries(value)) {
        addHosts(inv, doc, issues, name, key, hostVars, [...path, 'hosts', key]);
      }
    }
  }
}

function addHosts(
  inv: Inventory,
  doc: SourceDoc,
  issues: ConfigIssue[],
  group: string,
  key: string,
  hostVars: unknown,
  path: PathSegment[],
): void {
  let parsed: { names: string[]; port?: number };
  try {
    parsed = parseHostKey(key);
  } catch (e) {
    if (!(e instanceof HostPatternError)) throw e;
    issues.push(issueAt(doc, path, e.message));
    return;
  }
  if (parsed.port !== undefined && (parsed.port < 1 || parsed.port > 65535)) {
    issues.push(issueAt(doc, path, `port ${parsed.port} in "${key}" must be 1..65535`));
  }
  const where = `${doc.file}:${doc.locate(path).line}`;
  const bad = parsed.names.map((n) => [n, inventoryName(n)] as const).find(([, why]) => why);
  if (bad) {
    issues.push(nameIssue(doc, path, `host name ${quoteText(bad[0])} ${bad[1]}`));
    return;
  }
  for (const name of parsed.names) {
    const h = ensureHost(inv, name, where);
    addHostToGroup(inv, group, name);
    // As in Ansible, an explicit ansible_port among the host's vars wins over a `:port` suffix.
    if (parsed.port !== undefined) h.vars.ansible_port = parsed.port;
    if (isRecord(hostVars)) assignFrom(h.vars, hostVars, doc, path);
  }
}

/**
 * An issue about a name: at the key where the name is written (not its vars on the next line), with the key
 * quoted in the field so that a name holding a newline keeps the message on one line.
 */
function nameIssue(doc: SourceDoc, path: PathSegment[], message: string): ConfigIssue {
  const { line, col } = (doc.locateKey ?? doc.locate)(path);
  return { file: doc.file, line, col, field: formatPath(path), message };
}

export function isRecord(v: unknown): v is Vars {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reword schema messages for YAML readers, looking at the value the issue is about; an unknown field is
 * pointed at itself rather than at the group that holds it.
 */
export function reword(issue: ConfigIssue, doc: SourceDoc): ConfigIssue {
  const at = resolveField(doc.data, issue.field ?? '');
  const last = at?.path[at.path.length - 1];
  let message = rewordTypeMessage(issue.message, at?.value, typeof last === 'string' && isSecretVar(last));
  const unknown = /^unknown field "(.*)"$/.exec(message);
  if (!unknown) return { ...issue, message };
  // Only groups forbid extra keys (vars and host mappings are open), so this is always a group.
  message += ' (a group holds only hosts, vars and children)';
  if (!at) return { ...issue, message };
  // At the misspelt key itself, not at what is under it.
  const path = at.path[at.path.length - 1] === unknown[1] ? at.path : [...at.path, unknown[1]!];
  return { ...issueAt(doc, path, message), ...(doc.locateKey ?? doc.locate)(path) };
}

/**
 * Find the value a dotted field refers to, and its path. Keys may themselves hold dots (host names), so at
 * each level the longest key that the rest of the field starts with is taken.
 */
export function resolveField(data: unknown, field: string): { value: unknown; path: PathSegment[] } | undefined {
  let node = data;
  let rest = field;
  const path: PathSegment[] = [];
  while (rest) {
    const idx = /^\[(\d+)\]/.exec(rest);
    if (idx && Array.isArray(node)) {
      node = node[Number(idx[1])];
      path.push(Number(idx[1]));
      rest = rest.slice(idx[0].length).replace(/^\./, '');
      continue;
    }
    if (!isRecord(node)) return undefined;
    const key = longestKeyPrefix(node, rest);
    if (key === undefined) return undefined;
    node = node[key];
    path.push(key);
    rest = rest.slice(key.length).replace(/^\./, '');
  }
  return { value: node, path };
}

/**
 * The longest key of `node` that `rest` is, or starts with before a `.` or `[`. One lookup per such boundary
 * in `rest`, not a scan of every key: 1000 issues on a 50k-host mapping took 40 s that way.
 */
function longestKeyPrefix(node: Vars, rest: string): string | undefined {
  if (Object.hasOwn(node, rest)) return rest;
  for (let i = rest.length - 1; i > 0; i--) {
    if ((rest[i] === '.' || rest[i] === '[') && Object.hasOwn(node, rest.slice(0, i))) return rest.slice(0, i);
  }
  return undefined;
}
