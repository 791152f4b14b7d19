import { AsyncLocalStorage } from 'node:async_hooks';
import type { ScalarTag } from 'yaml';

/**
 * What counts as a secret, and the run's collection of them (docs/secrets.md). Secrets are recorded while
 * the files load, before anything is validated, so that even a load-time error can be masked: the YAML
 * parser records `!secret` values and values under secret names as it reads each document.
 */

/** Names that hold secrets: `*password*`, `*passwd*`, `*passphrase*`, `*secret*`, `*token*`, `*_pwd`, `*_key`, `*_pass`. */
const SECRET_NAME = /password|passwd|passphrase|secret|token|_pwd$|_key$|_pass$|^auth_pass$/i;
/**
 * Names that match the rule but hold no secret: where a secret is kept (`ansible_ssh_private_key_file`,
 * `vault_password_file`, `token_dir`), how long it lives (`token_ttl`), its public half, and the list of names.
 */
const NOT_SECRET = /(_file|_files|_path|_dir|_ttl|_timeout|_length|_len)$|public|^lvsible_secrets$/i;

/** The name rule alone (no operator list): `api_key` yes, `ansible_ssh_private_key_file` no. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}

/** Shorter values would mask ordinary words ("on", "1"); no real secret is that short. */
export const MIN_SECRET_LENGTH = 3;

/** The scalars inside `v` (lists and mappings opened), at most `limit` steps: a bounded, iterative walk. */
export function* scalars(v: unknown, limit: number): Generator<unknown> {
  const stack = [v];
  for (let n = 0; stack.length && n < limit; n++) {
    const x = stack.pop();
    if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === 'object') stack.push(...Object.values(x));
    else yield x;
  }
}

/** The secret values and operator-listed names (`lvsible_secrets`) of one run. */
export class SecretStore {
  readonly values = new Set<string>();
  readonly names = new Set<string>();
  /** Bumped on every new value, so maskers know when to rebuild. */
  version = 0;

  add(value: unknown): void {
    if (typeof value === 'number' || typeof value === 'bigint') value = String(value);
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || this.values.has(value)) return;
    this.values.add(value);
    this.version++;
  }

  isSecret(name: string): boolean {
    return isSecretName(name) || this.names.has(name);
  }

  /** Every scalar inside `v` (a secret-named mapping or list is secret throughout). */
  addLeaves(v: unknown): void {
    for (const x of scalars(v, 10_000)) this.add(x);
  }

  /**
   * Does a template that refers to the variables `names` read a secret? By a secret name, or through a variable
   * whose value holds a known secret (`x: "{{ db_password }}"`, `db: { password: ... }`). A bounded look.
   */
  readsSecret(names: string[], vars: Record<string, unknown>): boolean {
    for (const name of names) {
      if (this.isSecret(name)) return true;
      if (!this.values.size || name === 'hostvars' || name === 'groups' || !Object.prototype.hasOwnProperty.call(vars, name)) continue;
      for (const x of scalars(vars[name], 1_000)) if (typeof x === 'string' && this.values.has(x)) return true;
    }
    return false;
  }

  /** A value rendered from a template that reads a secret is itself a secret (`{{ db_password | upper }}`). */
  addRendered(names: string[], vars: Record<string, unknown>, rendered: unknown): void {
    if (rendered === null || rendered === undefined || typeof rendered === 'boolean' || !this.readsSecret(names, vars)) return;
    // A text that holds every secret it reads as it is (`password={{ db_password }}` in a config file) is
    // masked where each secret stands, so that the rest of a diff stays readable. One that holds any of them
    // no more (upper-cased, sliced, split, hashed by a filter) is recorded whole.
    const read = this.secretsRead(names, vars);
    const leaves = [...scalars(rendered, 10_000)];
    const text = leaves.map(String).join('\u0000');
    const intact = read.length > 0 && read.every((v) => text.includes(v));
    if (!intact) for (const x of leaves) this.add(x);
  }

  /** The known secret values the variables `names` hold (a secret-named one: all its scalars). Bounded. */
  private secretsRead(names: string[], vars: Record<string, unknown>): string[] {
    const out = new Set<string>();
    for (const name of names) {
      if (!Object.prototype.hasOwnProperty.call(vars, name) || name === 'hostvars' || name === 'groups') continue;
      const whole = this.isSecret(name);
      for (const x of scalars(vars[name], 1_000)) {
        if ((typeof x === 'string' || typeof x === 'number') && String(x).length >= MIN_SECRET_LENGTH && (whole || this.values.has(String(x)))) out.add(String(x));
      }
    }
    return [...out];
  }

  /**
   * Record what `data` (a parsed document, vars, a scope) says is secret: `lvsible_secrets` names, values under
   * secret names at any depth, and a cluster's `authentication.pass`. Iterative (documents may nest deeply),
   * and cheap on a large inventory: each distinct key is matched against the rule once.
   */
  collect(data: unknown): void {
    const listedBefore = this.names.size;
    const walk = (check: (k: string) => boolean) => {
      const stack: unknown[] = [data];
      while (stack.length) {
        const x = stack.pop();
        if (Array.isArray(x)) {
          for (const i of x) if (i && typeof i === 'object') stack.push(i);
          continue;
        }
        if (!x || typeof x !== 'object') continue;
        for (const k in x) {
          const v = (x as Record<string, unknown>)[k];
          if (k === 'lvsible_secrets') this.addNames(v);
          else if (v !== null && v !== undefined && typeof v !== 'boolean' && check(k)) this.addLeaves(v);
          else if (k === 'authentication' && v && typeof v === 'object') this.add((v as { pass?: unknown }).pass);
          else if (v && typeof v === 'object') stack.push(v);
        }
      }
    };
    const seen = new Map<string, boolean>();
    walk((k) => {
      let yes = seen.get(k);
      if (yes === undefined) seen.set(k, (yes = this.isSecret(k)));
      return yes;
    });
    // A list may come after the values it names, in the same document: look once more, for those names only.
    if (this.names.size > listedBefore) walk((k) => this.names.has(k));
  }

  private addNames(listed: unknown): void {
    for (const n of Array.isArray(listed) ? listed : [listed]) if (typeof n === 'string') this.names.add(n);
  }

  /**
   * From a document that failed to parse: the text after a secret name on each line (`"db_password": "S3CRET`),
   * so that a parser message quoting the line cannot show it.
   */
  collectFromText(text: string): void {
    const re = /([A-Za-z_][\w-]*)["']?[ \t]*[:=][ \t]*(["']?)([^\n]*)/g;
    for (const m of text.matchAll(re)) {
      if (!this.isSecret(m[1]!)) continue;
      let v = m[3]!.trim();
      if (m[2]) v = v.split(m[2])[0]!;
      else v = v.replace(/\s+#.*$/, '').replace(/[,}\]\s]+$/, '');
      if (v.startsWith('!secret ')) v = v.slice(8).trim();
      this.add(v);
    }
  }
}

const ambient = new AsyncLocalStorage<SecretStore>();
/** Outside any run (a library caller, a test): one store for the process, so nothing recorded is lost. */
const processStore = new SecretStore();

/** The store of the run this code is part of. */
export const currentSecrets = (): SecretStore => ambient.getStore() ?? processStore;

/** Run `fn` with its own secret store: everything it loads and prints shares it (src/cli.ts: one per command). */
export function withSecrets<T>(fn: () => T, store = new SecretStore()): T {
  return ambient.run(store, fn);
}

export const recordSecret = (value: unknown): void => currentSecrets().add(value);

/**
 * `!secret S3CRET`: the operator marks a value secret where it is written. It loads as a plain string (a
 * tagged number too: `!secret 0123` keeps its leading zero) and is recorded as a secret of the run.
 */
export const secretTag: ScalarTag = {
  tag: '!secret',
  resolve(str: string): string {
    recordSecret(str);
    return str;
  },
};
