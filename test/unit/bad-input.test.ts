/**
 * The bad-input corpus (issue 8): every directory `test/unit/bad-input/NNN-slug/` is one mistake an operator
 * or an attacker could make. Each is run through lvsible's own `main(argv)` against a TCP listener that every
 * inventory host points at (`ansible_host: 127.0.0.1`, `ansible_port: @PORT@`): the case passes when lvsible
 * refuses the input with the expected exit code and message, prints no `!`-marked text, and the listener saw
 * no connection. The control case (`_control/`) is the same shape with valid input: it must connect, which
 * proves the listener would notice if a bad case got through. See bad-input/README.md to add a case.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, 'bad-input');
const repo = resolve(here, '../..');
const MIN_CASES = 150;
const CASE_DIR = /^\d{3}-[a-z0-9][a-z0-9-]*$/;
/** Files of a case that describe it rather than being its input. */
const META = new Set(['args', 'expected', 'exit', 'make.js', 'NOTE.md', 'mode']);

const cases = readdirSync(corpus)
  .filter((n) => CASE_DIR.test(n) && statSync(join(corpus, n)).isDirectory())
  .sort();
/** Valid inputs, one per base the cases start from: each must connect, or the listener proves nothing. */
const controls = readdirSync(corpus)
  .filter((n) => n.startsWith('_control-'))
  .sort();

/** Worker threads cannot chdir: under vitest's `threads` pool every case runs in a child process instead. */
const canChdir = (() => {
  try {
    process.chdir(process.cwd());
    return true;
  } catch {
    return false;
  }
})();

let server: Server;
let port = 0;
let accepted = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // Hang up at once: a client that got this far has already broken the promise; no need to make it wait.
    s.destroy();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((ok) => server.close(() => ok()));
});

interface Expectation {
  present: string[];
  absent: string[];
  exit: number;
  args: string[];
  /** `child` in the `mode` file: run in a separate node process (for process-global state). */
  child: boolean;
}

function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/@(PORT|ROLES|REPO|CASE)@/g, (_m, k: string) => vars[k]);
}

function readExpectation(dir: string, vars: Record<string, string>): Expectation {
  const read = (f: string) => (existsSync(join(dir, f)) ? substitute(readFileSync(join(dir, f), 'utf8'), vars) : undefined);
  const lines = (read('expected') ?? '').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const argsText = read('args');
  return {
    present: lines.filter((l) => !l.startsWith('!')),
    absent: lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1)),
    exit: Number((read('exit') ?? '1').trim()),
    args: argsText === undefined ? ['plan', '-i', 'inventory', 'site.yml'] : argsText.split('\n').filter((l) => l !== ''),
    child: (read('mode') ?? '').trim() === 'child',
  };
}

/** Copy a case into a fresh directory, substituting @PORT@ (and @ROLES@, @REPO@, @CASE@) in text files. */
function stage(name: string): { work: string; vars: Record<string, string> } {
  const work = mkdtempSync(join(tmpdir(), `lvsible-bad-${name.slice(0, 3)}-`));
  const vars = { PORT: String(port), ROLES: join(repo, 'roles'), REPO: repo, CASE: work };
  const src = join(corpus, name);
  cpSync(src, work, { recursive: true });
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const buf = readFileSync(p);
        // Binary, NUL-bearing and UTF-16 inputs are committed as they are: substitute only in plain UTF-8 text.
        if (buf.includes(0) || !buf.toString('utf8').includes('@')) continue;
        const text = buf.toString('utf8');
        if (Buffer.from(text, 'utf8').equals(buf)) writeFileSync(p, substitute(text, vars));
      }
    }
  };
  walk(work);
  if (existsSync(join(work, 'make.js'))) {
    const r = spawnSync(process.execPath, [join(work, 'make.js')], { cwd: work, env: { ...process.env, PORT: String(port) }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}/make.js failed: ${r.stderr}`);
  }
  return { work, vars };
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runInProcess(args: string[], cwd: string): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  const origCwd = process.cwd();
  const origExitCode = process.exitCode;
  const keepEnv = { CI: process.env.CI, NO_COLOR: process.env.NO_COLOR };
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  let code: number;
  process.env.CI = '1';
  process.env.NO_COLOR = '1';
  process.chdir(cwd);
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    code = await main(['node', 'lvsible', ...args]);
  } catch (e) {
    // main() is the one exit point: an exception escaping it is itself a finding (a crash, not an error).
    err.push(`\n[runner] main() threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    code = -1;
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
    process.chdir(origCwd);
    process.exitCode = origExitCode;
    for (const [k, v] of Object.entries(keepEnv)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Asynchronous on purpose: the listener lives in this process and must keep accepting while the child runs. */
function runInChild(args: string[], cwd: string): Promise<Outcome> {
  const script = `import { main } from ${JSON.stringify(pathToFileURL(join(repo, 'src/cli.ts')).href)};
main(process.argv).then((c) => { process.exitCode = c; }, (e) => { console.error('[runner] main() threw:', e); process.exitCode = 255; });`;
  const loader = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['--import', loader, '--input-type=module', '-e', script, 'lvsible', ...args], {
      cwd,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code: code ?? -1, stdout, stderr: signal ? `${stderr}\n[runner] killed by ${signal}` : stderr });
    });
  });
}

async function runCase(name: string): Promise<{ outcome: Outcome; exp: Expectation; connections: number; work: string }> {
  const { work, vars } = stage(name);
  const exp = readExpectation(join(corpus, name), vars);
  const before = accepted;
  try {
    const outcome = exp.child || !canChdir ? await runInChild(exp.args, work) : await runInProcess(exp.args, work);
    // Let a connection that was opened at the last moment reach the listener before counting.
    await new Promise((ok) => setTimeout(ok, 20));
    return { outcome, exp, connections: accepted - before, work };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('bad-input corpus', () => {
  it(`holds at least ${MIN_CASES} cases, each with an expected file`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(MIN_CASES);
    const noExpected = cases.filter((c) => !existsSync(join(corpus, c, 'expected')));
    expect(noExpected).toEqual([]);
    const numbers = cases.map((c) => c.slice(0, 3));
    expect(numbers.filter((n, i) => numbers.indexOf(n) !== i)).toEqual([]);
  });

  it.each(controls)('control %s (valid input) connects: the listener sees what a bad case would do', async (name) => {
    const { outcome, connections } = await runCase(name);
    expect(connections, `exit ${outcome.code}\n${outcome.stderr}`).toBeGreaterThan(0);
  });

  it.each(cases)('%s', async (name) => {
    const { outcome, exp, connections, work } = await runCase(name);
    const all = `${outcome.stdout}\n${outcome.stderr}`;
    // Temp paths differ from run to run; show them as the case sees them.
    const shown = (s: string) => s.split(work).join('.');
    const report = `exit ${outcome.code}, ${connections} connection(s)\n--- stderr\n${shown(outcome.stderr)}--- stdout\n${shown(outcome.stdout).slice(0, 4000)}`;
    // BAD_INPUT_DUMP=file appends every case's outcome there: to review what lvsible prints, passing or not.
    if (process.env.BAD_INPUT_DUMP) appendFileSync(process.env.BAD_INPUT_DUMP, `## ${name}: ${report}\n`);
    expect.soft(connections, `no connection may be opened\n${report}`).toBe(0);
    expect.soft(outcome.code, `exit code\n${report}`).toBe(exp.exit);
    // Key words are matched without regard to case ("Undefined" or "undefined"); locations are exact anyway.
    const has = (hay: string, l: string) => hay.toLowerCase().includes(l.toLowerCase());
    const missing = exp.present.filter((l) => !has(outcome.stderr, l));
    expect.soft(missing, `expected in stderr: ${JSON.stringify(missing)}\n${report}`).toEqual([]);
    const leaked = exp.absent.filter((l) => has(all, l));
    expect.soft(leaked, `must not appear in stdout or stderr: ${JSON.stringify(leaked)}\n${report}`).toEqual([]);
  });
});
