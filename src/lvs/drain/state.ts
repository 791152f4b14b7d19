import type { Fact } from '../../facts/sections.js';
import { isIP } from 'node:net';
import { quote } from '../../transport/quote.js';
import { normalizeAddress } from '../ipvs/index.js';

/**
 * Which realservers are drained lives on each director, not on an operator's laptop: one file per drained
 * realserver address in DRAIN_DIR, holding one line of JSON (who drained it, when, why). A later `apply` by
 * anyone reads the directory with the host facts and keeps those realservers at weight 0; `plan` and `verify`
 * show them as drained, not as drift; `lvsible restore` removes the file. One file per address means two
 * operators draining two realservers at once never overwrite each other's record.
 */
export const DRAIN_DIR = '/var/lib/lvsible/drained';

export interface DrainRecord {
  /** The realserver address (RIP), canonical text: the file's name. */
  address: string;
  /** Inventory host, when the drain named one. */
  host?: string;
  /** ISO time of the drain. */
  since?: string;
  /** `user@machine` that drained it. */
  by?: string;
  reason?: string;
  /** The file exists but its content is not a record lvsible wrote: still drained (the safe reading). */
  problem?: string;
}

/** Words of a record: bounded, one line, no control characters (they are printed to terminals). */
const TEXT = /^[^\u0000-\u001f\u007f]{0,300}$/;
const ADDRESS_NAME = /^[0-9A-Fa-f.:]{2,45}$/;

/**
 * The read: `<file name> <first line of the file>` per drained address. Names other than address characters
 * are skipped (a stray editor backup is not a drain); content is cut at 4 KiB and to one line, so a hostile
 * file can shape neither the listing nor the framing around it.
 */
export function drainedFact(root = ''): Fact<DrainRecord[]> {
  return {
    name: `drained realservers (${DRAIN_DIR})`,
    script: `for f in ${quote(`${root}${DRAIN_DIR}`)}/*; do [ -f "$f" ] || continue; n=\${f##*/}; case "$n" in *[!0-9A-Fa-f.:]*) continue;; esac; printf '%s ' "$n"; head -c 4096 "$f" 2>/dev/null | head -n 1 | tr -d '\\r\\n'; echo; done; true`,
    parse: parseDrained,
  };
}

export function parseDrained(out: string): DrainRecord[] {
  const records = new Map<string, DrainRecord>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const sp = line.indexOf(' ');
    const name = sp < 0 ? line : line.slice(0, sp);
    if (!ADDRESS_NAME.test(name) || !isIP(name)) continue;
    let address: string;
    try {
      address = normalizeAddress(name);
    } catch {
      continue;
    }
    records.set(address, { address, ...recordFields(sp < 0 ? '' : line.slice(sp + 1)) });
  }
  return [...records.values()].sort((a, b) => a.address.localeCompare(b.address));
}

function recordFields(text: string): Omit<DrainRecord, 'address'> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { problem: 'not a record lvsible wrote (no JSON)' };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { problem: 'not a record lvsible wrote (not an object)' };
  const out: Omit<DrainRecord, 'address'> = {};
  for (const key of ['host', 'since', 'by', 'reason'] as const) {
    const v = (data as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !TEXT.test(v)) return { problem: `not a record lvsible wrote (${key} is not one short line of text)` };
    out[key] = v;
  }
  return out;
}

/** The file's content for a new drain: one line of JSON (its fields are checked again when read back). */
export function recordText(r: Omit<DrainRecord, 'address' | 'problem'>): string {
  for (const [k, v] of Object.entries(r)) {
    if (v !== undefined && !TEXT.test(v)) throw new Error(`drain ${k} must be one line of at most 300 printable characters`);
  }
  return `${JSON.stringify({ host: r.host, since: r.since, by: r.by, reason: r.reason })}\n`;
}

/** `rs-dr (198.51.100.21), drained 2026-12-02T08:30:00Z by ops@laptop: kernel update` */
export function describeRecord(r: DrainRecord): string {
  const who = r.host ? `${r.host} (${r.address})` : r.address;
  const when = [r.since ? `since ${r.since}` : '', r.by ? `by ${r.by}` : ''].filter(Boolean).join(' ');
  return `${who} drained${when ? ` ${when}` : ''}${r.reason ? `: ${r.reason}` : ''}${r.problem ? ` [${r.problem}]` : ''}`;
}
