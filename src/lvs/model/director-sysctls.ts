/**
 * `lvs.ipvs_sysctls`: the IPVS kernel settings (net.ipv4.vs.*) that make changes under traffic safe on the
 * directors: a removed or drained realserver really lets go of its clients, synced connections survive a
 * failover, ICMP errors reach the realserver that needs them. Every key is optional with a default that says
 * why (docs/cluster-model.md "IPVS settings on the directors"); `null` leaves a key to someone else.
 *
 * One table below is the whole feature: the schema, the defaults, the checks and what the director role and
 * verify see are all read from it.
 */
import type { PathSegment } from '../../config/source.js';
import type { ClusterModel, IpvsSysctlKey, IpvsSysctls, IpvsSysctlValue } from './types.js';

/** What the schema admits for `lvs.ipvs_sysctls` (keys as the kernel names them under net.ipv4.vs). */
export type RawIpvsSysctls = Partial<Record<IpvsSysctlKey, number | string | number[] | null>>;

/** One key as the director role sets it and verify checks it. */
export interface DirectorSysctl {
  name: string;
  /** The value (kernel form: `3 50` for vectors). With `before_kernel`, the value from that kernel on. */
  value: string;
  /** Kernel-dependent (conn_reuse_mode: auto): `value` below kernel `version` (a host fact, read at run time). */
  before_kernel: { version: string; value: string } | null;
  /** For task names and reports: `1`, or `0 on kernels < 5.9, else 1`. */
  label: string;
}

/** conn_reuse_mode 0 only below this kernel (kubernetes#93297, PR #102122: the 1 s SYN delay is fixed in 5.9). */
export const CONN_REUSE_FIXED_KERNEL = '5.9';

const bool = (description: string) => ({ enum: [0, 1, null], description });
const INT_MAX = 2147483647;

/** Keys that only mean something where the sync daemon runs. */
const SYNC_KEYS: IpvsSysctlKey[] = ['sync_threshold', 'sync_refresh_period', 'sync_retries', 'sync_persist_mode', 'sync_ports'];

/** The net.ipv4.vs keys lvsible knows, in the order the role sets them. */
export const IPVS_SYSCTL_KEYS: IpvsSysctlKey[] = [
  'expire_nodest_conn', 'expire_quiescent_template', 'sloppy_tcp', 'schedule_icmp', 'conn_reuse_mode', ...SYNC_KEYS,
];

export const ipvsSysctlsSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'IPVS kernel settings (net.ipv4.vs.KEY) lvsible sets on every director, live and in /etc/sysctl.d, and verify checks. ' +
    'Every key is optional (the default is given per key); null leaves the key alone (not set, not checked).',
  properties: {
    expire_nodest_conn: bool(
      'Default 1: the connections of a realserver that is removed (or taken out by a health check) expire at once, so its clients reconnect to a live one instead of being blackholed until the connection times out (up to 15 min; kubernetes#71358).',
    ),
    expire_quiescent_template: bool(
      'Default 1: persistence templates pointing at a weight-0 (drained) realserver expire, so persistent clients move off it; with 0 persistence defeats a drain.',
    ),
    sloppy_tcp: bool(
      'Default 1 when sync_daemon is set, else 0: IPVS takes up a TCP connection on any packet, not only a SYN. Needed on the BACKUP for synced connections to survive a failover; without connection sync it only helps a consistent scheduler.',
    ),
    schedule_icmp: bool(
      'Default 1 when the cluster has DR or TUN realservers, else 0 (kernel >= 4.4): ICMP errors (fragmentation needed) about a connection IPVS has no entry for are scheduled like its packets, so they reach the realserver that sent the reply (which does not pass the director with DR/TUN).',
    ),
    conn_reuse_mode: {
      description:
        `Default auto: 0 on kernels before ${CONN_REUSE_FIXED_KERNEL} (a client reusing a source port waits 1 s for a SYN retransmit otherwise), the kernel default 1 from ${CONN_REUSE_FIXED_KERNEL} on, as kube-proxy does (kubernetes#93297, PR #102122). ` +
        'The kernel version is read on each director at run time. 0..3 sets it everywhere (a bitmap: 1 reschedules a reused port when safe, 2 also in FIN_WAIT).',
      enum: ['auto', 0, 1, 2, 3, null],
    },
    sync_threshold: {
      type: ['array', 'null'],
      description:
        'With sync_daemon (default [3, 50]): a connection is synced when its incoming packet count modulo the period equals the threshold. Threshold below period; period 0 syncs once (and on state changes).',
      items: { type: 'integer', minimum: 0, maximum: INT_MAX, description: 'Threshold, then period.' },
      minItems: 2,
      maxItems: 2,
    },
    sync_refresh_period: {
      type: ['integer', 'null'],
      minimum: 0,
      maximum: 2678400,
      description: 'With sync_daemon (default 0, off): seconds of connection timer change that trigger a new sync message; reduces the sync rate of long busy connections.',
    },
    sync_retries: {
      type: ['integer', 'null'],
      minimum: 0,
      maximum: 3,
      description: 'With sync_daemon (default 0): sync messages are retried this often, every sync_refresh_period/8 (against lost sync packets).',
    },
    sync_persist_mode: bool(
      'With sync_daemon (default 0): 1 syncs only the persistence templates of persistent services (less sync traffic; needs sloppy_tcp on the BACKUP).',
    ),
    sync_ports: {
      enum: [1, 2, 4, 8, 16, 32, 64, null],
      description:
        'With sync_daemon (default 1): sync threads, one UDP port each from 8848; a power of 2, the same on every director, read when the sync daemon starts (a keepalived restart, not a reload).',
    },
  },
};

/**
 * The model's settings: each key resolved to its value ('3 50' for the vector), 'auto' (conn_reuse_mode: decided
 * per director from its kernel at run time) or null (not managed). Defaults that depend on the cluster:
 * sloppy_tcp on with the sync daemon, schedule_icmp on when a realserver answers clients directly (DR/TUN).
 */
export function buildIpvsSysctls(raw: RawIpvsSysctls | undefined, cluster: { sync: boolean; direct: boolean }): IpvsSysctls {
  const r = raw ?? {};
  const pick = (k: IpvsSysctlKey, dflt: IpvsSysctlValue): IpvsSysctlValue => {
    if (!(k in r)) return dflt;
    const v = r[k];
    return v === null || v === undefined ? null : Array.isArray(v) ? v.join(' ') : v;
  };
  return {
    expire_nodest_conn: pick('expire_nodest_conn', 1),
    expire_quiescent_template: pick('expire_quiescent_template', 1),
    sloppy_tcp: pick('sloppy_tcp', cluster.sync ? 1 : 0),
    schedule_icmp: pick('schedule_icmp', cluster.direct ? 1 : 0),
    conn_reuse_mode: pick('conn_reuse_mode', 'auto'),
    sync_threshold: pick('sync_threshold', '3 50'),
    sync_refresh_period: pick('sync_refresh_period', 0),
    sync_retries: pick('sync_retries', 0),
    sync_persist_mode: pick('sync_persist_mode', 0),
    sync_ports: pick('sync_ports', 1),
    explicit: IPVS_SYSCTL_KEYS.filter((k) => k in r),
  };
}

interface Reporter {
  error(path: PathSegment[], message: string): void;
  warn(path: PathSegment[], message: string): void;
}

const at = (k: string): PathSegment[] => ['lvs', 'ipvs_sysctls', k];

/** What the schema cannot say: sync keys need the sync daemon, a threshold below its period, sync needs sloppy_tcp. */
export function checkIpvsSysctls(model: ClusterModel, r: Reporter): void {
  const s = model.ipvs_sysctls;
  if (!model.sync_daemon) {
    for (const k of SYNC_KEYS) {
      if (s.explicit.includes(k) && s[k] !== null) r.error(at(k), `${k} is a setting of the connection sync daemon, and this cluster has no sync_daemon: remove it, or set lvs.sync_daemon`);
    }
  }
  if (typeof s.sync_threshold === 'string') {
    const [threshold, period] = s.sync_threshold.split(' ').map(Number) as [number, number];
    if (period !== 0 && threshold >= period) r.error(at('sync_threshold'), `sync_threshold [${threshold}, ${period}]: the threshold must be below the period (or the period 0): the kernel refuses it`);
  }
  if (model.sync_daemon && s.sloppy_tcp === 0) {
    r.warn(at('sloppy_tcp'), 'sloppy_tcp 0 with sync_daemon: the connections synced to the BACKUP are reset when it takes over (only a SYN creates a connection there)');
  }
  if (model.sync_daemon && s.sync_persist_mode === 1 && s.sloppy_tcp === 0) {
    r.warn(at('sync_persist_mode'), 'sync_persist_mode 1 syncs only persistence templates: the BACKUP needs sloppy_tcp 1 to take up the connections themselves');
  }
  const persistent = model.virtual_services.some((v) => v.persistence_timeout > 0);
  if (persistent && s.expire_quiescent_template === 0) {
    r.warn(at('expire_quiescent_template'), 'expire_quiescent_template 0 with persistent services: a drained (weight 0) realserver keeps its persistent clients until their templates time out');
  }
}

const NET = 'net.ipv4.vs.';

/**
 * What the director role sets (and verify checks), and the keys lvsible knows but does not set (null, or a sync
 * key without the sync daemon): the role takes those out of its sysctl file, so a setting removed from the model
 * does not come back at the next boot. The same on every director: a pair must agree (sync_ports above all).
 */
export function directorSysctls(model: ClusterModel): { sysctls: DirectorSysctl[]; sysctls_unmanaged: string[] } {
  const s = model.ipvs_sysctls;
  const sysctls: DirectorSysctl[] = [];
  const unmanaged: string[] = [];
  for (const k of IPVS_SYSCTL_KEYS) {
    const v = SYNC_KEYS.includes(k) && !model.sync_daemon ? null : s[k];
    if (v === null) unmanaged.push(NET + k);
    else if (v === 'auto') {
      sysctls.push({ name: NET + k, value: '1', before_kernel: { version: CONN_REUSE_FIXED_KERNEL, value: '0' }, label: `0 on kernels < ${CONN_REUSE_FIXED_KERNEL}, else 1` });
    } else sysctls.push({ name: NET + k, value: String(v), before_kernel: null, label: String(v) });
  }
  return { sysctls, sysctls_unmanaged: unmanaged };
}

/**
 * `uname -r` below `version` (major.minor), as the role's `ansible_kernel is version(V, '<')` judges it: numbers
 * compared as numbers, so 5.10 is not below 5.9. A release that does not start with a version is not below.
 */
export function kernelBelow(kernel: string, version: string): boolean {
  const parts = (t: string) => (/^\s*(\d+(?:\.\d+)*)/.exec(t)?.[1] ?? '').split('.').filter(Boolean).map(Number);
  const k = parts(kernel);
  const v = parts(version);
  if (!k.length) return false;
  for (let i = 0; i < Math.max(k.length, v.length); i++) {
    const a = k[i];
    const b = v[i];
    if (b === undefined) return false;
    if (a === undefined) return true;
    if (a !== b) return a < b;
  }
  return false;
}

/** The value `entry` should have on a director running `kernel`. */
export function sysctlValueFor(entry: DirectorSysctl, kernel: string): string {
  return entry.before_kernel && kernelBelow(kernel, entry.before_kernel.version) ? entry.before_kernel.value : entry.value;
}
