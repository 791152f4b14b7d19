import { posix } from 'node:path';
import type { Change, ModuleContext, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { sha256, UNIT_DIR, type UnitState } from '../facts/index.js';
import { atomicWriteSteps, failStep } from './files.js';
import { execArg, GrammarError, mustFit, unitName as unitNameGrammar, unitText } from '../grammar/index.js';

/**
 * Boot persistence for live network state (addresses, routes): one generated oneshot systemd unit per item,
 * running the same idempotent `ip ... replace` command the live change runs.
 *
 * Why a unit and not the distro's network config: Debian may run ifupdown, NetworkManager or systemd-networkd,
 * RHEL NetworkManager (ifcfg or keyfiles), and each wants a different file and a different reload that may
 * bounce links. A unit is the same on all of them, touches nothing the network stack owns, and sits at a known
 * point of boot (after modules load, so tunl0/ip_vs exist; before network.target, so keepalived and ipvsadm
 * start after it). `replace` keeps a re-run harmless.
 *
 * A unit that needs a device is also wanted by that device (`WantedBy=sys-subsystem-net-devices-eth1.device`):
 * systemd starts it whenever the device appears, however late. Wanted by multi-user.target alone, it waits for
 * the device with the default 90 s job timeout and then fails for good; the lab hit exactly that on a slow
 * boot (udev started 60 s after systemd), leaving a director without its VIP. It also brings the address back
 * when the device is re-created (a NIC re-plugged, `ipip` reloaded for tunl0).
 */

export { UNIT_DIR, type UnitState };

/** Unit names allow [A-Za-z0-9:_.\\-]; we keep it readable: `lvsible-addr-lo-10.0.0.1_32.service`. */
export function unitName(kind: 'addr' | 'route', ...parts: string[]): string {
  return `lvsible-${kind}-${parts.map((p) => p.replace(/[^A-Za-z0-9.]/g, '_')).join('-')}.service`;
}

/** systemd-escape for a device unit (sys-subsystem-net-devices-NAME.device): `-` and odd bytes become \xNN. */
export function deviceUnit(dev: string): string {
  const esc = [...dev]
    .map((c, i) => (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .join('');
  return `sys-subsystem-net-devices-${esc}.device`;
}

export interface UnitSpec {
  description: string;
  /** Extra [Unit] lines (ordering, device bindings). */
  unitLines: string[];
  /** argv lists, one ExecStart= each. Words must be plain tokens (validated params): no quoting needed. */
  exec: string[][];
  /** Units that pull this one in (default multi-user.target): each gets a `.wants/` link when it is enabled. */
  wantedBy?: string[];
}

/**
 * The unit text. Every value passes its systemd grammar (src/grammar/systemd.ts): a newline in a device name
 * would otherwise start a new `ExecStart=` line of a unit that runs as root at every boot, and `%`/`$` would
 * be expanded by systemd so that boot would run something else than the live change did.
 */
export function renderUnit(spec: UnitSpec): string {
  const units = (field: string, names: string[]) => names.map((n, i) => mustFit(`${field}[${i}]`, n, unitNameGrammar)).join(' ');
  const extra = spec.unitLines.map((line, i) => {
    const m = /^([A-Za-z]+)=(.*)$/s.exec(line);
    if (!m) throw new GrammarError(`unit line ${i}`, line, 'is not a Key=value line');
    return `${m[1]}=${units(`${m[1]}`, m[2]!.split(' '))}`;
  });
  const exec = spec.exec.map((argv, i) => {
    if (!argv.length) throw new GrammarError(`ExecStart[${i}]`, argv, 'is an empty command');
    return `ExecStart=${argv.map((a, j) => mustFit(`ExecStart[${i}] argument ${j}`, a, (v) => execArg(v, { program: j === 0 }))).join(' ')}`;
  });
  return [
    '# Managed by lvsible: changes here are overwritten.',
    '[Unit]',
    `Description=${mustFit('Description', spec.description, unitText)}`,
    ...extra,
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    ...exec,
    '',
    '[Install]',
    `WantedBy=${units('WantedBy', spec.wantedBy ?? ['multi-user.target'])}`,
    '',
  ].join('\n');
}

/** The units a rendered unit's [Install] section names in WantedBy=: where its enable links go. */
export function installTargets(content: string): string[] {
  const install = content.slice(content.lastIndexOf('[Install]'));
  return [...install.matchAll(/^WantedBy=(.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)).filter(Boolean);
}

/**
 * What a unit that needs `dev` adds to its spec: lo always exists; any other device is waited for, bound to
 * (the unit stops when the device goes) and wanted by (the unit starts whenever the device appears).
 */
export function deviceBinding(dev: string | undefined): Pick<Required<UnitSpec>, 'unitLines' | 'wantedBy'> {
  if (!dev || dev === 'lo') return { unitLines: [], wantedBy: ['multi-user.target'] };
  const unit = deviceUnit(dev);
  return { unitLines: [`BindsTo=${unit}`, `After=${unit}`], wantedBy: ['multi-user.target', unit] };
}

const wantsLink = (ctx: ModuleContext, by: string, name: string) => `${ctx.root}${UNIT_DIR}/${by}.wants/${name}`;

/** daemon-reload only on the live system: under a test/image root the running systemd is not the target's. */
function reloadSteps(ctx: ModuleContext): Step[] {
  if (ctx.root) return [];
  return [{ cmd: 'if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi', label: 'systemctl daemon-reload' }];
}

/** The unit file written and enabled, or [] when both already are. */
export function planUnitPresent(ctx: ModuleContext, name: string, content: string, st: UnitState, what: string): Change[] {
  const path = `${ctx.root}${UNIT_DIR}/${name}`;
  const same = st.file.type === 'file' && st.file.sha256 === sha256(content);
  const targets = installTargets(content);
  const missing = targets.filter((by) => st.wantedBy[by] !== `${UNIT_DIR}/${name}`);
  // Links the unit no longer asks for (an older lvsible's, or one made by hand) would keep pulling it in.
  const stale = Object.keys(st.wantedBy).filter((by) => !targets.includes(by));
  if (same && !missing.length && !stale.length) return [];
  if (!ctx.facts.hasSystemd) {
    return [{ summary: `cannot persist ${what}: no systemd on ${ctx.host}`, steps: [failStep(`${ctx.host} has no systemd: set persistent: false for ${what}`)] }];
  }
  const steps: Step[] = [];
  if (!same) steps.push(...atomicWriteSteps(path, content, { mode: '0644', owner: '0', group: '0', createDirs: true }));
  for (const by of missing) {
    const link = wantsLink(ctx, by, name);
    steps.push({ cmd: sh`mkdir -p -- ${posix.dirname(link)} && ln -sfn -- ${`${UNIT_DIR}/${name}`} ${link}`, label: `enable ${name} (wanted by ${by})` });
  }
  if (stale.length) steps.push({ cmd: sh`rm -f -- ${stale.map((by) => wantsLink(ctx, by, name))}`, label: `unlink ${name} from ${stale.join(', ')}` });
  steps.push(...reloadSteps(ctx));
  const verb = st.file.type === 'absent' ? 'install' : !same ? 'update' : 'enable';
  return [{ summary: `${verb} boot unit ${name} for ${what}`, before: same ? undefined : st.file.content?.toString('utf8') ?? '', after: same ? undefined : content, diffName: path, steps }];
}

/** Unit file and its wants link removed, or [] when neither exists. */
export function planUnitAbsent(ctx: ModuleContext, name: string, st: UnitState, what: string): Change[] {
  const links = Object.keys(st.wantedBy).map((by) => wantsLink(ctx, by, name));
  if (st.file.type === 'absent' && !links.length) return [];
  const path = `${ctx.root}${UNIT_DIR}/${name}`;
  return [{ summary: `remove boot unit ${name} for ${what}`, steps: [{ cmd: sh`rm -f -- ${links} ${path}` }, ...reloadSteps(ctx)] }];
}
