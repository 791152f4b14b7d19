import { readdirSync, readFileSync } from 'node:fs';

/**
 * Peak summed RSS of a set of processes, sampled every `intervalMs` from /proc: the process tree under a root
 * (children found by parent links as they appear), plus any process a predicate claims (ssh ControlPersist
 * masters daemonize out of the tree; they are recognised by their ControlPath in the command line).
 *
 * Only pids not seen at the previous sample are classified (one /proc/PID/stat read), so a sample costs a
 * readdir of /proc plus one statm read per process of ours. RSS counts shared pages in every process that maps
 * them (Ansible's forks share the parent's pages copy-on-write): the sum is an upper bound of what they use.
 */
export interface SampleResult {
  peakRssBytes: number;
  /** Most processes of ours alive at one sample, and how many of them were `ssh` clients. */
  peakProcs: number;
  peakSsh: number;
  /** Distinct ssh client pids seen over the run. */
  sshSeen: number;
  samples: number;
  /** Mean wall cost of one sample (it competes with the measured run for the 2 cores). */
  meanSampleMs: number;
}

interface Known {
  ours: boolean;
  ssh: boolean;
}

const PAGE = 4096;

export class TreeSampler {
  private known = new Map<number, Known>();
  private timer: NodeJS.Timeout | undefined;
  private peakRss = 0;
  private peakProcs = 0;
  private peakSsh = 0;
  private sshPids = new Set<number>();
  private samples = 0;
  private sampleMs = 0;

  /**
   * @param root the process whose tree is measured
   * @param opts.excludeRoot do not count the root itself (e.g. /usr/bin/time wrapping the measured process)
   * @param opts.claim also count a process outside the tree when this returns true for its command line
   *   (only asked for processes named `ssh`)
   */
  constructor(
    private root: number,
    private opts: { excludeRoot?: boolean; claim?: (cmdline: string) => boolean; intervalMs?: number } = {},
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.opts.intervalMs ?? 50);
  }

  stop(): SampleResult {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return {
      peakRssBytes: this.peakRss,
      peakProcs: this.peakProcs,
      peakSsh: this.peakSsh,
      sshSeen: this.sshPids.size,
      samples: this.samples,
      meanSampleMs: this.samples ? this.sampleMs / this.samples : 0,
    };
  }

  private sample(): void {
    const t0 = performance.now();
    let pids: number[];
    try {
      pids = readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57).map(Number);
    } catch {
      return;
    }
    const alive = new Set(pids);
    for (const pid of this.known.keys()) if (!alive.has(pid)) this.known.delete(pid);
    // New pids, lowest first: a parent is usually older (lower pid) than its child, so it is classified first.
    const fresh = pids.filter((p) => !this.known.has(p)).sort((a, b) => a - b);
    for (const pid of fresh) {
      const st = readStat(pid);
      if (!st) continue;
      const ssh = st.comm === 'ssh';
      let ours = pid === this.root || this.known.get(st.ppid)?.ours === true;
      if (!ours && ssh && this.opts.claim) ours = this.opts.claim(readCmdline(pid));
      this.known.set(pid, { ours, ssh });
    }
    let rss = 0;
    let procs = 0;
    let sshNow = 0;
    for (const [pid, k] of this.known) {
      if (!k.ours) continue;
      if (pid === this.root && this.opts.excludeRoot) continue;
      // A fork is seen before it execs ssh (sh, python): look at its name again until it is ssh.
      if (!k.ssh && readStat(pid)?.comm === 'ssh') k.ssh = true;
      const pages = readStatmRss(pid);
      if (pages === undefined) continue;
      rss += pages * PAGE;
      procs++;
      if (k.ssh) {
        sshNow++;
        this.sshPids.add(pid);
      }
    }
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakProcs = Math.max(this.peakProcs, procs);
    this.peakSsh = Math.max(this.peakSsh, sshNow);
    this.samples++;
    this.sampleMs += performance.now() - t0;
  }
}

function readStat(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const fields = s.slice(close + 2).split(' ');
    return { ppid: Number(fields[1]), comm };
  } catch {
    return undefined;
  }
}

function readStatmRss(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
  } catch {
    return undefined;
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Summed RSS of the given pids now (bytes), e.g. the idle sshd listeners. */
export function rssOf(pids: number[]): number {
  let total = 0;
  for (const p of pids) total += (readStatmRss(p) ?? 0) * PAGE;
  return total;
}
