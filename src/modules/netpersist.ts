import type { Change, ModuleContext, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { atomicWriteSteps, failStep, fileProbeScript, parseFileState, sha256, type FileState } from './files.js';

/**
 * Boot persistence for live network state (addresses, routes): one generated oneshot systemd unit per item,
 * running the same idempotent `ip ... replace` command the live change runs.
 *
 * Why a unit and not the distro's network config: Debian may run ifupdown, NetworkManager or systemd-networkd,
 * RHEL NetworkManager (ifcfg or keyfiles), and each wants a different file and a different reload that may
 * bounce links. A unit is the same on all of them, touches nothing the network stack owns, and sits at a known
 * point of boot (after modules load, so tunl0/ip_vs exist; before network.target, so keepalived and ipvsadm
 * start after it). `replace` keeps a re-run harmless.
 */

export const UNIT_DIR = '/etc/systemd/system';
const WANTS_DIR = `${UNIT_DIR}/multi-user.target.wants`;

export interface UnitState {
  file: FileState;
  /** Target of the multi-user.target.wants symlink, when there is one. */
  wantedBy?: string;
}

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
}

export function renderUnit(spec: UnitSpec): string {
  return [
    '# Managed by lvsible: changes here are overwritten.',
    '[Unit]',
    `Description=${spec.description}`,
    ...spec.unitLines,
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    ...spec.exec.map((argv) => `ExecStart=${argv.join(' ')}`),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** Ordering for a unit that needs `dev`: lo always exists; other devices are waited for (and bound to). */
export function deviceLines(dev: string | undefined): string[] {
  if (!dev || dev === 'lo') return [];
  const unit = deviceUnit(dev);
  return [`BindsTo=${unit}`, `After=${unit}`];
}

export function unitProbeScript(ctx: ModuleContext, name: string, content?: string): string {
  return `${fileProbeScript(`${ctx.root}${UNIT_DIR}/${name}`, content === undefined ? undefined : sha256(content))}\nw=${sh`${`${ctx.root}${WANTS_DIR}/${name}`}`}; if [ -L "$w" ]; then echo "wanted-by $(readlink -- "$w")"; fi`;
}

export function parseUnitState(out: string): UnitState {
  const m = /^wanted-by (.*)$/m.exec(out);
  return { file: parseFileState(out), ...(m ? { wantedBy: m[1] } : {}) };
}

/** daemon-reload only on the live system: under a test/image root the running systemd is not the target's. */
function reloadSteps(ctx: ModuleContext): Step[] {
  if (ctx.root) return [];
  return [{ cmd: 'if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi', label: 'systemctl daemon-reload' }];
}

/** The unit file written and enabled, or [] when both already are. */
export function planUnitPresent(ctx: ModuleContext, name: string, content: string, st: UnitState, what: string): Change[] {
  const path = `${ctx.root}${UNIT_DIR}/${name}`;
  const same = st.file.type === 'file' && st.file.sha256 === sha256(content);
  const enabled = st.wantedBy === `${UNIT_DIR}/${name}`;
  if (same && enabled) return [];
  if (!ctx.facts.hasSystemd) {
    return [{ summary: `cannot persist ${what}: no systemd on ${ctx.host}`, steps: [failStep(`${ctx.host} has no systemd: set persistent: false for ${what}`)] }];
  }
  const steps: Step[] = [];
  if (!same) steps.push(...atomicWriteSteps(path, content, { mode: '0644', owner: '0', group: '0', createDirs: true }));
  if (!enabled) {
    const link = `${ctx.root}${WANTS_DIR}/${name}`;
    steps.push({ cmd: sh`mkdir -p -- ${`${ctx.root}${WANTS_DIR}`} && ln -sfn -- ${`${UNIT_DIR}/${name}`} ${link}`, label: `enable ${name}` });
  }
  steps.push(...reloadSteps(ctx));
  const verb = st.file.type === 'absent' ? 'install' : !same ? 'update' : 'enable';
  return [{ summary: `${verb} boot unit ${name} for ${what}`, before: same ? undefined : st.file.content?.toString('utf8') ?? '', after: same ? undefined : content, diffName: path, steps }];
}

/** Unit file and its wants link removed, or [] when neither exists. */
export function planUnitAbsent(ctx: ModuleContext, name: string, st: UnitState, what: string): Change[] {
  if (st.file.type === 'absent' && st.wantedBy === undefined) return [];
  const path = `${ctx.root}${UNIT_DIR}/${name}`;
  const link = `${ctx.root}${WANTS_DIR}/${name}`;
  return [{ summary: `remove boot unit ${name} for ${what}`, steps: [{ cmd: sh`rm -f -- ${link} ${path}` }, ...reloadSteps(ctx)] }];
}
