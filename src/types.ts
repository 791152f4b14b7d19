/**
 * The data that flows through lvsible. Everything here is plain and JSON-serialisable: a plan is a value
 * that `plan`, `apply --check`, `--json` and the tests all share.
 */

/** One thing to run on a host to bring it to the declared state. */
export interface Step {
  /** A complete POSIX sh command line, built only through `quote()`/`sh` from src/transport/quote.ts. */
  cmd: string;
  /** Bytes fed to the command's stdin (file contents, `ipvsadm -R` batches). May hold secrets: never printed. */
  stdin?: string;
  /** What a reader should see instead of `cmd` when it is long or carries a payload (e.g. "write /etc/x"). */
  label?: string;
}

/** One difference between declared and actual state, and the steps that remove it. */
export interface Change {
  /** One line, operator's words: "set net.ipv4.ip_forward = 1 (was 0)". */
  summary: string;
  /** For `--diff`: the text before and after (file contents, values). Redacted before printing. */
  before?: string;
  after?: string;
  /** Name shown in the unified diff header (usually a path). */
  diffName?: string;
  steps: Step[];
}

/** What a module's `plan` returns: the changes, and when there are none, why (`noop`, in the operator's words). */
export type Plan = Change[] & { noop?: string };

/** The result of running one command on a host. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the remote process died from a signal. */
  signal?: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  /** Run through sudo (the connection knows user and password). */
  become?: boolean;
  becomeUser?: string;
  timeoutMs?: number;
}

/** A live connection to one host. Implemented over ssh2 (src/transport/ssh.ts) and locally for tests. */
export interface Connection {
  readonly host: string;
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

/**
 * How a module reads the state it manages: a shell snippet whose stdout is parsed by `parse`.
 * The engine concatenates the probes of many tasks into one script per host (one SSH round trip),
 * so a snippet must not `exit`, must not read stdin, and must tolerate `set +e`.
 */
export interface Probe<S> {
  script: string;
  parse(stdout: string): S;
}

/** Facts the engine gathers once per host before planning (one round trip, see engine/facts.ts). */
export interface HostFacts {
  os: { id: string; idLike: string[]; versionId: string; family: 'debian' | 'redhat' | 'unknown' };
  packageManager: 'apt' | 'dnf' | 'yum' | 'unknown';
  hostname: string;
  kernel: string;
  isRoot: boolean;
  hasSystemd: boolean;
}

export interface ModuleContext {
  host: string;
  facts: HostFacts;
  /** Directory the task's role or playbook lives in: relative `src:` and templates resolve from here. */
  baseDir: string;
  /** Templating for module-internal needs (template module renders `.j2` files with the host's vars). */
  render(template: string, extraVars?: Record<string, unknown>): string;
  /** Root directory prefixed to every path the module touches: '' in production, a temp dir in tests. */
  root: string;
}

/**
 * A module is a noun for state. `read` only reads; `plan` is pure and returns [] when the host already
 * matches (every module has a test whose whole point is that []).
 */
export interface Module<P = any, S = any> {
  name: string;
  /** JSON Schema of the parameters; checked at load time, before any connection. */
  schema: Record<string, unknown>;
  /** Parameter names whose values are secrets (never printed). */
  secretParams?: string[];
  /**
   * Checks of the rendered params beyond the schema (addresses, prefixes, interface names, modes: the grammar of
   * the file or command each value ends up in), run before any connection. `field` is the param's dotted path
   * (`dev`, `services[0].destinations[1].address`), '' for the params as a whole. Pure; must tolerate values of
   * the wrong type (the schema reports those).
   */
  check?(params: P): ParamIssue[];
  /** Turn validated params into the normal form (defaults, short forms). Pure. */
  normalize?(params: P, ctx: ModuleContext): P;
  read(params: P, ctx: ModuleContext): Probe<S>;
  plan(params: P, current: S, ctx: ModuleContext): Change[];
  /**
   * Modules whose work is running something (command, shell) are always "changed" when they run; they
   * return what `register` should hold from the executed steps.
   */
  registerResult?(results: ExecResult[]): Record<string, unknown>;
  /**
   * The module's work is running something (command, shell): `plan` returns the run whenever its guards
   * (creates/removes) allow, and the engine honours the task's `changed_when` to report it as ok or changed.
   */
  alwaysRuns?: boolean;
}

export type Vars = Record<string, unknown>;

/** A problem with one parameter of a module, found before connecting. */
export interface ParamIssue {
  field: string;
  message: string;
}
