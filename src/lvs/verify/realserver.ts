import { sysctlPath } from '../../grammar/sysctl.js';
import type { Probe } from '../../types.js';
import { quote } from '../../transport/quote.js';

/** What a realserver should look like, as hostView() derives it from the model. */
export interface RealserverExpectation {
  addresses: { address: string; dev: string }[];
  sysctls: { name: string; value: string }[];
  /** NAT: replies must go back through this director address. */
  nat_gateway?: string | null;
}

export interface RealserverState {
  /** dev -> addresses with prefix, from `ip -j addr`. */
  addresses: Map<string, Set<string>>;
  /** Device -> operstate/flags say it is up. */
  up: Set<string>;
  sysctls: Map<string, string | null>;
  /** Gateways of the default routes (main table). */
  defaultVia: string[];
}

export interface Finding {
  host: string;
  subject: string;
  field: string;
  want: string;
  got: string;
  ok: boolean;
}

/** The same path the sysctl module writes (a VLAN device's dots stay dots there). */
const procPath = (name: string) => `/proc/sys/${sysctlPath(name)}`;

/** One probe: the addresses on every device, and each sysctl the model cares about. */
export function realserverProbe(exp: RealserverExpectation): Probe<RealserverState> {
  const sysctls = exp.sysctls.map((s) => `printf '@sysctl %s ' ${quote(s.name)}; cat ${quote(procPath(s.name))} 2>/dev/null || echo '@missing'`);
  return {
    script: [
      'echo "@addr $(ip -j addr show 2>/dev/null | tr -d "\\n")"',
      'echo "@route $(ip -j route show default 2>/dev/null | tr -d "\\n")"',
      ...sysctls,
    ].join('\n'),
    parse: parseRealserver,
  };
}

export function parseRealserver(out: string): RealserverState {
  const state: RealserverState = { addresses: new Map(), up: new Set(), sysctls: new Map(), defaultVia: [] };
  for (const line of out.split('\n')) {
    if (line.startsWith('@addr ')) {
      const json = line.slice(6).trim();
      const links = (json ? JSON.parse(json) : []) as Array<{ ifname: string; flags?: string[]; addr_info?: Array<{ local: string; prefixlen: number }> }>;
      for (const l of links) {
        state.addresses.set(l.ifname, new Set((l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`)));
        if (l.flags?.includes('UP')) state.up.add(l.ifname);
      }
    } else if (line.startsWith('@route ')) {
      const json = line.slice(7).trim();
      const routes = (json ? JSON.parse(json) : []) as Array<{ gateway?: string }>;
      state.defaultVia = routes.map((r) => r.gateway).filter((g): g is string => Boolean(g));
    } else if (line.startsWith('@sysctl ')) {
      const [, name, ...rest] = line.split(' ');
      const value = rest.join(' ').trim();
      state.sysctls.set(name!, value === '@missing' ? null : value.replace(/\s+/g, ' '));
    }
  }
  return state;
}

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
