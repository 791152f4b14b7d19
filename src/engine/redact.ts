import { currentSecrets, MIN_SECRET_LENGTH, scalars, SecretStore } from '../config/secrets.js';
import { quote } from '../transport/quote.js';

/**
 * Secrets never leave lvsible in clear: events, reporter output and error messages pass through a Redactor
 * that knows the secret values of this run (docs/secrets.md says which). It masks every form in which lvsible
 * itself may print a value: as is, shell-quoted, JSON-escaped, backslash-escaped, base64, URL-encoded, and
 * line by line.
 */
export const MASK = '********';

const b64 = (b: Buffer) => b.toString('base64');
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A pattern for `s` as a command splitter leaves it when the value itself was not quoted for the shell
 * (`command: mysql -p{{ pw }}` with a quote in the password): its quote and backslash characters may be gone.
 */
export function looseForm(s: string): string | null {
  if (!/['"\\]/.test(s) || s.replace(/['"\\]/g, '').length < 6) return null;
  return [...s].map((c) => (`'"\\`.includes(c) ? `${escapeRe(c)}?` : escapeRe(c))).join('');
}

/**
 * The base64 of `s` as it appears inside the base64 of a longer text: one form per alignment (0, 1 or 2
 * bytes before it), keeping only the characters that depend on `s` alone.
 */
function base64Forms(s: string): string[] {
  const bytes = Buffer.from(s);
  const out = [b64(bytes), b64(bytes).replace(/=+$/, '')];
  for (const k of [0, 1, 2]) {
    const enc = b64(Buffer.concat([Buffer.alloc(k), bytes]));
    const inner = enc.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    // Under six characters an alignment form is as likely to be ordinary text as the secret.
    if (inner.length >= 6) out.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every text that stands for `s` in something lvsible prints. */
export function secretForms(s: string): string[] {
  const forms = new Set<string>();
  const each = (v: string) => {
    // How a shell command line may hold it: as is, quote()d (and its inner '\'' form), backslash-escaped
    // inside double quotes or word by word (printf %q).
    const shell = [v, quote(v), v.replace(/'/g, `'\\''`), v.replace(/["\\$`]/g, '\\$&'), v.replace(/[^\w.,:/@%+=-]/g, '\\$&')];
    for (const f of shell) {
      // ... and each of those inside a JSON string, or a JSON string inside a JSON string (an error in --json).
      forms.add(f);
      forms.add(JSON.stringify(f).slice(1, -1));
      forms.add(JSON.stringify(JSON.stringify(f)).slice(3, -3));
    }
    forms.add(encodeURIComponent(v));
    forms.add(encodeURIComponent(v).replace(/%20/g, '+'));
    forms.add(encodeURI(v));
  };
  each(s);
  for (const f of base64Forms(s)) forms.add(f);
  const lines = s.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 1) for (const l of lines) if (l.length >= Math.max(MIN_SECRET_LENGTH, 4)) each(l);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH && f !== MASK);
}


/**
 * A secret written as an assignment in an error text (`"db_password": "S3CRET`, `api_key=S3CRET`, `--password=x`),
 * masked by its name: a parser error may quote a value that never loaded, so its value is not known.
 */
export function maskAssignments(text: string, store: SecretStore = currentSecrets()): string {
  const re = /([A-Za-z_][\w-]*)(\\?["']?[ \t]*[:=][ \t]*)(\\?["']?)/g;
  let out = '';
  let from = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [head, name, , quote] = m as unknown as [string, string, string, string];
    if (!store.isSecret(name)) continue;
    const start = m.index + head.length;
    // Quoted: up to the closing quote (or the line's end, in a broken document); bare: up to a delimiter.
    let end = quote ? text.indexOf(quote, start) : start;
    if (quote && (end < 0 || text.slice(start, end).includes('\n'))) end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (!quote) while (end < text.length && !/[\s"'\\,}\]]/.test(text[end]!)) end++;
    if (end === start || text.slice(start, end) === MASK) continue;
    out += text.slice(from, start) + MASK;
    from = end;
    re.lastIndex = end;
  }
  return out + text.slice(from);
}

/**
 * One pattern per store, not per Redactor: the engine, the precheck, every reporter and the CLI each hold a
 * Redactor over the run's store, and a new secret would otherwise make each of them rebuild it. Each value's
 * forms are kept too, so a new secret costs its own forms and one join, not the forms of every secret again.
 */
const patterns = new WeakMap<SecretStore, { version: number; re: RegExp | null; forms: Map<string, { exact: string[]; loose: string | null }> }>();

function patternOf(store: SecretStore): RegExp | null {
  let p = patterns.get(store);
  if (!p) patterns.set(store, (p = { version: -1, re: null, forms: new Map() }));
  if (p.version !== store.version) {
    const forms = new Set<string>();
    const loose: string[] = [];
    for (const s of store.values) {
      let f = p.forms.get(s);
      if (!f) p.forms.set(s, (f = { exact: secretForms(s), loose: looseForm(s) }));
      for (const x of f.exact) forms.add(x);
      if (f.loose !== null) loose.push(f.loose);
    }
    // Longest first: a form that contains another must be replaced whole.
    const sorted = [...forms].sort((a, b) => b.length - a.length).map(escapeRe);
    p.re = sorted.length ? new RegExp([...sorted, ...loose].join('|'), 'g') : null;
    p.version = store.version;
  }
  return p.re;
}

export class Redactor {
  /** Redactors made inside one run (src/cli.ts withSecrets) share its store, so every output knows every secret. */
  constructor(readonly store: SecretStore = currentSecrets()) {}

  add(value: unknown): void {
    this.store.add(value);
  }

  /** Values under secret names (and `lvsible_secrets` names), at any depth. */
  addFromVars(vars: unknown): void {
    this.store.collect(vars);
  }

  /**
   * A host's resolved scope: its top-level secret variables, rendered (`db_password: "{{ vault_pw }}"` is
   * recorded as the password, not as the template). Top level only: `groups` and `hostvars` are large.
   */
  addFromScope(vars: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(vars)) if (this.store.isSecret(k)) this.store.addLeaves(v);
  }

  /**
   * The text a no_log task produced (stdout, stderr, msg, and their lines): secret for the rest of the run.
   * Strings only: a return code or a count is not worth hiding and would mask ordinary numbers.
   */
  addOutputs(result: unknown): void {
    for (const x of scalars(result, 10_000)) if (typeof x === 'string') this.store.add(x.trim());
  }

  text(s: string): string {
    const re = patternOf(this.store);
    return re ? s.replace(re, MASK) : s;
  }

  /** For error messages: known values, and anything written as `secret_name: value`. */
  error(s: string): string {
    return maskAssignments(this.text(s), this.store);
  }

  deep<T>(v: T): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.deep(x)) as T;
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.deep(x)])) as T;
    return v;
  }
}
