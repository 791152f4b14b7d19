/**
 * The lab no-change benchmark: lvsible against the SSH floor and against Ansible, on real VMs.
 *
 *   npx tsx bench/lab-noop.ts [runs=3]
 *   LVSIBLE_BENCH_REV=<commit>  npx tsx bench/lab-noop.ts     (measure another commit; default HEAD)
 *   LVSIBLE_BENCH_BASE=<commit> npx tsx bench/lab-noop.ts     (also (b0)/(c0): that commit's lvsible, same runs,
 *                                                              alternated with the others: before/after in one go)
 *   LVSIBLE_BENCH_LAB=<dir>     npx tsx bench/lab-noop.ts 1   (reuse a lab already up in that LVSIBLE_LAB_DIR:
 *                                                              no boot, no teardown; for debugging the bench)
 *
 * What it does:
 *  0. builds lvsible from `git archive <rev>` in a temp dir (tsc, node_modules linked), so the figures are
 *     those of one commit whatever else is being edited in the working tree;
 *  1. boots the default lab topology (6 VMs) in a temp LVSIBLE_LAB_DIR (the project's .lab is untouched; SSH
 *     ports, the proxy's port and the LAN multicast groups are chosen at random per lab with a bind check,
 *     src/lab/ports.ts + lab.ts, so it cannot collide with another lab such as the e2e tests');
 *     converges examples/mixed/site.yml (first apply, timed), checks a second apply reports changed=0;
 *  2. prepares Ansible: bench/ansible/bootstrap.yml (python3 + python3-apt, which the image lacks), then
 *     asserts bench/ansible/site.yml reports changed=0 failed=0 on the converged lab and that lvsible
 *     still reports changed=0 after it (same end state);
 *  3. alternated run by run, `runs` times each:
 *     (a) `ssh HOST true` to every host of the inventory in parallel (OpenSSH, the lab's key and known_hosts),
 *     (b) `lvsible apply` of examples/mixed (verify on, the default), no change,
 *     (c) the same with --no-verify,
 *     (d) `ansible-playbook bench/ansible/site.yml` (Debian's /usr/bin/ansible-playbook), no change;
 *  4. prints a markdown table (min/median/max wall seconds, ratio to (a), (d) over (b) and (c)), the load
 *     average, and what lvsible's --json recap carries (roundTrips per host, stage timings when present);
 *  5. tears the lab down (finally, and on SIGINT/SIGTERM) and removes the temp dirs.
 *
 * Ansible settings (an ansible.cfg in the temp dir, via ANSIBLE_CONFIG): pipelining = True, ControlMaster=auto
 * with ControlPersist=60s in a control_path_dir of its own per run (masters closed with `ssh -O exit` after
 * each run, so no run starts on another run's connections), forks = 10, interpreter_python = /usr/bin/python3
 * (no discovery), timeout = 120 (sudo under TCG at load 8 took over the default 10 s), strict host keys
 * against the lab's known_hosts. Facts: only the director plays gather, subset `distribution`
 * (ansible_os_family, which the director role tests); the realserver play gathers none.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downLab } from '../src/lab/down.js';
import { labUp } from '../src/lab/lab.js';
import { labPaths } from '../src/lab/paths.js';
import { readState, type LabState } from '../src/lab/state.js';
import { sshArgs } from '../src/lab/ssh.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Math.max(1, Math.min(20, Number(process.argv[2] ?? 3) || 3));
const REV = process.env.LVSIBLE_BENCH_REV || 'HEAD';
const REUSE = process.env.LVSIBLE_BENCH_LAB;
const BASE = process.env.LVSIBLE_BENCH_BASE;
const ANSIBLE = '/usr/bin/ansible-playbook';
const ANSIBLE_DIR = join(ROOT, 'bench', 'ansible');
const RUN_TIMEOUT_MS = 20 * 60_000; // one command; bounds every child

const tmp = mkdtempSync(join(tmpdir(), 'lvsible-bench-noop-'));
const labDir = REUSE ? resolve(REUSE) : join(tmp, 'lab');
const env: NodeJS.ProcessEnv = { ...process.env, LVSIBLE_LAB_DIR: labDir };
delete env.LVSIBLE_LAB_INVENTORY;
const paths = labPaths(env);
const log = (l: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${l}`);
const loads: string[] = [];
const noteLoad = (when: string) => loads.push(`${when}: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run a command, bounded in time; the child is ours (its pid), killed by pid on timeout. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Out> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? RUN_TIMEOUT_MS);
    child.on('error', (e) => (clearTimeout(timer), children.delete(child.pid!), rej(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child.pid!);
      res({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
    });
  });
}
const children = new Set<number>();

// ---------- lvsible from one commit ----------

function buildRev(which: string): { bin: string; dir: string; rev: string; dirty: string } {
  const rev = execFileSync('git', ['rev-parse', '--short', which], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--short', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(tmp, `lvsible-${rev}`);
  mkdirSync(dir);
  execFileSync('sh', ['-c', `git archive ${rev} | tar -x -C "${dir}"`], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  try {
    execFileSync(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit', timeout: 600_000 });
  } catch {
    throw new Error(`lvsible ${rev} does not build from its commit (a file it imports is not committed?): pick one with LVSIBLE_BENCH_REV`);
  }
  return { bin: join(dir, 'bin', 'lvsible.js'), dir, rev, dirty };
}

interface LvsibleRun {
  out: Out;
  changed: number;
  failed: number;
  doc?: Record<string, unknown>;
}

async function lvsible(bin: string, srcDir: string, extra: string[] = []): Promise<LvsibleRun> {
  const out = await run(
    process.execPath,
    [bin, 'apply', '-i', paths.inventoryDir, '-i', join(srcDir, 'examples/mixed/inventory'), '--json', ...extra, join(srcDir, 'examples/mixed/site.yml')],
    { cwd: srcDir },
  );
  let doc: Record<string, unknown> | undefined;
  try {
    doc = JSON.parse(out.stdout) as Record<string, unknown>;
  } catch {
    doc = undefined;
  }
  const recap = (doc?.recap ?? {}) as Record<string, { changed: number; failed: number; unreachable: number }>;
  const sum = (k: 'changed' | 'failed' | 'unreachable') => Object.values(recap).reduce((n, r) => n + (r[k] ?? 0), 0);
  return { out, changed: sum('changed'), failed: sum('failed') + sum('unreachable'), doc };
}

function must(what: string, r: LvsibleRun, wantChanged?: number): void {
  const ok = r.out.code === 0 && r.doc && r.failed === 0 && (wantChanged === undefined || r.changed === wantChanged);
  if (!ok) {
    throw new Error(`${what}: exit ${r.out.code}, changed=${r.changed} failed=${r.failed}\n${r.out.stderr.slice(-3000)}\n${r.out.stdout.slice(-3000)}`);
  }
}

/** Everything of lvsible's --json beyond plays/tasks: roundTrips and, when present, stage timings. */
function recapExtras(doc: Record<string, unknown> | undefined): string {
  if (!doc) return '';
  const skip = new Set(['check', 'changed', 'plays', 'recap', 'warnings', 'verify']);
  return Object.entries(doc)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}

// ---------- Ansible ----------

function ansibleCfg(state: LabState): string {
  const cfg = join(tmp, 'ansible.cfg');
  writeFileSync(
    cfg,
    [
      '[defaults]',
      'forks = 10',
      'timeout = 120',
      'interpreter_python = /usr/bin/python3',
      'host_key_checking = True',
      'retry_files_enabled = False',
      'nocows = True',
      `local_tmp = ${join(tmp, 'ansible-local')}`,
      '',
      '[ssh_connection]',
      'pipelining = True',
      'ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o BatchMode=yes -o IdentitiesOnly=yes ' +
        `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${state.knownHostsFile} -o GlobalKnownHostsFile=/dev/null`,
      '',
    ].join('\n'),
  );
  return cfg;
}

interface AnsibleRun {
  out: Out;
  changed: number;
  failed: number;
}

let ansibleRunNo = 0;
async function ansible(cfg: string, playbook: string): Promise<AnsibleRun> {
  const cp = join(tmp, `ansible-cp-${++ansibleRunNo}`);
  mkdirSync(cp);
  const out = await run(
    ANSIBLE,
    ['-i', paths.inventoryDir, '-i', join(ROOT, 'examples/mixed/inventory/hosts.yml'), '-i', join(ANSIBLE_DIR, 'inventory'), join(ANSIBLE_DIR, playbook)],
    { cwd: ANSIBLE_DIR, env: { ...env, ANSIBLE_CONFIG: cfg, ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_FORCE_COLOR: '0', ANSIBLE_NOCOLOR: '1' } },
  );
  // Close this run's ControlPersist masters (ssh processes Ansible started for us), socket by socket.
  for (const sock of existsSync(cp) ? readdirSync(cp) : []) {
    await run('ssh', ['-o', `ControlPath=${join(cp, sock)}`, '-O', 'exit', 'lab'], { timeoutMs: 10_000 }).catch(() => undefined);
  }
  let changed = 0;
  let failed = 0;
  for (const m of out.stdout.matchAll(/^\S+\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    changed += Number(m[1]);
    failed += Number(m[2]) + Number(m[3]);
  }
  if (!/PLAY RECAP/.test(out.stdout)) failed += 1;
  return { out, changed, failed };
}

function mustAnsible(what: string, r: AnsibleRun, wantChanged?: number): void {
  if (r.out.code !== 0 || r.failed !== 0 || (wantChanged !== undefined && r.changed !== wantChanged)) {
    throw new Error(`${what}: exit ${r.out.code}, changed=${r.changed} failed=${r.failed}\n${r.out.stdout.slice(-6000)}\n${r.out.stderr.slice(-2000)}`);
  }
}

// ---------- the SSH floor ----------

async function sshFloor(state: LabState): Promise<Out> {
  const t0 = process.hrtime.bigint();
  const all = await Promise.all(state.vms.map((vm) => run('ssh', [...sshArgs(state, vm, 60), '--', 'true'], { timeoutMs: 120_000 })));
  const bad = all.filter((o) => o.code !== 0);
  if (bad.length) throw new Error(`ssh true failed on ${bad.length} host(s): ${bad.map((o) => o.stderr.trim()).join('; ')}`);
  return { code: 0, stdout: '', stderr: '', seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

// ---------- the run ----------

let tornDown = false;
async function teardown(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (!REUSE) {
    log('lab down');
    await downLab(paths).catch((e) => console.error(`lab down: ${String(e)}`));
  }
  rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: tearing down`);
    void teardown().finally(() => process.exit(130));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  noteLoad('start');
  log(`building lvsible ${REV} from git archive`);
  const lv = buildRev(REV);
  log(`lvsible ${lv.rev}${lv.dirty ? ' (the working tree has other uncommitted src/ changes: not measured)' : ''}`);
  const base = BASE ? buildRev(BASE) : undefined;
  if (base) log(`and lvsible ${base.rev} as the base`);

  let state: LabState;
  if (REUSE) {
    const st = readState(labDir);
    if (!st) throw new Error(`no lab state in ${labDir}`);
    state = st;
    log(`reusing the lab in ${labDir}`);
  } else {
    log(`lab up (default topology) in ${labDir}`);
    const t = Date.now();
    const up = await labUp({ topology: 'default', paths, log: (l) => log(`  [lab] ${l}`) });
    state = up.state;
    log(`lab up in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  noteLoad('lab up');

  const first = await lvsible(lv.bin, lv.dir);
  must('first apply', first);
  log(`first apply: ${first.out.seconds.toFixed(1)} s, changed=${first.changed}`);
  const second = await lvsible(lv.bin, lv.dir);
  must('second apply (must change nothing)', second, 0);
  log(`second apply: ${second.out.seconds.toFixed(1)} s, changed=0 ${recapExtras(second.doc)}`);
  noteLoad('converged');

  const cfg = ansibleCfg(state);
  const boot = await ansible(cfg, 'bootstrap.yml');
  mustAnsible('ansible bootstrap (python3)', boot);
  log(`ansible bootstrap: ${boot.out.seconds.toFixed(1)} s, changed=${boot.changed}`);
  const check = await ansible(cfg, 'site.yml');
  mustAnsible('ansible-playbook site.yml on the converged lab (must change nothing)', check, 0);
  log(`ansible no-change check: ${check.out.seconds.toFixed(1)} s, changed=0 failed=0`);
  const after = await lvsible(lv.bin, lv.dir);
  must('lvsible after ansible (same end state: must change nothing)', after, 0);
  log(`lvsible after ansible: changed=0`);
  noteLoad('checked');

  const kinds = ['a', 'b', 'c', ...(base ? ['b0', 'c0'] : []), 'd'];
  const label: Record<string, string> = {
    a: `(a) ssh HOST true, ${state.vms.length} hosts in parallel`,
    b: `(b) lvsible ${lv.rev} apply (verify)`,
    c: `(c) lvsible ${lv.rev} apply --no-verify`,
    b0: `(b0) lvsible ${base?.rev} apply (verify)`,
    c0: `(c0) lvsible ${base?.rev} apply --no-verify`,
    d: '(d) ansible-playbook',
  };
  const times: Record<string, number[]> = { a: [], b: [], c: [], b0: [], c0: [], d: [] };
  const extras: string[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const a = await sshFloor(state);
    times.a!.push(a.seconds);
    const b = await lvsible(lv.bin, lv.dir);
    must(`run ${i} (b)`, b, 0);
    times.b!.push(b.out.seconds);
    extras.push(`run ${i} (b): ${recapExtras(b.doc)}`);
    const c = await lvsible(lv.bin, lv.dir, ['--no-verify']);
    must(`run ${i} (c)`, c, 0);
    times.c!.push(c.out.seconds);
    extras.push(`run ${i} (c): ${recapExtras(c.doc)}`);
    if (base) {
      for (const [k, extra] of [['b0', []], ['c0', ['--no-verify']]] as const) {
        const r = await lvsible(base.bin, base.dir, [...extra]);
        must(`run ${i} (${k})`, r, 0);
        times[k]!.push(r.out.seconds);
        extras.push(`run ${i} (${k}): ${recapExtras(r.doc)}`);
      }
    }
    const d = await ansible(cfg, 'site.yml');
    mustAnsible(`run ${i} (d)`, d, 0);
    times.d!.push(d.out.seconds);
    noteLoad(`run ${i}`);
    log(`run ${i}/${RUNS}: ${kinds.map((k) => `${k} ${times[k]![i - 1]!.toFixed(1)} s`).join(', ')}`);
  }

  const floor = median(times.a!);
  console.log(`\n## lab no-change: lvsible ${lv.rev}, examples/mixed, default lab (6 VMs, ${state.accel}), runs=${RUNS}\n`);
  console.log(`${REUSE ? "(lab reused, already converged: the first apply changed nothing) " : ""}first apply (converge): ${first.out.seconds.toFixed(1)} s; second apply: ${second.out.seconds.toFixed(1)} s, changed=0; ansible first no-change run: ${check.out.seconds.toFixed(1)} s\n`);
  console.log('| run | runs | min s | median s | max s | median / (a) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const k of kinds) {
    const xs = times[k]!;
    console.log(`| ${label[k]} | ${xs.length} | ${Math.min(...xs).toFixed(1)} | ${median(xs).toFixed(1)} | ${Math.max(...xs).toFixed(1)} | ${(median(xs) / floor).toFixed(1)}x |`);
  }
  const ratio = (x: string, y: string) => `(${x}) / (${y}): ${(median(times[x]!) / median(times[y]!)).toFixed(1)}x`;
  console.log(`\nmedians: ${[ratio('d', 'b'), ratio('d', 'c'), ...(base ? [ratio('d', 'b0'), ratio('b0', 'b'), ratio('c0', 'c')] : [])].join('; ')}`);
  console.log(`\nload average (1, 5, 15 min): ${loads.join('; ')}`);
  console.log(`\nlvsible --json extras (per host):\n${extras.map((e) => `- ${e}`).join('\n')}`);
} finally {
  await teardown();
}
