import { sysctlPath } from '../grammar/sysctl.js';
import type { Change, Plan, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { combine, fileFact, fileText, mapFact, procSysPath, sysctlFact } from '../facts/index.js';
import { atomicWriteSteps, failStep } from './files.js';
import { defineModule, noop, normalizeWs, rooted } from './util.js';
import { absolutePath, mustFit, sysctlKey, sysctlValue } from '../grammar/index.js';
import { ParamChecks } from './checks.js';

export interface SysctlParams {
  name: string;
  value?: string | number;
  state?: 'present' | 'absent';
  sysctl_file?: string;
  reload?: boolean;
  ignore_missing_live?: boolean;
}

export interface SysctlState {
  /** Live value, whitespace-normalised; undefined when the key does not exist (module not loaded yet). */
  live?: string;
  /** The key exists but cannot be read (write-only keys such as net.ipv4.route.flush). */
  liveUnreadable: boolean;
  /** Content of sysctl_file, undefined when the file does not exist. */
  file?: string;
  /** sysctl_file exists but its text could not be read (permissions, too big): it cannot be edited safely. */
  fileUnreadable?: true;
}

export const DEFAULT_SYSCTL_FILE = '/etc/sysctl.d/90-lvsible.conf';

export { sysctlPath };

function norm(p: SysctlParams): Required<Omit<SysctlParams, 'value'>> & { value?: string } {
  return {
    name: p.name,
    value: p.value === undefined ? undefined : String(p.value),
    state: p.state ?? 'present',
    sysctl_file: p.sysctl_file ?? DEFAULT_SYSCTL_FILE,
    reload: p.reload ?? true,
    ignore_missing_live: p.ignore_missing_live ?? false,
  };
}

/**
 * Values as the kernel compares them: whitespace-insensitive, and integers by value, since `/proc/sys` prints
 * `1` for a written `01` and `4096 87380` for `4096\t87380` (otherwise such a task would never converge).
 */
export function sameValue(a: string, b: string): boolean {
  const canon = (v: string) =>
    normalizeWs(v)
      .split(' ')
      .map((t) => (/^-?\d+$/.test(t) ? BigInt(t).toString() : t))
      .join(' ');
  return canon(a) === canon(b);
}

/**
 * The file with `name` set to `value` (undefined: removed). The first line for the key is replaced (kept as
 * written when its value already matches), later duplicates are dropped since they would override it.
 */
export function rewriteSysctlFile(content: string | undefined, name: string, value: string | undefined): string {
  // The line lvsible writes must be one `key = value` line of sysctl.d(5), whatever the params held: a newline
  // in the value would add a second key (kernel.core_pattern = |/bin/sh ... runs as root on the next crash).
  mustFit('sysctl.name', name, sysctlKey);
  if (value !== undefined) mustFit('sysctl.value', value, sysctlValue);
  const path = sysctlPath(name);
  const out: string[] = [];
  let placed = false;
  for (const l of (content ?? '').split('\n')) {
    const m = /^\s*([^#;=\s][^=]*?)\s*=(.*)$/.exec(l);
    if (m && sysctlPath(m[1]!) === path) {
      if (value !== undefined && !placed) {
        out.push(sameValue(m[2]!, value) ? l : `${name} = ${normalizeWs(value)}`);
      }
      placed = true;
      continue;
    }
    out.push(l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  if (value !== undefined && !placed) out.push(`${name} = ${normalizeWs(value)}`);
  return out.length ? out.join('\n') + '\n' : '';
}

/**
 * Two independent changes: the persisted line (sysctl.d file, atomic rewrite) and the live value (/proc/sys).
 * The file goes first so that a failing live write still leaves the value set for the next boot.
 * Keys that do not exist live yet (net.ipv4.conf.tunl0.* before ipip, net.ipv4.vs.* before ip_vs): by default
 * the live write is planned and fails with a message naming the key and the likely cause, because silently
 * skipping it would report success while the kernel runs without the setting. `ignore_missing_live: true`
 * is the explicit opt-in for "persist now, the module load will apply it" (systemd-sysctl re-applies keys
 * when the device appears). Write-only keys (net.ipv4.route.flush) cannot be compared and are not written.
 */
export const sysctl = defineModule<SysctlParams, SysctlState>({
  name: 'sysctl',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: {
        type: 'string',
        // No blanks, `=` or comment marks (it becomes a sysctl.d line), and no `..` (it becomes a /proc/sys path).
        pattern: '^(?!.*\\.\\.)[^\\s=#;]+$',
        description:
          'Kernel parameter, dotted (net.ipv4.ip_forward) or slashed (net/ipv4/conf/eth0.1/rp_filter, for interface names with dots).',
      },
      value: { type: ['string', 'number'], description: 'Desired value; multi-value keys as one string ("4096 87380 6291456"). Required when state is present.' },
      state: { enum: ['present', 'absent'], description: 'present: set and persist the value; absent: remove the key from sysctl_file (the live value is left alone).' },
      sysctl_file: { type: 'string', pattern: '^/', description: `File the value is persisted in (default ${DEFAULT_SYSCTL_FILE}). Other keys in it are kept.` },
      reload: { type: 'boolean', description: 'Also set the live value in /proc/sys now (default true). false: only persist, for the next boot.' },
      ignore_missing_live: {
        type: 'boolean',
        description:
          'When the key does not exist live yet (net.ipv4.conf.tunl0.* before ipip is loaded, net.ipv4.vs.* before ip_vs), only persist it instead of failing (default false).',
      },
    },
    if: { properties: { state: { const: 'absent' } }, required: ['state'] },
    else: { required: ['value'] },
  },
  check: (p) =>
    new ParamChecks()
      .field('name', p.name, sysctlKey)
      .field('value', p.value, sysctlValue)
      .field('sysctl_file', p.sysctl_file, absolutePath).issues,
  normalize: (p) => norm(p),
  read(p, ctx) {
    const n = norm(p);
    const read = combine({ live: sysctlFact(n.name, ctx.root), file: fileFact(rooted(ctx.root, n.sysctl_file)) });
    return mapFact(read, ({ live, file }): SysctlState => {
      const text = fileText(file);
      return { live: live.value, liveUnreadable: !!live.unreadable, file: text ?? undefined, ...(text === null ? { fileUnreadable: true } : {}) };
    });
  },
  plan(p, cur, ctx): Plan {
    const n = norm(p);
    const changes: Change[] = [];
    const filePath = rooted(ctx.root, n.sysctl_file);
    const want = n.state === 'present' ? normalizeWs(n.value ?? '') : undefined;
    const after = rewriteSysctlFile(cur.file, n.name, want);
    if (cur.fileUnreadable) {
      // Rewriting a file whose other lines are unknown would drop them: say so instead.
      const why = `cannot read ${n.sysctl_file} (permissions, or not a small regular file): its other settings would be lost`;
      changes.push({ summary: `${want !== undefined ? 'persist' : 'remove'} ${n.name} in ${n.sysctl_file}: ${why}`, steps: [failStep(why)] });
    } else if (after !== (cur.file ?? '')) {
      // sysctl.d files are world-readable config: 0644 whatever the old file had (as this module always wrote them).
      const steps: Step[] = atomicWriteSteps(filePath, after, { mode: '0644', createDirs: true });
      changes.push({
        summary:
          want !== undefined
            ? `persist ${n.name} = ${want} in ${n.sysctl_file}`
            : `remove ${n.name} from ${n.sysctl_file}`,
        before: cur.file ?? '',
        after,
        diffName: n.sysctl_file,
        steps,
      });
    }
    if (want !== undefined && n.reload && !cur.liveUnreadable) {
      const missing = cur.live === undefined;
      if (!(missing && n.ignore_missing_live) && !(cur.live !== undefined && sameValue(cur.live, want))) {
        changes.push({
          summary: missing
            ? `set ${n.name} = ${want} (key does not exist live yet)`
            : `set ${n.name} = ${want} (was ${cur.live})`,
          before: missing ? undefined : `${cur.live}\n`,
          after: `${want}\n`,
          diffName: `/proc/sys/${sysctlPath(n.name)}`,
          steps: [liveWriteStep(n.name, procSysPath(n.name, ctx.root), want)],
        });
      }
    }
    return changes.length ? changes : noop(sysctlNoop(n, cur, want));
  },
});

/** Why nothing is to be done, in the operator's words. */
function sysctlNoop(n: ReturnType<typeof norm>, cur: SysctlState, want: string | undefined): string {
  if (want === undefined) return `${n.name} is not in ${n.sysctl_file}`;
  const file = `${n.sysctl_file} says so`;
  if (!n.reload) return `${n.sysctl_file} says ${n.name} = ${want} (live value left alone: reload is false)`;
  if (cur.liveUnreadable) return `${n.sysctl_file} says ${n.name} = ${want} (write-only key: the live value cannot be compared)`;
  if (cur.live === undefined) return `${n.sysctl_file} says ${n.name} = ${want}; the key does not exist live yet (ignore_missing_live)`;
  return `sysctl ${n.name} is ${cur.live}, and ${file}`;
}

/**
 * Same effect as `sysctl -w`, but a plain write so tests can point it at a fake /proc/sys. A key that does not
 * exist fails with a message that says why, rather than the shell's "cannot create".
 */
function liveWriteStep(name: string, path: string, value: string): Step {
  const why = `sysctl ${name} does not exist on this host (is the kernel module that provides it loaded? set ignore_missing_live: true to only persist it)`;
  return {
    cmd: sh`if [ ! -e ${path} ]; then echo ${why} >&2; exit 1; fi; printf '%s\\n' ${value} > ${path}`,
    label: `sysctl -w ${name}=${value}`,
  };
}
