/**
 * Caps how many channels are open at once on one SSH connection. OpenSSH refuses sessions beyond
 * MaxSessions (10 by default) with a bare "open failed", so lvsible queues above its own, lower cap.
 */
export class Semaphore {
  private active = 0;
  private peakActive = 0;
  private readonly waiters: Array<{ grant: () => void; fail: (e: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`Semaphore limit must be >= 1 (got ${limit})`);
  }

  /** Resolves with a release function once a slot is free; rejects once the semaphore has failed. */
  acquire(): Promise<() => void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.active++;
        this.peakActive = Math.max(this.peakActive, this.active);
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.waiters.shift()?.grant();
        });
      };
      if (this.active < this.limit) grant();
      else this.waiters.push({ grant, fail: reject });
    });
  }

  /** Reject every waiter and every later acquire (the connection is gone). */
  fail(err: Error): void {
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.fail(err);
  }

  /** Most slots ever held at once (for tests and the benchmark). */
  get peak(): number {
    return this.peakActive;
  }
}
