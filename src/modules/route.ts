import type { Change, Module, ModuleContext, Plan } from '../types.js';
import { sh } from '../transport/quote.js';
import { formatIp, parseCidr, parseIp } from '../lvs/model/net.js';
import { canonicalDst, combine, mapFact, routesFact, unitFileFact, type IpRoute, type UnitState } from '../facts/index.js';
import { deviceBinding, planUnitAbsent, planUnitPresent, renderUnit, unitName } from './netpersist.js';
import { noop } from './util.js';
import { DEV_PATTERN } from './ip_address.js';
import { ParamChecks, str } from './checks.js';
import { cidr, interfaceName, ipAddress } from '../grammar/index.js';

export interface RouteParams {
  dest: string;
  via?: string;
  dev?: string;
  metric?: number;
  table?: string | number;
  state?: 'present' | 'absent';
  persistent?: boolean;
}

export interface LiveRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric: number;
}

export interface RouteState {
  routes: LiveRoute[];
  unit: UnitState;
}

const familyOf = (p: RouteParams): 4 | 6 =>
  p.dest !== 'default' ? (p.dest.includes(':') ? 6 : 4) : p.via?.includes(':') ? 6 : 4;

/** The kernel's default metric when none is given: 0 for IPv4, 1024 for IPv6 (ip-route(8)). */
const metricOf = (p: RouteParams): number => p.metric ?? (familyOf(p) === 6 ? 1024 : 0);
const tableOf = (p: RouteParams): string => String(p.table ?? 'main');

export { canonicalDst };

function routeArgv(p: RouteParams): string[] {
  return [
    p.dest,
    ...(p.via ? ['via', p.via] : []),
    ...(p.dev ? ['dev', p.dev] : []),
    'metric', String(metricOf(p)),
    'table', tableOf(p),
  ];
}

const describeRoute = (p: RouteParams) =>
  `${p.dest}${p.via ? ` via ${p.via}` : ''}${p.dev ? ` dev ${p.dev}` : ''}${p.metric !== undefined ? ` metric ${p.metric}` : ''}${p.table !== undefined ? ` table ${p.table}` : ''}`;

const unitFor = (p: RouteParams) => unitName('route', tableOf(p), p.dest, String(metricOf(p)));

export function routeUnit(p: RouteParams): string {
  const dev = deviceBinding(p.dev);
  return renderUnit({
    description: `lvsible: route ${describeRoute(p)}`,
    // A gateway must be on a configured subnet before the kernel accepts the route: wait for the network.
    unitLines: ['Wants=network-online.target', 'After=network-online.target', ...dev.unitLines],
    wantedBy: dev.wantedBy,
    exec: [['/sbin/ip', `-${familyOf(p)}`, 'route', 'replace', ...routeArgv(p)]],
  });
}

/** The module's view: the unicast routes it manages (local/broadcast/unreachable entries are not) and the unit. */
export function routeState(routes: IpRoute[], unit: UnitState): RouteState {
  return { routes: routes.filter((r) => r.type === 'unicast').map(({ type: _t, ...r }) => r), unit };
}

function readRoute(p: RouteParams, ctx: ModuleContext) {
  const unit = unitFileFact(ctx.root, unitFor(p), p.state === 'absent' ? undefined : routeUnit(p));
  const routes = routesFact({ family: familyOf(p), table: tableOf(p), exact: p.dest });
  return mapFact(combine({ route: routes, unit }), (s) => routeState(s.route, s.unit));
}

/** Parse the read's output (the parse does not depend on the params). */
export const parseRouteState = (out: string): RouteState => readRoute({ dest: 'default', dev: 'lo' }, { root: '' } as ModuleContext).parse(out);

export const routeModule: Module<RouteParams, RouteState> = {
  name: 'route',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dest'],
    properties: {
      dest: { type: 'string', minLength: 2, description: "Destination: 'default' or a network in CIDR form (10.20.0.0/16; a bare address is a host route)." },
      via: { type: 'string', minLength: 2, description: 'Gateway address.' },
      dev: { type: 'string', pattern: DEV_PATTERN, description: 'Output device (needed when there is no gateway).' },
      metric: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'Route metric (priority). Routes with different metrics are different routes. Default: 0 for IPv4, 1024 for IPv6.' },
      table: { type: ['string', 'integer'], pattern: '^[A-Za-z0-9_-]+$', description: "Routing table (number or name from rt_tables); default 'main'." },
      state: { enum: ['present', 'absent'], description: 'present (default) or absent.' },
      persistent: { type: 'boolean', description: 'Keep the route across reboots with a generated systemd unit (default true).' },
    },
  },

  check(p) {
    const c = new ParamChecks()
      .field('dest', p.dest, (v) => (v === 'default' ? null : cidr(v)))
      .field('via', p.via, ipAddress)
      .field('dev', p.dev, (v) => interfaceName(v));
    const [dest, via] = [str(p.dest), str(p.via)];
    if (p.via === undefined && p.dev === undefined && p.state !== 'absent') c.add('', `route ${dest ?? ''} needs via (a gateway) or dev (a device)`);
    if (dest && dest !== 'default' && !c.issues.some((i) => i.field === 'dest')) {
      const canon = canonicalDst(dest);
      const given = parseCidr(dest)!;
      // The kernel refuses 10.0.0.1/24 ("Invalid prefix for given prefix length").
      if (`${formatIp(given)}/${given.prefix}` !== canon) c.add('dest', `${JSON.stringify(dest)} has host bits set; did you mean ${canon}?`);
      if (via && !c.issues.some((i) => i.field === 'via') && via.includes(':') !== dest.includes(':')) c.add('via', `gateway ${via} is not of the same address family as ${dest}`);
    }
    return c.issues;
  },

  normalize(p) {
    if (p.via === undefined && p.dev === undefined && p.state !== 'absent') throw new Error(`route ${p.dest} needs via (a gateway) or dev (a device)`);
    const dest = p.dest === 'default' ? 'default' : canonicalDst(p.dest);
    if (dest !== 'default') {
      const c = parseCidr(p.dest);
      if (!c) throw new Error(`route dest ${JSON.stringify(p.dest)} is neither 'default' nor a CIDR`);
      // The kernel refuses 10.0.0.1/24 ("Invalid prefix for given prefix length"): say it before connecting.
      if (`${formatIp(c)}/${c.prefix}` !== dest) throw new Error(`route dest ${p.dest} has host bits set; did you mean ${dest}?`);
    }
    const via = p.via !== undefined ? parseIp(p.via) : undefined;
    if (via === null) throw new Error(`route via ${JSON.stringify(p.via)} is not an IP address`);
    return { ...p, dest, ...(via ? { via: formatIp(via) } : {}), state: p.state ?? 'present', persistent: p.persistent ?? true };
  },

  read: readRoute,

  plan(p, st, ctx): Plan {
    const changes = p.state === 'absent' ? planAbsent(p, st, ctx) : planPresent(p, st, ctx);
    if (changes.length) return changes;
    const boot = p.persistent !== false ? (p.state === 'absent' ? `, and no boot unit ${unitFor(p)}` : `, and boot unit ${unitFor(p)} is installed and enabled`) : '';
    return noop(`route ${describeRoute(p)} ${p.state === 'absent' ? 'is not' : 'is'} in table ${tableOf(p)}${boot}`);
  },
};

function planPresent(p: RouteParams, st: RouteState, ctx: ModuleContext): Change[] {
  const metric = metricOf(p);
  // Identity is (table, dst, metric): `replace` swaps exactly that route and leaves other metrics alone.
  const cur = st.routes.find((r) => r.dst === p.dest && r.metric === metric);
  const ok = cur && (!p.via || cur.gateway === p.via) && (!p.dev || cur.dev === p.dev);
  const changes: Change[] = [];
  if (!ok) {
    const was = cur ? ` (was${cur.gateway ? ` via ${cur.gateway}` : ''}${cur.dev ? ` dev ${cur.dev}` : ''})` : '';
    changes.push({ summary: `add route ${describeRoute(p)}${was}`, steps: [{ cmd: sh`ip -${familyOf(p)} route replace ${routeArgv(p)}` }] });
  }
  if (p.persistent !== false) changes.push(...planUnitPresent(ctx, unitFor(p), routeUnit(p), st.unit, `route ${describeRoute(p)}`));
  return changes;
}

function planAbsent(p: RouteParams, st: RouteState, ctx: ModuleContext): Change[] {
  const gone = st.routes.filter(
    (r) => r.dst === p.dest && (p.metric === undefined || r.metric === p.metric) && (!p.via || r.gateway === p.via) && (!p.dev || r.dev === p.dev),
  );
  const changes: Change[] = gone.map((r) => ({
    summary: `remove route ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''} metric ${r.metric}`,
    steps: [{ cmd: sh`ip -${familyOf(p)} route del ${r.dst} ${r.gateway ? ['via', r.gateway] : []} ${r.dev ? ['dev', r.dev] : []} metric ${r.metric} table ${tableOf(p)}` }],
  }));
  return [...changes, ...planUnitAbsent(ctx, unitFor(p), st.unit, `route ${describeRoute(p)}`)];
}
