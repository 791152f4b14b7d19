import type { Probe } from '../../types.js';
import { hostNetFact, parseHostNet, type HostNetState } from '../../facts/index.js';

/** What a realserver should look like, as hostView() derives it from the model. */
export interface RealserverExpectation {
  addresses: { address: string; dev: string }[];
  sysctls: { name: string; value: string }[];
  /** NAT: replies must go back through this director address. */
  nat_gateway?: string | null;
}

/** Addresses per device, devices up, the sysctls asked for and the default gateways (src/facts/lvs-net.ts). */
export type RealserverState = HostNetState;

export interface Finding {
  host: string;
  subject: string;
  field: string;
  want: string;
  got: string;
  ok: boolean;
}

/**
 * One read: the addresses on every device, the default routes, and each sysctl the model cares about, at the
 * same /proc/sys path the sysctl module writes (a VLAN device's dots stay dots there).
 */
export function realserverProbe(exp: RealserverExpectation): Probe<RealserverState> {
  return hostNetFact(exp.sysctls.map((s) => s.name));
}

/** Parse a realserver read's output (the parse depends on the output alone). */
export const parseRealserver = (out: string): RealserverState => parseHostNet(out);

/** Desired against actual, one finding per VIP placement and per sysctl, matching or not. */
export function compareRealserver(host: string, exp: RealserverExpectation, got: RealserverState): Finding[] {
  const out: Finding[] = [];
  for (const a of exp.addresses) {
    const on = got.addresses.get(a.dev);
    const present = Boolean(on?.has(a.address));
    const elsewhere = [...got.addresses].filter(([dev, set]) => dev !== a.dev && set.has(a.address)).map(([dev]) => dev);
    out.push({
      host,
      subject: `VIP ${a.address}`,
      field: 'placement',
      want: `on ${a.dev}${a.dev === 'tunl0' ? ' (up)' : ''}`,
      got: present ? `on ${a.dev}${a.dev === 'tunl0' ? (got.up.has('tunl0') ? ' (up)' : ' (down)') : ''}` : elsewhere.length ? `on ${elsewhere.join(', ')}` : 'absent',
      ok: present && (a.dev !== 'tunl0' || got.up.has('tunl0')),
    });
  }
  if (exp.nat_gateway) {
    const ok = got.defaultVia.length === 1 && got.defaultVia[0] === exp.nat_gateway;
    const seen = got.defaultVia.length ? got.defaultVia.map((g) => `via ${g}`).join(', ') : 'none';
    out.push({ host, subject: 'default route', field: 'gateway', want: `via ${exp.nat_gateway}`, got: seen, ok });
  }
  for (const s of exp.sysctls) {
    const v = got.sysctls.get(s.name);
    out.push({ host, subject: s.name, field: 'value', want: s.value, got: v ?? 'missing', ok: v === s.value });
  }
  return out;
}
