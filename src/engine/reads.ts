import { createHash } from 'node:crypto';
import type { Connection, Probe } from '../types.js';
import { runProbes } from './probe.js';
import type { Redactor } from './redact.js';

/** Who a read runs as: the login user, or sudo to a user (root when unnamed). Reads are batched per identity. */
export interface ReadAs {
  become: boolean;
  becomeUser?: string;
}

/** One read a task (or verify) wants: its cache key, a label an operator recognises, and the probe. */
export interface WantedRead {
  key: string;
  /** `sysctl net.ipv4.ip_forward`, `file /etc/keepalived/keepalived.conf`: how a saved plan names the fact. */
  label: string;
  as: ReadAs;
  probe: Probe<unknown>;
}

/** A read as the plan recorded it: what was read and a digest of what it said (see `fingerprint`). */
export interface ReadRecord {
  label: string;
  digest: string;
}

const asKey = (as: ReadAs) => (as.become ? `become:${as.becomeUser ?? ''}` : 'login');

/**
 * What one host's reads said, for the whole run: every play and the verify stage look here first. A read is
 * trusted until a change is applied on the host (which may have touched anything it read); then the cache is
 * emptied and the next task reads again, in one batch for what is left.
 *
 * The first reads of each key, made before anything changed on the host, are also kept as fingerprints: they are
 * what a saved plan was computed from, and what `apply PLANFILE` compares before it changes anything.
 */
export class HostReads {
  private states = new Map<string, unknown>();
  private readonly firstReads = new Map<string, ReadRecord>();
  private touched = false;

  constructor(private readonly conn: Connection, private readonly redactor: Redactor) {}

  has(key: string): boolean {
    return this.states.has(key);
  }

  get(key: string): unknown {
    return this.states.get(key);
  }

  /** Read everything in `wanted` that is not known yet: one exec per identity the reads run as. */
  async fetch(wanted: WantedRead[]): Promise<void> {
    const todo = new Map<string, WantedRead>();
    for (const w of wanted) if (!this.states.has(w.key) && !todo.has(w.key)) todo.set(w.key, w);
    const groups = new Map<string, WantedRead[]>();
    for (const w of todo.values()) {
      const g = groups.get(asKey(w.as)) ?? [];
      g.push(w);
      groups.set(asKey(w.as), g);
    }
    for (const group of groups.values()) {
      const parsed = await runProbes(this.conn, group.map((w) => w.probe), group[0]!.as);
      group.forEach((w, i) => {
        this.states.set(w.key, parsed[i]);
        if (!this.touched && !this.firstReads.has(w.key)) this.firstReads.set(w.key, { label: w.label, digest: fingerprint(parsed[i], this.redactor) });
      });
    }
  }

  /** A change was applied (or attempted): whatever was read before is no longer the truth. */
  invalidate(): void {
    this.states.clear();
    this.touched = true;
  }

  /**
   * The reads made before anything changed: what a plan saw. Keyed by a digest of the masked cache key, since
   * the key holds the module's params (a template's content, with any secret rendered into it).
   */
  fingerprints(): Map<string, ReadRecord> {
    return new Map([...this.firstReads].map(([key, r]) => [key === VERIFY_READ ? key : digest(this.redactor.text(key)), r]));
  }
}

/**
 * A digest of a parsed read that a saved plan can be checked against. What moves without anything having
 * drifted (traffic counters on every live director: see VOLATILE) is left out; secrets are masked before
 * hashing, so that a digest never stands for a password (keepalived's auth_pass has at most 8 characters: its
 * hash could be searched).
 */
export function fingerprint(state: unknown, redactor: Redactor): string {
  return digest(redactor.text(canonical(state)));
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** The verify stage's cache key: not part of any plan (check mode never verifies). */
export const VERIFY_READ = '\u0000verify';

/**
 * Fields that change while nothing drifts: IPVS traffic counters, address lifetimes counting down on a DHCP
 * lease, a service's main PID after a harmless restart by its supervisor.
 */
const VOLATILE = new Set(['counters', 'stats', 'valid_life_time', 'preferred_life_time', 'validLifetime', 'preferredLifetime', 'mainPid', 'MainPID']);

function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString('utf8'));
  if (v instanceof Map) return canonical(Object.fromEntries([...v].map(([k, x]) => [String(k), x])));
  if (v instanceof Set) return canonical([...v].map((x) => (typeof x === 'string' ? x : canonical(x))).sort());
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => !VOLATILE.has(k) && (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
