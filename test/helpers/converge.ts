import type { Change, Connection, HostFacts, Module, ModuleContext } from '../../src/types.js';
import { runProbes } from '../../src/engine/probe.js';
import { renderString } from '../../src/playbook/template.js';
import { applyChange } from '../../src/engine/steps.js';
import { LocalConnection } from '../../src/transport/local.js';

export const debianFacts: HostFacts = {
  os: { id: 'debian', idLike: [], versionId: '12', family: 'debian' },
  packageManager: 'apt',
  hostname: 'test',
  kernel: '6.1.0',
  isRoot: true,
  hasSystemd: true,
};

export function testContext(root: string, over: Partial<ModuleContext> = {}): ModuleContext {
  return {
    host: 'test',
    facts: debianFacts,
    baseDir: process.cwd(),
    render: (t, extra) => renderString(t, { ...(extra ?? {}) }, { file: true }),
    root,
    ...over,
  };
}

/** read -> plan for one module invocation, for real, over a connection. */
export async function planOn<P>(mod: Module<P>, params: P, ctx: ModuleContext, conn: Connection = new LocalConnection()) {
  const p = mod.normalize ? mod.normalize(params, ctx) : params;
  const [state] = await runProbes(conn, [mod.read(p, ctx)]);
  return { params: p, state, changes: mod.plan(p, state, ctx) };
}

/**
 * The whole module cycle, for real: read, plan, apply, then read and plan again. Returns the first plan and
 * the second; a correct module makes changes on a divergent host and plans [] the second time.
 */
export async function converge<P>(mod: Module<P>, params: P, ctx: ModuleContext, conn: Connection = new LocalConnection()) {
  const first = await planOn(mod, params, ctx, conn);
  for (const c of first.changes) await applyChange(conn, c);
  const second = await planOn(mod, params, ctx, conn);
  return { first: first.changes as Change[], second: second.changes as Change[], state: second.state };
}

/**
 * `conn` with `dir` first on PATH: stand-in or logging wrappers of host commands (ipvsadm, modprobe, ip) in
 * `dir` take the place of the real ones. `execs` counts the exec calls (one per SSH round trip on a host).
 */
export function pathFirst(dir: string, conn: Connection = new LocalConnection()): Connection & { execs: number } {
  const wrapped = {
    host: conn.host,
    execs: 0,
    close: () => conn.close(),
    exec: (cmd: string, opts?: Parameters<Connection['exec']>[1]) => {
      wrapped.execs++;
      return conn.exec(`PATH=${dir}:$PATH; export PATH\n${cmd}`, opts);
    },
  };
  return wrapped;
}
