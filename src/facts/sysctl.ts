import { sysctlPath } from '../grammar/sysctl.js';
import { sh } from '../transport/quote.js';
import type { Fact } from './sections.js';

/**
 * A kernel parameter's live value, read from /proc/sys at the path the sysctl module writes (sysctlPath: a
 * VLAN device's dots stay dots, `net.ipv4.conf.eth1/100.arp_ignore` is conf/eth1.100/arp_ignore). The module
 * and verify both read through here, so they can never look at two different files for one key.
 */

export interface LiveSysctl {
  /** Whitespace-normalised value (`4096 87380 6291456`); undefined when missing or unreadable. */
  value?: string;
  /** False when the key does not exist (the kernel module providing it is not loaded yet). */
  exists: boolean;
  /** The key exists but cannot be read (write-only keys such as net.ipv4.route.flush). */
  unreadable?: true;
}

/** `root` prefixes /proc/sys like every path a module touches ('' in production, a temp dir in tests). */
export function procSysPath(name: string, root = ''): string {
  return `${root.replace(/\/+$/, '')}/proc/sys/${sysctlPath(name)}`;
}

/**
 * One line: `value V` (newlines of multi-line keys become spaces), `unreadable` or `missing`. The read is
 * tested by its exit status, not by `-r`: root passes `-r` on a write-only key whose read still fails.
 */
export function sysctlFact(name: string, root = ''): Fact<LiveSysctl> {
  const path = procSysPath(name, root);
  return {
    name: `sysctl ${name}`,
    script:
      sh`if [ -f ${path} ] && v=$(tr '\\n' ' ' < ${path} 2>/dev/null); then printf 'value %s\\n' "$v"; ` +
      sh`elif [ -e ${path} ]; then echo unreadable; else echo missing; fi`,
    parse: parseSysctl,
  };
}

export function parseSysctl(out: string): LiveSysctl {
  const line = out.split('\n')[0] ?? '';
  if (line.startsWith('value ') || line === 'value') return { exists: true, value: line.slice(6).trim().split(/\s+/).join(' ') };
  if (line === 'unreadable') return { exists: true, unreadable: true };
  return { exists: false };
}
