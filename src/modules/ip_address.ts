import type { Change, Module, ModuleContext, Plan, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { formatIp, parseCidr } from '../lvs/model/net.js';
import { addressesFact, combine, mapFact, unitFileFact, type IpAddr, type IpLink, type UnitState } from '../facts/index.js';
import { deviceBinding, planUnitAbsent, planUnitPresent, renderUnit, unitName } from './netpersist.js';
import { noop } from './util.js';
import { ParamChecks, str } from './checks.js';
import { cidr, interfaceName } from '../grammar/index.js';

export interface IpAddressParams {
  address: string;
  dev: string;
  state?: 'present' | 'absent';
  label?: string;
  scope?: 'host' | 'link' | 'global' | 'site';
  persistent?: boolean;
  up?: boolean;
}

export type LiveAddress = IpAddr;

export interface IpAddressState {
  /** False when the device does not exist (then nothing else is known about it). */
  device: boolean;
  up: boolean;
  addresses: LiveAddress[];
  unit: UnitState;
}

export const DEV_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,14}$';

/** `10.0.0.1` -> { ip: '10.0.0.1', prefix: 32 }; IPv6 in RFC 5952 form, as `ip -j` prints it. */
export function splitCidr(text: string): { ip: string; prefix: number; family: 4 | 6 } {
  const c = parseCidr(text.trim());
  if (!c) throw new Error(`not an IP address or CIDR: ${JSON.stringify(text)}`);
  return { ip: formatIp(c), prefix: c.prefix, family: c.family };
}

const unitFor = (p: IpAddressParams) => unitName('addr', p.dev, p.address);

/** The live command and the boot unit run the same argv: what boot does is exactly what was tested live. */
function replaceArgv(p: IpAddressParams): string[] {
  return [
    'addr', 'replace', p.address, 'dev', p.dev,
    ...(p.label ? ['label', p.label] : []),
    ...(p.scope ? ['scope', p.scope] : []),
  ];
}

export function addressUnit(p: IpAddressParams): string {
  const dev = deviceBinding(p.dev);
  return renderUnit({
    description: `lvsible: address ${p.address} on ${p.dev}`,
    // After modules load so tunl0 (ipip) exists; before network.target so keepalived/ipvsadm find the address.
    unitLines: ['Wants=network-pre.target', 'After=network-pre.target systemd-modules-load.service', 'Before=network.target', ...dev.unitLines],
    wantedBy: dev.wantedBy,
    exec: [...(p.up !== false ? [['/sbin/ip', 'link', 'set', 'dev', p.dev, 'up']] : []), ['/sbin/ip', ...replaceArgv(p)]],
  });
}

/** The module's view of the device's addresses and of its boot unit (pure: tables feed it parsed facts). */
export function addrState(links: IpLink[], unit: UnitState): IpAddressState {
  const link = links[0];
  return { device: !!link, up: !!link?.up, addresses: link?.addresses ?? [], unit };
}

function readAddr(p: IpAddressParams, ctx: ModuleContext) {
  const unit = unitFileFact(ctx.root, unitFor(p), p.state === 'absent' ? undefined : addressUnit(p));
  return mapFact(combine({ addr: addressesFact(p.dev), unit }), (s) => addrState(s.addr, s.unit));
}

/** Parse the read's output (any device: the parse does not depend on the params). */
export const parseAddrState = (out: string): IpAddressState => readAddr({ address: '0.0.0.0/32', dev: 'lo' }, { root: '' } as ModuleContext).parse(out);

export const ipAddressModule: Module<IpAddressParams, IpAddressState> = {
  name: 'ip_address',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['address', 'dev'],
    properties: {
      address: { type: 'string', minLength: 2, description: 'Address with prefix (10.0.0.10/32, 2001:db8::10/128). A bare address means /32 or /128.' },
      dev: { type: 'string', pattern: DEV_PATTERN, description: 'Network device the address goes on (lo, eth0, tunl0).' },
      state: { enum: ['present', 'absent'], description: 'present (default) or absent (the address is removed from the device whatever its prefix, and its boot unit too).' },
      label: { type: 'string', pattern: '^[A-Za-z0-9_.:@+-]{1,15}$', description: 'IPv4 address label, the device name optionally followed by a colon and a suffix (lo:vip).' },
      scope: { enum: ['host', 'link', 'global', 'site'], description: 'Address scope; default: what the kernel picks (global).' },
      persistent: { type: 'boolean', description: 'Keep the address across reboots with a generated systemd unit (default true).' },
      up: { type: 'boolean', description: 'Bring the device up as well (default true).' },
    },
  },

  check(p) {
    const c = new ParamChecks()
      .field('address', p.address, (v) => cidr(v.trim()))
      .field('dev', p.dev, (v) => interfaceName(v))
      .field('label', p.label, (v) => interfaceName(v, { alias: true }));
    // The kernel wants the label to start with the device name (`lo:vip` on lo): it refuses anything else.
    const [dev, label] = [str(p.dev), str(p.label)];
    if (dev && label && !c.issues.length && label !== dev && !label.startsWith(`${dev}:`)) c.add('label', `${JSON.stringify(label)} must be the device name or start with "${dev}:" (the kernel refuses other labels)`);
    return c.issues;
  },

  normalize(p) {
    const { ip, prefix } = splitCidr(p.address);
    return { ...p, address: `${ip}/${prefix}`, state: p.state ?? 'present', persistent: p.persistent ?? true, up: p.up ?? true };
  },

  read: readAddr,

  plan(p, st, ctx): Plan {
    const changes = p.state === 'absent' ? planAbsent(p, st, ctx) : planPresent(p, st, ctx);
    if (changes.length) return changes;
    const boot = p.persistent !== false ? (p.state === 'absent' ? `, and no boot unit ${unitFor(p)}` : `, and boot unit ${unitFor(p)} is installed and enabled`) : '';
    if (p.state === 'absent') return noop(`${p.address} is not on ${p.dev}${boot}`);
    return noop(`${p.address} is on ${p.dev}${p.up !== false ? ' (up)' : ''}${boot}`);
  },
};

function planPresent(p: IpAddressParams, st: IpAddressState, ctx: ModuleContext): Change[] {
  const { ip, prefix } = splitCidr(p.address);
  const same = st.addresses.filter((a) => a.local === ip);
  const good = same.find(
    (a) => a.prefixlen === prefix && (!p.scope || a.scope === p.scope) && (!p.label || a.label === p.label),
  );
  const changes: Change[] = [];
  const steps: Step[] = [];
  const what: string[] = [];
  if (p.up !== false && !st.up) {
    steps.push({ cmd: sh`ip link set dev ${p.dev} up` });
    what.push(`bring ${p.dev} up`);
  }
  if (!good) {
    // `replace` neither changes the prefix nor the scope/label of an existing address: remove the wrong one first.
    for (const a of same) steps.push({ cmd: sh`ip addr del ${`${a.local}/${a.prefixlen}`} dev ${p.dev}` });
    steps.push({ cmd: sh`ip ${replaceArgv(p)}` });
    const was = same.map((a) => `${a.local}/${a.prefixlen}${a.scope ? ` scope ${a.scope}` : ''}${a.label ? ` label ${a.label}` : ''}`);
    what.push(`add ${p.address} to ${p.dev}${was.length ? ` (was ${was.join(', ')})` : ''}${st.device ? '' : ` (device ${p.dev} not found)`}`);
  }
  if (steps.length) changes.push({ summary: what.join(', '), steps });
  if (p.persistent !== false) changes.push(...planUnitPresent(ctx, unitFor(p), addressUnit(p), st.unit, `${p.address} on ${p.dev}`));
  return changes;
}

function planAbsent(p: IpAddressParams, st: IpAddressState, ctx: ModuleContext): Change[] {
  const { ip } = splitCidr(p.address);
  const live = st.addresses.filter((a) => a.local === ip);
  const changes: Change[] = live.length
    ? [
        {
          summary: `remove ${live.map((a) => `${a.local}/${a.prefixlen}`).join(', ')} from ${p.dev}`,
          steps: live.map((a) => ({ cmd: sh`ip addr del ${`${a.local}/${a.prefixlen}`} dev ${p.dev}` })),
        },
      ]
    : [];
  return [...changes, ...planUnitAbsent(ctx, unitFor(p), st.unit, `${p.address} on ${p.dev}`)];
}
