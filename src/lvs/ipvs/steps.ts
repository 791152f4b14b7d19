import type { Step } from '../../types.js';
import { raw, sh } from '../../transport/quote.js';
import { destKey, formatAddrPort, normalizeAddress, serviceKey, describeService } from './keys.js';
import type { DrainTarget } from './plan.js';
import { serviceSelector } from './serialize.js';
import type { IpvsTimeouts } from './types.js';

const SBIN = raw('PATH="$PATH:/usr/sbin:/sbin"');
const NEED_IPVSADM = raw(`command -v ipvsadm >/dev/null 2>&1 || { echo 'ipvsadm is not installed (the ipvsadm package provides it)' >&2; exit 127; }`);

/**
 * One `ipvsadm -R` with the batch on stdin. -R reports only the LAST line's kernel result in its exit status
 * (earlier kernel errors are printed and swallowed, lvs-reference §3), so anything it prints fails the step.
 */
export function restoreStep(lines: string[], label: string): Step {
  return {
    cmd: sh`${SBIN}; ${NEED_IPVSADM}; out=$(ipvsadm -R 2>&1); rc=$?; if [ -n "$out" ]; then printf '%s\\n' "$out" >&2; [ "$rc" -ne 0 ] || rc=1; fi; exit "$rc"`,
    stdin: lines.join('\n') + '\n',
    label,
  };
}

export function setTimeoutsStep(t: IpvsTimeouts): Step {
  return { cmd: sh`${SBIN}; ipvsadm --set ${t.tcp} ${t.tcpfin} ${t.udp}` };
}

/**
 * Wait, at most `timeoutSec` seconds, until every target's ActiveConn + InActConn is 0. One `ipvsadm -Ln`
 * per service per second; a destination or service that is gone counts as drained. Ends with status 0 either
 * way: after the timeout the destinations are deleted anyway (the operator chose that bound).
 */
export function drainStep(targets: DrainTarget[], timeoutSec: number): Step {
  const byService = new Map<string, { sel: string[]; name: string; dests: string[] }>();
  for (const t of targets) {
    const k = serviceKey(t.service);
    const entry = byService.get(k) ?? { sel: serviceSelector(t.service), name: describeService(t.service), dests: [] };
    // The listing prints addresses as inet_ntop does: the normalised form, IPv6 in brackets.
    entry.dests.push(formatAddrPort(normalizeAddress(t.dest.address), t.dest.port));
    byService.set(k, entry);
  }
  const awk = raw(`'BEGIN { n = split(d, a, " "); for (i = 1; i <= n; i++) w[a[i]] = 1 } $1 == "->" && ($2 in w) { s += $5 + $6 } END { print s + 0 }'`);
  const checks = [...byService.values()].map(
    (s) => sh`c=$(ipvsadm -Ln ${s.sel} 2>/dev/null | awk -v d=${s.dests.join(' ')} ${awk}); [ "$c" -eq 0 ] || { busy=1; n=${s.name}; left="$left $n: $c"; }`,
  );
  const lines = [
    sh`${SBIN}; i=0; t=${timeoutSec}`,
    'while :; do',
    '  busy=0; left=',
    ...checks.map((c) => `  ${c}`),
    '  [ "$busy" -eq 0 ] && break',
    `  if [ "$i" -ge "$t" ]; then echo "drain timed out after $t s, deleting anyway;$left connections left" >&2; break; fi`,
    '  sleep 1; i=$((i + 1))',
    'done',
  ];
  const n = targets.length;
  return { cmd: lines.join('\n'), label: `drain ${n} destination${n === 1 ? '' : 's'} (wait up to ${timeoutSec} s for their connections to end)` };
}

/** For messages and tests: the destinations a drain step waits for. */
export function drainTargetsText(targets: DrainTarget[]): string[] {
  return targets.map((t) => `${describeService(t.service)} -> ${destKey(t.dest)}`);
}
