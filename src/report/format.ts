import { createTwoFilesPatch } from 'diff';
import type { ReportedChange, Recap, HostStats } from '../engine/events.js';

/** Colours only for a terminal that wants them (NO_COLOR is honoured). */
export function palette(enabled: boolean) {
  const c = (code: number) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { green: c(32), yellow: c(33), red: c(31), cyan: c(36), dim: c(2), bold: c(1), magenta: c(35) };
}
export type Palette = ReturnType<typeof palette>;

export const wantsColor = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && !process.env.NO_COLOR;

/** `--diff`: a unified diff for texts, `- before / + after` for one-line values. */
export function renderDiff(c: ReportedChange, p: Palette): string[] {
  if (c.before === undefined && c.after === undefined) return [];
  const before = c.before ?? '';
  const after = c.after ?? '';
  const oneLine = (s: string) => !s.replace(/\n$/, '').includes('\n');
  if (oneLine(before) && oneLine(after)) {
    if (!c.before) return [p.green(`    + ${after.replace(/\n$/, '')}`)];
    return [p.red(`    - ${before.replace(/\n$/, '')}`), p.green(`    + ${after.replace(/\n$/, '')}`)];
  }
  const name = c.diffName ?? 'value';
  const patch = createTwoFilesPatch(`${name} (before)`, `${name} (after)`, before, after, '', '', { context: 3 });
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('====') && l !== '\\ No newline at end of file' && l !== '')
    .map((l) => `    ${l.startsWith('+') ? p.green(l) : l.startsWith('-') ? p.red(l) : l.startsWith('@@') ? p.cyan(l) : l}`);
}

export function renderChange(c: ReportedChange, p: Palette, opts: { diff: boolean; verbose: boolean }): string[] {
  const lines = [`  ${p.yellow('~')} ${c.summary}`];
  if (opts.verbose) for (const cmd of c.commands) lines.push(p.dim(`    $ ${cmd.length > 300 ? `${cmd.slice(0, 300)}…` : cmd}`));
  if (opts.diff) lines.push(...renderDiff(c, p));
  return lines;
}

export function recapLines(recap: Recap, p: Palette): string[] {
  const hosts = Object.keys(recap).sort();
  const width = Math.max(4, ...hosts.map((h) => h.length));
  const lines = ['', p.bold('PLAY RECAP ' + '*'.repeat(60))];
  for (const h of hosts) {
    const s = recap[h]!;
    const colour = s.failed || s.unreachable ? p.red : s.changed ? p.yellow : p.green;
    lines.push(`${colour(h.padEnd(width))} : ${statLine(s, p)}`.trimEnd());
  }
  return lines;
}

function statLine(s: HostStats, p: Palette): string {
  // Pad the plain text, then colour it: escape codes must not count towards the column width.
  const f = (k: keyof HostStats, width: number, colour: (x: string) => string) => {
    const t = `${k}=${s[k]}`.padEnd(width);
    return s[k] ? colour(t) : t;
  };
  return [f('ok', 7, p.green), f('changed', 11, p.yellow), f('unreachable', 15, p.red), f('failed', 10, p.red), f('skipped', 11, p.cyan), f('ignored', 0, p.magenta)].join(' ');
}
