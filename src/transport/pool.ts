/**
 * Reference-counted sharing of things that are expensive to open, by key. Used for jump hosts: fifty
 * realservers behind one bastion should cost one bastion login, not fifty; each target's tunnel is its own
 * channel on that one connection. The value is disposed when its last user releases it.
 */
export interface Lease<T> {
  value: T;
  release(): void;
}

interface Entry<T> {
  promise: Promise<T>;
  /** Set once created, so `forget` can compare synchronously. */
  value?: T;
  refs: number;
  dispose: (v: T) => void;
}

export class SharedPool<T> {
  private readonly entries = new Map<string, Entry<T>>();

  /** Reuse the value under `key`, or create it. Concurrent callers share one creation; a failed one is forgotten. */
  async acquire(key: string, create: () => Promise<T>, dispose: (v: T) => void): Promise<Lease<T>> {
    let e = this.entries.get(key);
    if (!e) {
      const created: Entry<T> = { promise: create(), refs: 0, dispose };
      e = created;
      this.entries.set(key, created);
      created.promise.then(
        (v) => (created.value = v),
        () => {
          if (this.entries.get(key) === created) this.entries.delete(key);
        },
      );
    }
    e.refs++;
    let value: T;
    try {
      value = await e.promise;
    } catch (err) {
      e.refs--;
      throw err;
    }
    let released = false;
    const entry = e;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.refs > 0) return;
        if (this.entries.get(key) === entry) this.entries.delete(key);
        entry.dispose(value);
      },
    };
  }

  /** The value under `key` is dead (its connection dropped): new callers must open a fresh one. */
  forget(key: string, value: T): void {
    const e = this.entries.get(key);
    if (e && e.value === value) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
