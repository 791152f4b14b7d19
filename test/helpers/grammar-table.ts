import { describe, expect, it } from 'vitest';

/** A grammar's verdict per value: null when accepted, else a fragment of the reason it gives. */
export type Row = [string, string | null];

/** One test per row: the value is accepted, or refused with a reason that contains the expected words. */
export function table(name: string, check: (v: string) => string | null, rows: Row[]): void {
  describe(name, () => {
    for (const [v, why] of rows) {
      it(`${JSON.stringify(v)} -> ${why ?? 'accepted'}`, () => {
        const r = check(v);
        if (why === null) expect(r).toBeNull();
        else expect(r).toContain(why);
      });
    }
  });
}
