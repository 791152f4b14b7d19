/**
 * Secrets never leave the engine in clear: every event passes through one Redactor that knows the secret
 * values of this run (connection passwords, become passwords, auth_pass, no_log parameters).
 */
export const MASK = '********';

/** Variable names whose values are treated as secrets wherever they appear. */
export const SECRET_NAME = /(^|_)(pass|password|passwd|passphrase|secret|token|auth_pass|become_pass)($|_)/i;

export class Redactor {
  private secrets: string[] = [];

  add(value: unknown): void {
    if (typeof value === 'number') value = String(value);
    // Very short values would mask ordinary words ("1", "on"); no real secret is that short.
    if (typeof value !== 'string' || value.length < 3 || this.secrets.includes(value)) return;
    this.secrets.push(value);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** Add every value found under a secret-looking key, at any depth. */
  addFromVars(vars: unknown, depth = 0): void {
    if (!vars || typeof vars !== 'object' || depth > 8) return;
    for (const [k, v] of Object.entries(vars)) {
      if (SECRET_NAME.test(k) && (typeof v === 'string' || typeof v === 'number')) this.add(v);
      else if (typeof v === 'object') this.addFromVars(v, depth + 1);
    }
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  }

  deep<T>(v: T): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.deep(x)) as T;
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.deep(x)])) as T;
    return v;
  }
}
