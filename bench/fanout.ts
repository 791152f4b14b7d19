/**
 * Fan-out: lvsible against ansible-playbook on 50 and 200 real sshd hosts on loopback, a no-change run of the
 * same 20-task playbook (bench/fanout/site.yml: directories, small config files, sysctl.d files, 4 tasks
 * skipped by `when`), converged once before timing.
 *
 *   npx tsx bench/fanout.ts [sizes=50,200] [runs=3]
 *
 * Env: FANOUT_SLOW_S (default 300): if an Ansible run of a size takes longer, that size gets 1 run;
 *      FANOUT_TIMEOUT_S (default 1500): a run still going after this is killed and reported as a limit;
 *      FANOUT_NO_BUILD=1: use dist/ as it is (default: `npm run build` first, retried while it fails);
 *      FANOUT_ANSIBLE=0: floor and lvsible only;
 *      FANOUT_WARM=0: skip the warm-ControlPersist Ansible runs (they cost as much as the cold ones).
 *
 * Every host is its own OpenSSH sshd (test/helpers/sshd.ts) on its own loopback address 127.0.20.1... (a new
 * /24 every 250 hosts), with `MaxStartups 1000` and `MaxSessions 1000` so sshd never throttles the fan-out.
 * Hosts write only under their own temp root (`fanout_root`). Per size, run by run with the tools'
 * order alternated:
 *
 * - floor: `ssh -o BatchMode=yes ... true` to every host at once (OpenSSH client, same keys, no multiplexing);
 * - lvsible: `node bin/lvsible.js apply --no-verify --forks N --json` as a user runs it (built first, then bin/
 *   and dist/ copied to the temp dir, so a rebuild by someone else mid-bench changes nothing), max RSS
 *   from /usr/bin/time -v, recap from --json;
 * - ansible cold: ansible-playbook -f N, pipelining, ControlMaster=auto/ControlPersist=60s, masters stopped
 *   before the run (every connection is new);
 * - ansible warm: the next run right after, reusing the masters the cold run left.
 *
 * Wall time is the median of the runs; memory is the peak of the summed RSS of the tool's process tree
 * (sampled every 50 ms; ssh clients and ControlPersist masters included and counted). Every timed run must
 * report 0 changed, 0 failed, 0 unreachable on every host, or the bench fails. Prints a markdown table.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshd, type SshdHandle } from '../test/helpers/sshd.js';
import { rssOf, TreeSampler, type SampleResult } from './fanout/sampler.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const playbook = join(repo, 'bench/fanout/site.yml');
const sizes = (process.argv[2] ?? '50,200').split(',').map(Number).filter((n) => n > 0);
const RUNS = Number(process.argv[3] ?? 3);
const SLOW_S = Number(process.env.FANOUT_SLOW_S ?? 300);
const TIMEOUT_S = Number(process.env.FANOUT_TIMEOUT_S ?? 1500);
const MAX_HOSTS = 1000;
if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n > MAX_HOSTS) || !(RUNS >= 1 && RUNS <= 20)) {
  console.error('usage: npx tsx bench/fanout.ts [sizes=50,200] [runs=3]   (sizes up to 1000, runs 1..20)');
  process.exit(1);
}
for (const bin of ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/ansible-playbook']) {
  if (!existsSync(bin)) {
    console.error(`fanout: ${bin} not found`);
    process.exit(1);
  }
}
// The built lvsible, copied once built: other engineers rebuild dist/ while the bench runs.
let lvsibleDir = repo;
const TIME_BIN = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

// Short temp path: ControlPath sockets must fit in sun_path (108 bytes).
const tmp = mkdtempSync('/tmp/lvf-');
const controlDir = join(tmp, 'cp');
const servers: SshdHandle[] = [];
const children = new Set<ChildProcess>();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const log = (s: string) => console.error(`[fanout ${new Date().toISOString().slice(11, 19)}] ${s}`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// The children get no SSH agent (keys come from the inventory for every tool) and no colours.
const baseEnv: NodeJS.ProcessEnv = { ...process.env, ANSIBLE_NOCOLOR: '1', NO_COLOR: '1' };
delete baseEnv.SSH_AUTH_SOCK;
delete baseEnv.FORCE_COLOR;

interface RunResult {
  ms: number;
  mem: SampleResult;
  maxRssKb?: number;
  ok: boolean;
  note?: string;
}

/** Run one command in its own process group, sampled; stdout to a file. Bounded by TIMEOUT_S. */
function measured(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; out: string; err?: string; excludeRoot?: boolean; claim?: (c: string) => boolean }): Promise<{ ms: number; code: number | null; signal: string | null; mem: SampleResult; timedOut: boolean }> {
  return new Promise((res, rej) => {
    const fd = openSync(o.out, 'w');
    const efd = o.err ? openSync(o.err, 'w') : fd;
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: repo, env: o.env ?? baseEnv, stdio: ['ignore', fd, efd], detached: true });
    closeSync(fd);
    if (efd !== fd) closeSync(efd);
    children.add(child);
    const sampler = new TreeSampler(child.pid!, { excludeRoot: o.excludeRoot, claim: o.claim });
    sampler.start();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, TIMEOUT_S * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      sampler.stop();
      children.delete(child);
      rej(e);
    });
    child.on('exit', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      const mem = sampler.stop();
      children.delete(child);
      res({ ms, code, signal, mem, timedOut });
    });
  });
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function inventory(n: number, knownHosts: string): string {
  const hosts = servers.slice(0, n).map((s, i) => {
    const root = join(tmp, 'roots', `h${i}`);
    mkdirSync(root, { recursive: true });
    return [
      `    h${i}:`,
      `      ansible_host: ${s.host}`,
      `      ansible_port: ${s.port}`,
      `      ansible_user: ${s.user}`,
      `      ansible_ssh_private_key_file: ${s.privateKeyPath}`,
      `      fanout_root: ${root}`,
    ].join('\n');
  });
  return `all:\n  vars:\n    lvs_role: realserver\n    lvsible_known_hosts_file: ${knownHosts}\n  hosts:\n${hosts.join('\n')}\n`;
}

function ansibleCfg(knownHosts: string): string {
  return `[defaults]
interpreter_python = /usr/bin/python3
# The facts lvsible reads (OS, hostname, kernel, user, service manager, package manager), one module run.
gather_subset = !all,!min,distribution,platform,pkg_mgr,service_mgr,user
host_key_checking = True
retry_files_enabled = False
timeout = 30
local_tmp = ${tmp}/ansible-local
remote_tmp = ${tmp}/ansible-remote

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
control_path_dir = ${controlDir}
control_path = %(directory)s/%%C
`;
}

const ansibleEnv = (): NodeJS.ProcessEnv => ({ ...baseEnv, ANSIBLE_CONFIG: join(tmp, 'ansible.cfg'), ANSIBLE_HOME: join(tmp, 'ansible-home') });
const isMaster = (cmdline: string) => cmdline.includes(controlDir);

/** Every host in the inventory must end with 0 changed, 0 failed, 0 unreachable. */
function checkLvsible(out: string, n: number, allowChange: boolean): string | undefined {
  let doc: { recap?: Record<string, { changed: number; failed: number; unreachable: number }> };
  try {
    doc = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    return `lvsible output is not JSON (see ${out})`;
  }
  const recap = Object.entries(doc.recap ?? {});
  if (recap.length !== n) return `lvsible recap has ${recap.length} hosts, expected ${n}`;
  const bad = recap.filter(([, s]) => s.failed || s.unreachable || (!allowChange && s.changed));
  return bad.length ? `lvsible: ${bad.length} hosts not clean, e.g. ${bad[0]![0]} ${JSON.stringify(bad[0]![1])}` : undefined;
}

function checkAnsible(out: string, n: number): string | undefined {
  const text = readFileSync(out, 'utf8');
  const at = text.lastIndexOf('PLAY RECAP');
  if (at < 0) return `ansible-playbook printed no PLAY RECAP (see ${out}): ${text.slice(-400)}`;
  const rows = [...text.slice(at).matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  if (rows.length !== n) return `ansible recap has ${rows.length} hosts, expected ${n}`;
  const bad = rows.filter((r) => r[3] !== '0' || r[4] !== '0' || r[5] !== '0');
  return bad.length ? `ansible: ${bad.length} hosts not clean, e.g. ${bad[0]![0].trim()}` : undefined;
}

async function runLvsible(n: number, tag: string, allowChange = false): Promise<RunResult> {
  const out = join(tmp, 'logs', `lvsible-${n}-${tag}.json`);
  const err = join(tmp, 'logs', `lvsible-${n}-${tag}.err`);
  const timeOut = join(tmp, 'logs', `lvsible-${n}-${tag}.time`);
  const cli = [join(lvsibleDir, 'bin/lvsible.js'), 'apply', '--no-verify', '--forks', String(n), '-T', '30', '--json', '-i', join(tmp, `inv-${n}.yml`), playbook];
  const r = TIME_BIN
    ? await measured(TIME_BIN, ['-v', '-o', timeOut, process.execPath, ...cli], { out, err, excludeRoot: true })
    : await measured(process.execPath, cli, { out, err });
  const maxRssKb = TIME_BIN && existsSync(timeOut) ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeOut, 'utf8'))?.[1]) : undefined;
  if (r.timedOut) return { ms: r.ms, mem: r.mem, ok: false, note: `killed after ${TIMEOUT_S} s` };
  let bad = checkLvsible(out, n, allowChange) ?? (r.code !== 0 ? `lvsible exited ${r.code ?? r.signal}` : undefined);
  if (bad) bad += `; stderr: ${readFileSync(err, 'utf8').slice(0, 1500)}; stdout: ${readFileSync(out, 'utf8').slice(0, 500)}`;
  return { ms: r.ms, mem: r.mem, maxRssKb, ok: !bad, note: bad };
}

async function runAnsible(n: number, tag: string): Promise<RunResult> {
  const out = join(tmp, 'logs', `ansible-${n}-${tag}.txt`);
  const r = await measured('/usr/bin/ansible-playbook', ['-f', String(n), '-i', join(tmp, `inv-${n}.yml`), playbook], { env: ansibleEnv(), out, claim: isMaster });
  if (r.timedOut) {
    // How far it got: the task headers printed (Gathering Facts + 20) and the host results of the last one.
    const text = readFileSync(out, 'utf8');
    const tasks = text.match(/^TASK \[/gm)?.length ?? 0;
    const last = text.slice(text.lastIndexOf('TASK ['));
    const done = last.match(/^(ok|changed|skipping|failed|fatal): /gm)?.length ?? 0;
    return { ms: r.ms, mem: r.mem, ok: false, note: `killed after ${TIMEOUT_S} s, in task ${tasks} of 21 (facts + 20), ${done}/${n} hosts done with it` };
  }
  const text = readFileSync(out, 'utf8');
  if (/Cannot allocate memory|MemoryError|Resource temporarily unavailable|Too many open files/.test(text)) {
    return { ms: r.ms, mem: r.mem, ok: false, note: `resource limit: ${/.*(Cannot allocate memory|MemoryError|Resource temporarily unavailable|Too many open files).*/.exec(text)![0].slice(0, 200)}` };
  }
  const bad = checkAnsible(out, n) ?? (r.code !== 0 ? `ansible-playbook exited ${r.code ?? r.signal}` : undefined);
  return { ms: r.ms, mem: r.mem, ok: !bad, note: bad };
}

/** The floor: one plain OpenSSH `true` to every host at once, fresh connections, no multiplexing. */
async function runFloor(n: number, knownHosts: string): Promise<RunResult> {
  const script = servers
    .slice(0, n)
    .map((s) => `ssh -F /dev/null -o BatchMode=yes -o ControlMaster=no -o ControlPath=none -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o ConnectTimeout=30 -i ${s.privateKeyPath} -p ${s.port} ${s.user}@${s.host} true || echo FAIL ${s.host} &`)
    .join('\n');
  writeFileSync(join(tmp, `floor-${n}.sh`), `${script}\nwait\n`);
  const out = join(tmp, 'logs', `floor-${n}.txt`);
  const r = await measured('/bin/sh', [join(tmp, `floor-${n}.sh`)], { out, excludeRoot: true });
  const text = readFileSync(out, 'utf8');
  const fails = text.split('\n').filter((l) => l.startsWith('FAIL')).length;
  return { ms: r.ms, mem: r.mem, ok: !fails && !r.timedOut, note: fails ? `${fails} ssh failed: ${text.slice(0, 300)}` : undefined };
}

/** Stop the ControlPersist masters (`ssh -O exit`), so the next Ansible run connects from scratch. */
async function stopMasters(n: number): Promise<void> {
  const exit = (s: SshdHandle) =>
    new Promise<void>((res) => {
      execFile('/usr/bin/ssh', ['-F', '/dev/null', '-o', `ControlPath=${controlDir}/%C`, '-O', 'exit', '-p', String(s.port), `${s.user}@${s.host}`], { timeout: 10_000 }, () => res());
    });
  for (let i = 0; i < n; i += 50) await Promise.all(servers.slice(i, Math.min(n, i + 50)).map(exit));
  // Bounded wait for the sockets to go: up to 10 s.
  for (let k = 0; k < 100 && existsSync(controlDir) && readdirSync(controlDir).length; k++) await sleep(100);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kill what is left of ours: running tools' groups, then ControlPersist masters (by their ControlPath). */
function killLeftovers(): void {
  for (const c of children) killGroup(c);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(controlDir)) process.kill(Number(name), 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  killLeftovers();
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function build(): Promise<string> {
  if (process.env.FANOUT_NO_BUILD === '1') return 'not rebuilt (FANOUT_NO_BUILD=1)';
  // Another engineer may be mid-change: retry a failing build a few times, a minute apart.
  for (let attempt = 1; attempt <= 5; attempt++) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
    if (r.status === 0) return 'npm run build: ok';
    const first = `${r.stdout}${r.stderr}`.split('\n').find((l) => /error TS/.test(l)) ?? 'failed';
    log(`build attempt ${attempt} failed (${first.trim()}); ${attempt < 5 ? 'retrying in 60 s' : 'giving up'}`);
    if (attempt < 5) await sleep(60_000);
    else {
      // tsc emits despite type errors: the bench can still run against what is on disk, and says so.
      if (!existsSync(join(repo, 'dist/cli.js'))) throw new Error('build failed and there is no dist/cli.js');
      return `npm run build FAILED 5 times (${first.trim()}): ran dist/ as tsc emitted it`;
    }
  }
  return 'unreachable';
}

interface Row {
  n: number;
  tool: string;
  runs: RunResult[];
}

const rows: Row[] = [];
const notes: string[] = [];
const loadStart = load();
let startMs = 0;
let sshdRss = 0;
try {
  const buildNote = await build();
  log(buildNote);
  notes.push(buildNote);
  lvsibleDir = join(tmp, 'lvsible');
  mkdirSync(lvsibleDir);
  for (const d of ['bin', 'dist', 'roles', 'schemas', 'package.json']) if (existsSync(join(repo, d))) cpSync(join(repo, d), join(lvsibleDir, d), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(lvsibleDir, 'node_modules'));
  const smoke = spawnSync(process.execPath, [join(lvsibleDir, 'bin/lvsible.js'), '--version'], { encoding: 'utf8', timeout: 60_000 });
  if (smoke.status !== 0) throw new Error(`the built lvsible does not start (someone mid-change?): ${smoke.stderr.slice(0, 800)}`);
  mkdirSync(join(tmp, 'logs'));
  mkdirSync(controlDir);
  const maxN = Math.max(...sizes);

  // One sshd per host: its own address and port. Started 10 at a time (two ssh-keygen + one sshd each).
  const t0 = performance.now();
  for (let i = 0; i < maxN; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, maxN - i) }, (_, k) => {
        const j = i + k;
        return startSshd({ address: `127.0.${20 + Math.floor(j / 250)}.${(j % 250) + 1}`, extraConfig: 'MaxStartups 1000\nMaxSessions 1000' });
      }),
    );
    servers.push(...batch);
  }
  startMs = performance.now() - t0;
  sshdRss = rssOf(servers.map((s) => s.pid));
  log(`${maxN} sshd up in ${sec(startMs)} (${(startMs / maxN).toFixed(0)} ms each), listeners' RSS ${mib(sshdRss)} (${(sshdRss / maxN / 1024).toFixed(0)} KiB each)`);

  const knownHosts = join(tmp, 'known_hosts');
  writeFileSync(knownHosts, servers.map((s) => s.hostKeyLine).join('\n') + '\n');
  writeFileSync(join(tmp, 'ansible.cfg'), ansibleCfg(knownHosts));

  for (const n of sizes) {
    writeFileSync(join(tmp, `inv-${n}.yml`), inventory(n, knownHosts));
    // Converge once (lvsible writes what is missing); every timed run of either tool must then change nothing.
    log(`${n} hosts: converging with lvsible`);
    const conv = await runLvsible(n, 'converge', true);
    if (!conv.ok) throw new Error(`converge failed: ${conv.note}`);
    const row = (tool: string) => rows.find((r) => r.n === n && r.tool === tool) ?? (rows.push({ n, tool, runs: [] }), rows[rows.length - 1]!);
    let runs = RUNS;
    for (let r = 0; r < runs; r++) {
      const steps: [string, () => Promise<RunResult>][] = [
        ['ssh true (floor)', () => runFloor(n, knownHosts)],
        ['lvsible', () => runLvsible(n, `r${r}`)],
        ['ansible, cold (masters stopped)', async () => (await stopMasters(n), runAnsible(n, `r${r}-cold`))],
        ['ansible, warm (ControlPersist)', () => runAnsible(n, `r${r}-warm`)],
      ];
      if (process.env.FANOUT_WARM === '0') steps.pop();
      if (process.env.FANOUT_ANSIBLE === '0') steps.splice(2);
      // Alternate: even runs floor, lvsible, ansible; odd runs ansible first (cold then warm stay a pair).
      const order = r % 2 === 0 ? steps : [...steps.slice(2), steps[1]!, steps[0]!];
      for (const [tool, step] of order) {
        log(`${n} hosts, run ${r + 1}/${runs}: ${tool} (load ${load()})`);
        const res = await step();
        log(`  ${sec(res.ms)}, peak RSS ${mib(res.mem.peakRssBytes)}${res.maxRssKb ? `, max RSS ${mib(res.maxRssKb * 1024)}` : ''}, ssh clients peak ${res.mem.peakSsh}${res.ok ? '' : `, NOT OK: ${res.note}`}`);
        row(tool).runs.push(res);
        if (!res.ok && /not clean|recap has/.test(res.note ?? '')) throw new Error(`${n} hosts ${tool}: ${res.note}`);
        if (tool.startsWith('ansible, cold') && res.ms > SLOW_S * 1000 && runs > r + 1) {
          runs = r + 1;
          notes.push(`${n} hosts: an Ansible run took ${sec(res.ms)} (> ${SLOW_S} s): 1 run for this size`);
        }
      }
    }
    await stopMasters(n);
  }

  report();
} catch (e) {
  // What was measured before the failure is still printed.
  notes.push(`FAILED: ${String(e instanceof Error ? e.message : e).slice(0, 2000)}`);
  if (rows.length) report();
  else console.log(notes.map((x) => `- ${x}`).join('\n'));
  process.exitCode = 1;
} finally {
  await cleanup();
}

function report(): void {
  const maxN = servers.length;
  const loadEnd = load();
  const okRuns = (r: Row) => r.runs.filter((x) => x.ok);
  const cell = (r: Row) => {
    const ok = okRuns(r);
    if (!ok.length) return { time: `not completed: ${r.runs[0]?.note ?? '?'}`, ms: NaN, mem: NaN };
    const ms = ok.map((x) => x.ms);
    const memB = Math.max(...ok.map((x) => (x.maxRssKb ? x.maxRssKb * 1024 : x.mem.peakRssBytes)));
    return { time: `${sec(median(ms))} (${sec(Math.min(...ms))}-${sec(Math.max(...ms))}, ${ok.length} run${ok.length > 1 ? 's' : ''})`, ms: median(ms), mem: memB };
  };
  const lines: string[] = [];
  lines.push(`load average at start ${loadStart}, at end ${loadEnd}; ${maxN} sshd started in ${sec(startMs)} (${(startMs / maxN).toFixed(0)} ms each), idle listeners ${(sshdRss / maxN / 1024).toFixed(0)} KiB RSS each`);
  lines.push('');
  lines.push('| hosts | tool | wall, median (min-max) | peak memory | summed tree RSS peak | ssh clients (peak / total) | processes peak |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const c = cell(r);
    const ok = okRuns(r);
    const tree = ok.length ? Math.max(...ok.map((x) => x.mem.peakRssBytes)) : NaN;
    // A run killed at the time limit still measured its memory up to then: a lower bound.
    const partial = Math.max(0, ...r.runs.map((x) => x.mem.peakRssBytes));
    const memCell = Number.isNaN(c.mem) ? (partial ? `>= ${mib(partial)} (summed RSS until stopped)` : '-') : r.tool === 'lvsible' && ok[0]?.maxRssKb ? `${mib(c.mem)} (max RSS, 1 process)` : `${mib(c.mem)} (summed RSS)`;
    const ssh = ok.length ? `${Math.max(...ok.map((x) => x.mem.peakSsh))} / ${Math.max(...ok.map((x) => x.mem.sshSeen))}` : '-';
    const procs = ok.length ? String(Math.max(...ok.map((x) => x.mem.peakProcs))) : '-';
    lines.push(`| ${r.n} | ${r.tool} | ${c.time} | ${memCell} | ${Number.isNaN(tree) ? '-' : mib(tree)} | ${ssh} | ${procs} |`);
  }
  if (sizes.length > 1) {
    const [a, b] = [Math.min(...sizes), Math.max(...sizes)];
    lines.push('');
    lines.push(`| growth ${a} -> ${b} hosts (x${(b / a).toFixed(0)}) | time ratio | memory ratio |`);
    lines.push('|---|---|---|');
    for (const tool of [...new Set(rows.map((r) => r.tool))]) {
      const ra = rows.find((r) => r.n === a && r.tool === tool);
      const rb = rows.find((r) => r.n === b && r.tool === tool);
      if (!ra || !rb) continue;
      const [ca, cb] = [cell(ra), cell(rb)];
      lines.push(`| ${tool} | ${(cb.ms / ca.ms).toFixed(2)}x | ${(cb.mem / ca.mem).toFixed(2)}x |`);
    }
  }
  const samplerCost = rows.flatMap((r) => r.runs).map((x) => x.mem.meanSampleMs);
  notes.push(`memory sampler: every 50 ms, mean ${(samplerCost.reduce((s, x) => s + x, 0) / samplerCost.length).toFixed(1)} ms per sample`);
  for (const r of rows) for (const x of r.runs) if (!x.ok) notes.push(`${r.n} hosts, ${r.tool}: ${x.note}`);
  console.log(`\n${lines.join('\n')}\n\n${notes.map((x) => `- ${x}`).join('\n')}`);
}
