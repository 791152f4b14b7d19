import { pathExistsFact } from './file.js';
import type { Fact } from './sections.js';

/**
 * Whether a kernel module is loaded: /sys/module/NAME exists exactly while it is (built-in modules with
 * parameters too). Read from sysfs, never through modprobe, which could load what it is asked about.
 */
export function moduleLoadedFact(name: string, root = ''): Fact<boolean> {
  return { ...pathExistsFact(`${root.replace(/\/+$/, '')}/sys/module/${name}`), name: `kernel module ${name}` };
}
