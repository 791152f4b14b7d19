/**
 * Host names as Ansible writes them in inventories: ranges (`web[01:03].example.com`, `db-[a:c]`,
 * `node[0:10:2]`) and an optional `:port` suffix (`host:2222`, `[fe80::1]:2222`).
 */

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const RANGE = /\[([^\]]*:[^\]]*)\]/;
/** Generous cap: a typo like `[1:100000]` should fail loudly, not allocate a million hosts. */
const MAX_HOSTS = 10_000;

export class HostPatternError extends Error {}

export function hasRange(name: string): boolean {
  return RANGE.test(name);
}

/** Expand every `[a:b(:step)]` in `name`, like Ansible's expand_hostname_range (inclusive end). */
export function expandHostRange(name: string): string[] {
  const m = RANGE.exec(name);
  if (!m) return [name];
  const head = name.slice(0, m.index);
  const tail = name.slice(m.index + m[0].length);
  const bounds = m[1]!.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostPatternError(`host range [${m[1]}] must be [begin:end] or [begin:end:step]`);
  }
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  const stepText = bounds[2] ?? '1';
  if (!end) throw new HostPatternError(`host range [${m[1]}] must give an end value`);
  if (!/^[1-9][0-9]*$/.test(stepText)) throw new HostPatternError(`host range [${m[1]}]: step must be a positive number`);
  const step = Number(stepText);
  let seq: string[];
  if (/^[A-Za-z]$/.test(beg) && /^[A-Za-z]$/.test(end)) {
    const i = LETTERS.indexOf(beg);
    const j = LETTERS.indexOf(end);
    if (i > j) throw new HostPatternError(`host range [${m[1]}] must have begin <= end`);
    seq = [];
    for (let k = i; k <= j; k += step) seq.push(LETTERS[k]!);
  } else if (/^[0-9]+$/.test(beg) && /^[0-9]+$/.test(end)) {
    // A leading zero asks for zero padding, and then both ends must have the same width (Ansible's rule).
    const padded = beg.length > 1 && beg.startsWith('0');
    if (padded && beg.length !== end.length) {
      throw new HostPatternError(`host range [${m[1]}]: zero-padded begin and end must have the same width`);
    }
    const a = Number(beg);
    const b = Number(end);
    if (a > b) throw new HostPatternError(`host range [${m[1]}] must have begin <= end`);
    if ((b - a) / step >= MAX_HOSTS) throw new HostPatternError(`host range [${m[1]}] expands to more than ${MAX_HOSTS} hosts`);
    seq = [];
    for (let k = a; k <= b; k += step) seq.push(padded ? String(k).padStart(beg.length, '0') : String(k));
  } else {
    throw new HostPatternError(`host range [${m[1]}] must be numbers or single letters`);
  }
  const out: string[] = [];
  for (const s of seq) {
    out.push(...expandHostRange(head + s + tail));
    if (out.length > MAX_HOSTS) throw new HostPatternError(`host pattern ${name} expands to more than ${MAX_HOSTS} hosts`);
  }
  return out;
}

/**
 * Split `host:port`. Bare IPv6 addresses (several colons, no brackets) have no port; `[v6]:port` does.
 * Range brackets (`web[1:3]:2222`) are not mistaken for IPv6 because they hold a single colon-separated
 * pair of plain numbers or letters.
 */
export function splitHostPort(name: string): { host: string; port?: number } {
  const v6 = /^\[([0-9A-Fa-f:.%]+)\](?::([0-9]+))?$/.exec(name);
  if (v6 && (v6[1]!.match(/:/g)?.length ?? 0) >= 2) {
    return v6[2] ? { host: v6[1]!, port: Number(v6[2]) } : { host: v6[1]! };
  }
  const outside = name.replace(/\[[^\]]*\]/g, (s) => '_'.repeat(s.length));
  const colons = [...outside.matchAll(/:/g)].map((x) => x.index!);
  if (colons.length === 1) {
    const at = colons[0]!;
    const port = name.slice(at + 1);
    if (!/^[0-9]+$/.test(port)) throw new HostPatternError(`"${name}": the part after ":" must be a port number`);
    return { host: name.slice(0, at), port: Number(port) };
  }
  return { host: name };
}

/** A host key from an inventory, expanded: the names and the port its `:port` suffix set, if any. */
export function parseHostKey(key: string): { names: string[]; port?: number } {
  const { host, port } = splitHostPort(key.trim());
  if (!host) throw new HostPatternError(`empty host name in "${key}"`);
  const names = expandHostRange(host);
  return port === undefined ? { names } : { names, port };
}
