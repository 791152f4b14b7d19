import { sh } from '../transport/quote.js';
import { fileFact, sha256, type FileState } from './file.js';
import { outputFact, statusFact } from './output.js';
import { combine, mapFact, type Fact } from './sections.js';

/** Services as systemd (or, without it, the sysv tools) reports them, and unit files with their enable links. */

export interface ServiceState {
  /** systemd: LoadState (loaded, not-found, masked...); '' without systemd. */
  load: string;
  /** systemd is-active (active, inactive, failed, activating...); without systemd: active|inactive. */
  active: string;
  /** systemd is-enabled (enabled, disabled, static, masked, indirect, alias...; '' when unknown). */
  enabled: string;
  /** systemd: the unit file changed on disk since the last daemon-reload. */
  needsReload: boolean;
}

/**
 * Boot state lives in unit files, so it follows `root` like every other path (`systemctl --root`, which is
 * also how tests enable and disable real units in a temp tree). Run state has no root: it is the live system.
 */
export function systemctl(root: string, ...args: string[]): string {
  return sh`systemctl ${[...(root ? [`--root=${root}`] : []), ...args]}`;
}

const prop = (v: string) => v.replace(/^[A-Za-z]+=/, '');
const firstWord = (v: string) => v.split(' ')[0] ?? '';

/** The parsed service from the four systemctl answers (exported for tables fed with real systemctl output). */
export function serviceState(a: { load: string; reload: string; active: string; enabled: string }): ServiceState {
  return { load: prop(a.load), active: firstWord(a.active), enabled: firstWord(a.enabled), needsReload: prop(a.reload) === 'yes' };
}

export function serviceFact(unit: string, root = ''): Fact<ServiceState> {
  const read = combine({
    load: outputFact(sh`systemctl show -p LoadState ${unit}`),
    reload: outputFact(sh`systemctl show -p NeedDaemonReload ${unit}`),
    active: outputFact(sh`systemctl is-active ${unit}`),
    enabled: outputFact(systemctl(root, 'is-enabled', unit)),
  });
  return mapFact(read, serviceState, `service ${unit}`);
}

/**
 * Without systemd: the `service` wrapper for run state, and the runlevel links (Debian) or chkconfig (RHEL)
 * for boot state.
 */
export function sysvServiceFact(name: string, family: 'debian' | 'redhat' | 'unknown', root = ''): Fact<ServiceState> {
  const rc = `${root.replace(/\/+$/, '')}/etc`;
  const read = combine({
    active: statusFact(sh`service ${name} status >/dev/null 2>&1`),
    enabled:
      family === 'redhat'
        ? statusFact(sh`chkconfig ${name} >/dev/null 2>&1`)
        : statusFact(`ls ${sh`${rc}`}/rc[2345].d/S[0-9][0-9]${sh`${name}`} >/dev/null 2>&1`),
  });
  return mapFact(read, (s) => ({ load: '', active: s.active ? 'active' : 'inactive', enabled: s.enabled ? 'enabled' : 'disabled', needsReload: false }), `service ${name}`);
}

/** `systemctl is-enabled UNIT` ('' when systemctl has no answer). */
export const unitEnabledFact = (unit: string): Fact<string> => outputFact(sh`systemctl is-enabled ${unit} 2>/dev/null`, `is-enabled ${unit}`);

export const UNIT_DIR = '/etc/systemd/system';

export interface UnitState {
  file: FileState;
  /** Every `UNIT_DIR/<unit>.wants/<name>` symlink: the wanting unit -> the link's target. */
  wantedBy: Record<string, string>;
}

/** `BY TARGET` per enable link of `name` in any `.wants/` directory under `dir`. */
export function wantsLinksFact(dir: string, name: string): Fact<Record<string, string>> {
  return {
    name: `enable links of ${name}`,
    script: [
      `for w in ${sh`${dir}`}/*.wants/${sh`${name}`}; do`,
      '  [ -L "$w" ] || continue',
      '  d=${w%/*}; d=${d##*/}',
      '  echo "${d%.wants} $(readlink -- "$w")"',
      'done',
    ].join('\n'),
    parse(out) {
      const wantedBy: Record<string, string> = {};
      for (const m of out.matchAll(/^(\S+) (.*)$/gm)) wantedBy[m[1]!] = m[2]!;
      return wantedBy;
    },
  };
}

/** A unit file under UNIT_DIR and its enable links; `content` (what the plan wants) spares shipping a converged file. */
export function unitFileFact(root: string, name: string, content?: string): Fact<UnitState> {
  const dir = `${root}${UNIT_DIR}`;
  const read = combine({ file: fileFact(`${dir}/${name}`, content === undefined ? undefined : sha256(content)), wantedBy: wantsLinksFact(dir, name) });
  return mapFact(read, (s) => s, `unit ${name}`);
}
