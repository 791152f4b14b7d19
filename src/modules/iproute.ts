/**
 * Reading iproute2's JSON (`ip -j`). Probes print `@name` header lines between command outputs; JSON and
 * the file probe never start a line with `@`, so the headers cannot be forged by what they frame.
 */

/** Split `@name` sections; text before the first header is dropped. */
export function sectionsOf(out: string): Map<string, string> {
  const map = new Map<string, string>();
  let name: string | undefined;
  let buf: string[] = [];
  const flush = () => {
    if (name !== undefined) map.set(name, buf.join('\n'));
  };
  for (const line of out.split('\n')) {
    const m = /^@([a-z0-9_-]+)$/.exec(line);
    if (m) {
      flush();
      name = m[1];
      buf = [];
    } else buf.push(line);
  }
  flush();
  return map;
}

/**
 * `ip -j` prints one JSON array; a missing device prints nothing, and a missing routing table a lone `[`
 * (iproute2 starts the array before the kernel refuses the dump). Both mean "nothing there".
 */
export function parseIpJson(text: string): Record<string, unknown>[] {
  const t = text.trim();
  if (!t) return [];
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
  } catch {
    if (t === '[') return [];
    throw new Error(`cannot parse ip -j output: ${t.slice(0, 200)}`);
  }
}
