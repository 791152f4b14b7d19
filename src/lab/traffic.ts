import { quote, raw, sh } from '../transport/quote.js';

/**
 * The lab's traffic harness, pure part: the client-side shell text that generates the load, the parser
 * of what it printed, and the summary (per request, per second, per phase) a test asserts on. The runner
 * that starts it on the client VM and times the change is test/e2e/traffic.ts.
 *
 * The load is K curl processes, each fetching N URLs of one glob paced by `--rate` (one TCP connection per
 * request: the responder closes), plus M long-lived `/slow/L` downloads started at the same time. curl
 * prints one `@@` line per transfer after its body (-w); the body is the answering realserver's hostname.
 * curl gives no absolute start time per transfer, so start times are reconstructed from the stream's own
 * begin and end clocks (see `reconstruct`).
 */

export interface TrafficOptions {
  vip: string;
  port?: number;
  /** Intended length of the run: each stream sends `seconds * rate` requests. */
  seconds: number;
  /** Requests per second per stream. */
  rate: number;
  /** Parallel paced curl processes. */
  streams: number;
  /** Long-lived downloads (`GET /slow/L`, one line every ~0.1 s), started with the streams. */
  slow: number;
  /** Lines per long-lived download; default `seconds * 10` (about the run's length). */
  slowLines?: number;
  /** curl --connect-timeout (s): generous, so a lost SYN retransmitted (1 s, 3 s, 7 s) is slow, not lost. */
  connectTimeout?: number;
  /** curl --max-time per short request (s). */
  maxTime?: number;
  /** Directory on the client for the run's files. */
  dir: string;
}

export const DEFAULTS = { port: 80, connectTimeout: 10, maxTime: 20 } as const;

/** Every curl and the whole run are bounded: a stuck stream is killed at this many seconds. */
export function runBound(o: TrafficOptions): number {
  const maxTime = o.maxTime ?? DEFAULTS.maxTime;
  return Math.ceil(o.seconds * 2 + maxTime + slowMaxTime(o) / 2 + 30);
}

const slowLines = (o: TrafficOptions): number => o.slowLines ?? Math.max(1, Math.round(o.seconds * 10));
/** A download of L lines at 0.1 s each takes L/10 s; under emulation the responder's sleeps run long. */
const slowMaxTime = (o: TrafficOptions): number => Math.ceil(slowLines(o) / 10) * 2 + 30;

/** The -w line: stream, URL (its path is the request's number: curl's %{urlnum} is 0 for every URL of one glob), curl exit code, HTTP status, connect and total times, bytes, curl's message. */
const writeOut = (stream: string): string =>
  `\\n@@ ${stream} %{url_effective} %{exitcode} %{http_code} %{time_connect} %{time_total} %{size_download} %{errormsg}\\n`;

const now = raw('$(date +%s.%N)');

/**
 * One stream: its begin clock, curl (line-buffered, so a killed curl leaves every line it finished), its end
 * clock. curl's verbose trace (stderr, `--trace-time`) goes to NAME.err: its one "Trying" line per transfer
 * is the transfer's start on the client's wall clock, which -w cannot print in curl 7.88.
 */
function streamScript(name: string, curlArgs: (string | number)[], bound: number): string {
  return sh`{ echo @@begin ${name} ${now}; timeout -k 5 ${bound} stdbuf -oL curl -v --trace-time ${curlArgs} 2> ${`${name}.err`}; echo @@end ${name} $? ${now}; } > ${`${name}.out`} &`;
}

/**
 * The script run on the client (in `dir`): records the client clock, starts every stream in the
 * background, waits for them all, and leaves `done` behind. Built only through `sh`/`quote`.
 */
export function trafficScript(o: TrafficOptions): string {
  const port = o.port ?? DEFAULTS.port;
  const n = Math.max(1, Math.round(o.seconds * o.rate));
  const bound = runBound(o);
  const common = ['-s', '--connect-timeout', o.connectTimeout ?? DEFAULTS.connectTimeout];
  const lines = [sh`echo @@start ${now} ${o.streams} ${o.rate} ${n} ${o.slow} > start`];
  for (let s = 1; s <= o.streams; s++) {
    const name = `r${s}`;
    lines.push(streamScript(name, [...common, '--max-time', o.maxTime ?? DEFAULTS.maxTime, '--rate', `${o.rate}/s`, '-w', writeOut(name), `http://${o.vip}:${port}/[1-${n}]?s=${s}`], bound));
  }
  for (let s = 1; s <= o.slow; s++) {
    const name = `slow${s}`;
    lines.push(streamScript(name, [...common, '--max-time', slowMaxTime(o), '-w', writeOut(name), `http://${o.vip}:${port}/slow/${slowLines(o)}`], bound));
  }
  lines.push('wait', sh`echo @@done ${now} > done`);
  return lines.join('\n') + '\n';
}

/** The command that starts the traffic in the background (nohup, detached from the SSH session) and returns at once. */
export function startCommand(o: TrafficOptions): string {
  return sh`rm -rf ${o.dir} && mkdir -p ${o.dir} && cd ${o.dir} && printf %s ${trafficScript(o)} > run.sh && { nohup sh run.sh > nohup.log 2>&1 < /dev/null & } && echo started`;
}

/** Wait (bounded by the run's own bound) for `done`, then print every file the run wrote. */
export function collectCommand(o: TrafficOptions): string {
  const bound = runBound(o) + 15;
  const wait = sh`i=0; while [ ! -e ${`${o.dir}/done`} ] && [ $i -lt ${bound} ]; do sleep 1; i=$((i+1)); done`;
  const tries = `for f in *.err; do grep -a ' Trying ' "$f" | sed "s/^/@@t \${f%.err} /"; done`;
  return `${wait}; cd ${quote(o.dir)} && for f in start *.out done; do [ -e "$f" ] && cat "$f"; echo; done; ${tries}`;
}

// ---- parsing ----

export type Outcome = 'answered' | 'refused' | 'reset' | 'timeout' | 'other';

export interface Transfer {
  stream: string;
  /** The request's number in its stream (1-based, from the URL path /N; a download is 1). */
  index: number;
  exit: number;
  http: number;
  connect: number;
  total: number;
  bytes: number;
  message: string;
  /** The body's lines (a short request: one line, the realserver's hostname). */
  body: string[];
}

export interface StreamRun {
  name: string;
  begin?: number;
  end?: number;
  /** The exit code of the `timeout … curl` pipeline (124: killed at the run's bound). */
  exit?: number;
  transfers: Transfer[];
  /** Each transfer's start (epoch s, client clock), in order, from curl's trace. */
  tries: number[];
}

export interface TrafficOutput {
  start?: number;
  /** From the start line: requests per second per stream, and requests per stream. */
  rate?: number;
  perStream?: number;
  done?: number;
  streams: StreamRun[];
  /** Lines the parser did not recognise outside a body (kept for diagnosis; a test may assert none). */
  stray: string[];
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? NaN : Number(s));

/** `http://VIP:80/17?s=2` -> 17; a URL without a number (a /slow download) is request 1. */
function indexOf(url: string): number {
  const m = /^[a-z]+:\/\/[^/]+\/(\d+)(?:\?|$)/.exec(url);
  return m ? Number(m[1]) : 1;
}

/** Parse the collected output. Every stream's body lines belong to the transfer whose `@@` line follows them. */
export function parseTraffic(text: string): TrafficOutput {
  const out: TrafficOutput = { streams: [], stray: [] };
  const byName = new Map<string, StreamRun>();
  const stream = (name: string): StreamRun => {
    let s = byName.get(name);
    if (!s) byName.set(name, (s = { name, transfers: [], tries: [] }));
    return s;
  };
  let body: string[] = [];
  let current: string | undefined;
  const tryLines: [string, string][] = [];
  for (const line of text.split('\n')) {
    const w = line.trimEnd().split(' ');
    if (w[0] === '@@start') {
      out.start = num(w[1]);
      out.rate = num(w[3]);
      out.perStream = num(w[4]);
    }
    else if (w[0] === '@@done') out.done = num(w[1]);
    else if (w[0] === '@@begin' && w[1]) {
      stream(w[1]).begin = num(w[2]);
      current = w[1];
      body = [];
    } else if (w[0] === '@@end' && w[1]) {
      const s = stream(w[1]);
      s.exit = num(w[2]);
      s.end = num(w[3]);
      current = undefined;
      body = [];
    } else if (w[0] === '@@t' && w[1]) {
      tryLines.push([w[1], w[2] ?? '']);
    } else if (w[0] === '@@' && w[1] && w.length >= 8) {
      stream(w[1]).transfers.push({
        stream: w[1],
        index: indexOf(w[2] ?? ''),
        exit: num(w[3]),
        http: num(w[4]),
        connect: num(w[5]),
        total: num(w[6]),
        bytes: num(w[7]),
        message: w.slice(8).join(' '),
        body,
      });
      body = [];
    } else if (line.trim() !== '') {
      if (current) body.push(line.trimEnd());
      else out.stray.push(line);
    }
  }
  // Trace times are the time of day (the VMs run in UTC): dated by the stream's begin, across midnight too.
  for (const [name, tod] of tryLines) {
    const s = stream(name);
    const m = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)$/.exec(tod);
    if (!m || s.begin === undefined) continue;
    const secs = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    const day = Math.floor(s.begin / 86400) * 86400;
    let t = day + secs;
    while (t < s.begin - 600) t += 86400;
    s.tries.push(t);
  }
  out.streams = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return out;
}

/** curl exit codes by what they mean for a request through a load balancer. */
export function classify(t: Pick<Transfer, 'exit' | 'http' | 'body'>): Outcome {
  if (t.exit === 0) return t.http === 200 && t.body.length > 0 ? 'answered' : 'other';
  if (t.exit === 7) return 'refused'; // connection refused (an RST to the SYN) or no route
  // 52 empty reply, 55 send failed, 56 recv failed (reset by peer), 18 partial body: a cut connection.
  if (t.exit === 52 || t.exit === 55 || t.exit === 56 || t.exit === 18) return 'reset';
  if (t.exit === 28) return 'timeout';
  return 'other';
}

/** Which realserver answered: the first word of the body (a /slow line is "HOST 00001"). */
export function answeredBy(t: Pick<Transfer, 'body'>): string | undefined {
  return t.body[0]?.split(' ')[0] || undefined;
}

/** A connect slower than this was a lost SYN (Linux retransmits it after 1 s): reported, not a failure. */
export const SLOW_CONNECT_S = 0.9;

export interface Request {
  stream: string;
  index: number;
  /** Reconstructed start, seconds from the traffic start (client clock). */
  at: number;
  outcome: Outcome;
  by?: string;
  slow: boolean;
  transfer: Transfer;
}

/**
 * Start times of a paced stream. curl --rate starts transfer i+1 at max(start_i + 1/rate, end_i) plus its
 * own overhead between transfers (setting up the next one, writing -w), which adds up over hundreds of
 * transfers. That overhead is taken as the same for every gap and solved from the stream's two clocks:
 * begin (just before curl starts) and end (just after it exits). Returns seconds on the client clock, and
 * the per-transfer overhead found (a large one means the reconstruction is coarse).
 */
export function reconstruct(s: StreamRun, rate: number): { starts: number[]; overhead: number } {
  const ts = [...s.transfers].sort((a, b) => a.index - b.index);
  const interval = 1 / rate;
  const naive: number[] = [];
  let t = 0;
  for (const [i, x] of ts.entries()) {
    naive.push(t);
    if (i < ts.length - 1) t += Math.max(interval, x.total);
  }
  const begin = s.begin ?? 0;
  const last = ts.at(-1);
  let overhead = 0;
  if (last && s.end !== undefined && Number.isFinite(s.end) && Number.isFinite(begin)) {
    const predictedEnd = t + last.total;
    overhead = Math.max(0, (s.end - begin - predictedEnd) / (ts.length + 1));
  }
  return { starts: naive.map((x, i) => begin + x + overhead * (i + 1)), overhead };
}

export interface Counts {
  sent: number;
  answered: number;
  /** Answers per realserver. */
  by: Record<string, number>;
  refused: number;
  reset: number;
  timeout: number;
  other: number;
  /** Answered, but the connect took more than SLOW_CONNECT_S (a retransmitted SYN). */
  slow: number;
  /** refused + reset + timeout + other. */
  failed: number;
}

export interface Window {
  from: number;
  to: number;
}

export interface Phase extends Counts, Window {
  name: string;
}

export interface Downloads {
  started: number;
  completed: number;
  /** Reset or cut short (curl 18/52/55/56): an established connection did not survive. */
  cut: number;
  timeout: number;
  other: number;
  by: Record<string, number>;
}

export interface Mark extends Window {
  name: string;
}

export interface Summary extends Counts {
  /** Client clock at the start (epoch s). */
  start: number;
  /** Seconds from the start to the last stream's end. */
  duration: number;
  rate: number;
  streams: number;
  /** Requests planned but never recorded (a stream killed at its bound, or cut off output). */
  unsent: number;
  /** First to last failed request (by start time, seconds from the start); undefined when none failed. */
  failureWindow?: Window;
  /** First to last failed-or-slow request: how long the service was disturbed. */
  disturbedWindow?: Window;
  phases: Phase[];
  perSecond: (Counts & { t: number })[];
  downloads: Downloads;
  marks: Mark[];
  /** Largest per-transfer overhead the reconstruction found (s), for streams without a trace. */
  overhead: number;
  /** Streams whose start times were reconstructed from pacing (no usable trace). */
  reconstructed: number;
  requests: Request[];
}

const emptyCounts = (): Counts => ({ sent: 0, answered: 0, by: {}, refused: 0, reset: 0, timeout: 0, other: 0, slow: 0, failed: 0 });

function add(c: Counts, r: Request): void {
  c.sent++;
  if (r.outcome === 'answered') {
    c.answered++;
    const by = r.by ?? '?';
    c.by[by] = (c.by[by] ?? 0) + 1;
    if (r.slow) c.slow++;
  } else {
    c[r.outcome]++;
    c.failed++;
  }
}

/** The phases a run splits into: baseline before the first mark, each mark, and what follows each one. */
export function phasesOf(marks: Mark[], duration: number): (Window & { name: string })[] {
  const sorted = [...marks].sort((a, b) => a.from - b.from);
  const out: (Window & { name: string })[] = [];
  let t = 0;
  let prev: string | undefined;
  for (const m of sorted) {
    if (m.from > t) out.push({ name: prev === undefined ? 'baseline' : `after ${prev}`, from: t, to: m.from });
    out.push({ name: m.name, from: m.from, to: m.to });
    t = Math.max(t, m.to);
    prev = m.name;
  }
  out.push({ name: prev === undefined ? 'baseline' : `after ${prev}`, from: t, to: Math.max(t, duration) });
  return out;
}

/**
 * Summarise a parsed run. `marks` are the change windows as seconds from the traffic start (measured by
 * the runner); `planned` is how many short requests each stream was to send.
 */
export function summarise(o: TrafficOutput, marks: Mark[] = []): Summary {
  const start = o.start ?? Math.min(...o.streams.map((s) => s.begin ?? Infinity));
  const paced = o.streams.filter((s) => !s.name.startsWith('slow'));
  const rate = o.rate && Number.isFinite(o.rate) ? o.rate : 1;
  const requests: Request[] = [];
  let overhead = 0;
  let reconstructed = 0;
  let end = 0;
  for (const s of paced) {
    let starts: number[];
    if (s.tries.length === s.transfers.length) starts = s.tries;
    else {
      // No trace (or a partial one): reconstructed from the pacing, coarser.
      const r = reconstruct(s, rate);
      starts = r.starts;
      overhead = Math.max(overhead, r.overhead);
      reconstructed++;
    }
    const ts = [...s.transfers].sort((a, b) => a.index - b.index);
    ts.forEach((t, i) => {
      const outcome = classify(t);
      const by = outcome === 'answered' ? answeredBy(t) : undefined;
      requests.push({ stream: s.name, index: t.index, at: starts[i]! - start, outcome, ...(by ? { by } : {}), slow: outcome === 'answered' && t.connect > SLOW_CONNECT_S, transfer: t });
    });
    if (s.end !== undefined) end = Math.max(end, s.end - start);
  }
  requests.sort((a, b) => a.at - b.at);

  const totals = emptyCounts();
  for (const r of requests) add(totals, r);
  const failed = requests.filter((r) => r.outcome !== 'answered');
  const disturbed = requests.filter((r) => r.outcome !== 'answered' || r.slow);
  const windowOf = (rs: Request[]): Window | undefined => (rs.length ? { from: rs[0]!.at, to: rs.at(-1)!.at } : undefined);

  const duration = Math.max(end, ...requests.map((r) => r.at + r.transfer.total));
  const phases: Phase[] = phasesOf(marks, duration).map((p) => ({ ...p, ...emptyCounts() }));
  for (const r of requests) {
    const p = phases.find((x) => r.at < x.to) ?? phases.at(-1)!;
    add(p, r);
  }
  const perSecond: (Counts & { t: number })[] = [];
  for (const r of requests) {
    const t = Math.max(0, Math.floor(r.at));
    while (perSecond.length <= t) perSecond.push({ t: perSecond.length, ...emptyCounts() });
    add(perSecond[t]!, r);
  }

  const downloads: Downloads = { started: 0, completed: 0, cut: 0, timeout: 0, other: 0, by: {} };
  for (const s of o.streams.filter((x) => x.name.startsWith('slow'))) {
    downloads.started++;
    const t = s.transfers[0];
    const outcome = t ? classify(t) : 'other';
    if (outcome === 'answered') downloads.completed++;
    else if (outcome === 'reset') downloads.cut++;
    else if (outcome === 'timeout') downloads.timeout++;
    else downloads.other++;
    const by = t && answeredBy(t);
    if (by) downloads.by[by] = (downloads.by[by] ?? 0) + 1;
  }

  const sentPlanned = (o.perStream ?? 0) * paced.length;
  const summary: Summary = {
    ...totals,
    start,
    duration,
    rate,
    streams: paced.length,
    unsent: Math.max(0, sentPlanned - totals.sent),
    phases,
    perSecond,
    downloads,
    marks,
    overhead,
    reconstructed,
    requests,
  };
  const fw = windowOf(failed);
  const dw = windowOf(disturbed);
  if (fw) summary.failureWindow = fw;
  if (dw) summary.disturbedWindow = dw;
  return summary;
}

// ---- rendering ----

const fmt = (n: number): string => n.toFixed(1);
const win = (w: Window | undefined): string => (w ? `${fmt(w.from)}-${fmt(w.to)} s (${fmt(w.to - w.from)} s)` : 'none');
const byText = (by: Record<string, number>): string =>
  Object.entries(by)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

function countsText(c: Counts): string {
  return `${c.sent} sent, ${c.answered} answered (${byText(c.by) || 'none'}), ${c.failed} failed (${c.refused} refused, ${c.reset} reset, ${c.timeout} timed out, ${c.other} other), ${c.slow} slow`;
}

/** One line for a test's output: totals, the failure and disturbance windows, the downloads, and each phase. */
export function renderLine(s: Summary): string {
  const d = s.downloads;
  const dl = d.started ? `; downloads ${d.completed}/${d.started} complete, ${d.cut} cut, ${d.timeout} timed out${d.other ? `, ${d.other} other` : ''}` : '';
  const phases = s.phases.map((p) => `${p.name} [${fmt(p.from)}-${fmt(p.to)} s]: ${p.sent} sent, ${p.failed} failed, ${p.slow} slow`).join('; ');
  const unsent = s.unsent ? `, ${s.unsent} NOT SENT` : '';
  return `traffic ${fmt(s.duration)} s, ${s.streams} x ${s.rate}/s: ${countsText(s)}${unsent}; failure window ${win(s.failureWindow)}, disturbed ${win(s.disturbedWindow)}${dl} | ${phases}`;
}

/** A per-second table (seconds from the traffic start, by request start), the phase of each second marked. */
export function renderTable(s: Summary): string {
  const servers = [...new Set(s.requests.flatMap((r) => (r.by ? [r.by] : [])))].sort();
  const head = ['t', 'sent', ...servers, 'refused', 'reset', 'timeout', 'other', 'slow', 'phase'];
  const rows = s.perSecond.map((c) => {
    const phase = s.phases.find((p) => c.t < p.to)?.name ?? s.phases.at(-1)?.name ?? '';
    return [String(c.t), String(c.sent), ...servers.map((k) => String(c.by[k] ?? 0)), String(c.refused), String(c.reset), String(c.timeout), String(c.other), String(c.slow), phase];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((v, i) => v.padStart(widths[i]!)).join(' ')).join('\n');
}
