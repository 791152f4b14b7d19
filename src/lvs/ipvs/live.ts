import { ipvsLiveFact } from '../../facts/ipvs.js';

/**
 * The live IPVS read lives in the facts layer (src/facts/ipvs.ts: the snippet, the framing, the parse; the
 * listings are merged in src/facts/ipvs-merge.ts). These names stay for src/lvs/ipvs's barrel and its callers.
 */
export { mergeListings, tunInfoTable } from '../../facts/ipvs-merge.js';
export { parseLive, parseLiveCaptures, splitCaptures, type Captured, type LiveIpvs } from '../../facts/ipvs.js';

/** The read's snippet (a fresh nonce each call); `parseLive` reads its output. */
export function liveProbeScript(root = ''): string {
  return ipvsLiveFact(root).script;
}
