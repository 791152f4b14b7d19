import type { Change, ModuleContext, Plan, Step } from '../types.js';
import { sh } from '../transport/quote.js';
import { unitName as unitNameGrammar } from '../grammar/index.js';
import { serviceFact, systemctl, sysvServiceFact, type ServiceState } from '../facts/index.js';
import { ParamChecks } from './checks.js';
import { defineModule, noop } from './util.js';

export type { ServiceState };

export interface ServiceParams {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemon_reload?: boolean;
}

/** Running, or on its way to running: starting it again would be a no-op. */
const RUNNING = new Set(['active', 'activating', 'reloading', 'refreshing']);
/** is-enabled answers meaning "starts at boot". */
const ENABLED = new Set(['enabled', 'enabled-runtime']);
/**
 * is-enabled answers that `systemctl enable`/`disable` cannot change: static (no [Install] section), indirect,
 * generated, transient, alias (follows the unit it aliases). Planning a change for them would never converge.
 */
const FIXED = new Set(['static', 'indirect', 'generated', 'transient', 'alias']);

const UNIT_SUFFIX = /\.(service|socket|target|timer|mount|automount|path|slice|scope|swap|device)$/;

/** The unit name systemctl needs: a bare name means NAME.service. */
export function unitName(name: string): string {
  return UNIT_SUFFIX.test(name) ? name : `${name}.service`;
}

export const service = defineModule<ServiceParams, ServiceState>({
  name: 'service',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[^\\s/]+$', description: 'Service (systemd unit) name, e.g. keepalived or ipvsadm.service.' },
      state: {
        enum: ['started', 'stopped', 'restarted', 'reloaded'],
        description:
          'started/stopped: running or not (changed only when it differs). restarted/reloaded: always act (for handlers); reloaded starts a stopped service.',
      },
      enabled: { type: 'boolean', description: 'Start at boot. Units that cannot be enabled (static, indirect, generated) are left as they are.' },
      daemon_reload: {
        type: 'boolean',
        description: 'Run systemctl daemon-reload first when the unit file changed on disk or is not known to systemd yet.',
      },
    },
  },
  check: (p) => new ParamChecks().field('name', p.name, (v) => unitNameGrammar(v, { suffix: false })).issues,
  read(p, ctx) {
    if (!ctx.facts.hasSystemd) return sysvServiceFact(p.name, ctx.facts.os.family, ctx.root);
    return serviceFact(unitName(p.name), ctx.root);
  },
  plan(p, cur, ctx): Plan {
    const changes = ctx.facts.hasSystemd ? planSystemd(p, cur, ctx.root) : planSysv(p, cur, ctx);
    return changes.length ? changes : noop(serviceNoop(p, cur, ctx.facts.hasSystemd ? unitName(p.name) : p.name));
  },
});

/** What the service is, in the words of what was asked: "keepalived.service is already active and enabled". */
function serviceNoop(p: ServiceParams, cur: ServiceState, u: string): string {
  const said: string[] = [];
  if (p.state === 'started') said.push(cur.active || 'running');
  if (p.state === 'stopped') said.push(cur.active === 'inactive' ? 'inactive' : `stopped (${cur.active || 'not running'})`);
  if (p.enabled !== undefined) {
    if (FIXED.has(cur.enabled)) said.push(`${cur.enabled} (enable/disable does not apply to it)`);
    else said.push(p.enabled ? cur.enabled || 'enabled' : cur.enabled || 'not enabled');
  }
  if (!said.length) return `${u}: nothing asked of it${p.daemon_reload ? ' (daemon_reload: its unit file did not change)' : ''}`;
  return `${u} is already ${said.join(' and ')}`;
}

function planSystemd(p: ServiceParams, cur: ServiceState, root: string): Change[] {
  const u = unitName(p.name);
  const ctl = (verb: string) => systemctl(root, verb, u);
  const changes: Change[] = [];
  if (p.daemon_reload && (cur.needsReload || cur.load === 'not-found')) {
    const why = cur.load === 'not-found' ? 'is new' : 'changed on disk';
    changes.push({ summary: `reload systemd units (${u} ${why})`, steps: [{ cmd: 'systemctl daemon-reload' }] });
  }
  const missing = cur.load === 'not-found' ? ' (unit not found yet)' : cur.enabled === 'masked' ? ' (unit is masked: unmask it first)' : '';
  if (p.enabled === true && !ENABLED.has(cur.enabled) && !FIXED.has(cur.enabled)) {
    changes.push({ summary: `enable ${u}${missing}`, before: cur.enabled, after: 'enabled', steps: [{ cmd: ctl('enable') }] });
  }
  if (p.enabled === false && ENABLED.has(cur.enabled)) {
    changes.push({ summary: `disable ${u}`, before: cur.enabled, after: 'disabled', steps: [{ cmd: ctl('disable') }] });
  }
  const running = RUNNING.has(cur.active);
  const act = (verb: string, summary: string) =>
    changes.push({ summary: `${summary}${missing}`, steps: [{ cmd: sh`systemctl ${verb} ${u}` }] });
  switch (p.state) {
    case 'started':
      if (!running) act('start', `start ${u} (was ${cur.active || 'unknown'})`);
      break;
    case 'stopped':
      if (running) act('stop', `stop ${u}`);
      break;
    case 'restarted':
      act('restart', running ? `restart ${u}` : `start ${u} (restart requested, was ${cur.active || 'unknown'})`);
      break;
    case 'reloaded':
      if (running) act('reload', `reload ${u}`);
      else act('start', `start ${u} (reload requested, was ${cur.active || 'unknown'})`);
      break;
  }
  return changes;
}

/*
 * Hosts without systemd (containers, old init): the `service` wrapper for run state, and the distribution's
 * runlevel tool for boot state (update-rc.d on Debian, chkconfig on RHEL), as sysvServiceFact reads them.
 */

function planSysv(p: ServiceParams, cur: ServiceState, ctx: ModuleContext): Change[] {
  const changes: Change[] = [];
  const redhat = ctx.facts.os.family === 'redhat';
  const boot = (on: boolean): Step =>
    redhat
      ? { cmd: sh`chkconfig ${p.name} ${on ? 'on' : 'off'}` }
      : { cmd: on ? sh`update-rc.d ${p.name} defaults && update-rc.d ${p.name} enable` : sh`update-rc.d ${p.name} disable` };
  if (p.enabled === true && cur.enabled !== 'enabled') changes.push({ summary: `enable ${p.name}`, steps: [boot(true)] });
  if (p.enabled === false && cur.enabled === 'enabled') changes.push({ summary: `disable ${p.name}`, steps: [boot(false)] });
  const running = cur.active === 'active';
  const act = (verb: string, summary: string) => changes.push({ summary, steps: [{ cmd: sh`service ${p.name} ${verb}` }] });
  if (p.state === 'started' && !running) act('start', `start ${p.name}`);
  if (p.state === 'stopped' && running) act('stop', `stop ${p.name}`);
  if (p.state === 'restarted') act('restart', `restart ${p.name}`);
  if (p.state === 'reloaded') act(running ? 'reload' : 'start', `${running ? 'reload' : 'start'} ${p.name}`);
  return changes;
}
