import { describe, expect, it } from 'vitest';
import { SharedPool } from '../../src/transport/pool.js';
import { Semaphore } from '../../src/transport/semaphore.js';

describe('SharedPool', () => {
  it('shares one creation among concurrent callers and disposes after the last release', async () => {
    const pool = new SharedPool<{ id: number }>();
    let created = 0;
    const disposed: number[] = [];
    const make = async () => ({ id: ++created });
    const leases = await Promise.all([1, 2, 3].map(() => pool.acquire('k', make, (v) => disposed.push(v.id))));
    expect(created).toBe(1);
    expect(new Set(leases.map((l) => l.value)).size).toBe(1);
    leases[0]!.release();
    leases[0]!.release(); // twice is once
    leases[1]!.release();
    expect(disposed).toEqual([]);
    leases[2]!.release();
    expect(disposed).toEqual([1]);
    expect(pool.size).toBe(0);
    const again = await pool.acquire('k', make, () => undefined);
    expect(again.value.id).toBe(2);
  });

  it('forgets a failed creation so the next caller tries again', async () => {
    const pool = new SharedPool<string>();
    await expect(pool.acquire('k', () => Promise.reject(new Error('down')), () => undefined)).rejects.toThrow('down');
    expect(pool.size).toBe(0);
    expect((await pool.acquire('k', async () => 'up', () => undefined)).value).toBe('up');
  });

  it('after forget, new callers get a fresh value while old leases still release cleanly', async () => {
    const pool = new SharedPool<number>();
    let n = 0;
    const disposed: number[] = [];
    const old = await pool.acquire('k', async () => ++n, (v) => disposed.push(v));
    pool.forget('k', old.value);
    const fresh = await pool.acquire('k', async () => ++n, (v) => disposed.push(v));
    expect(fresh.value).toBe(2);
    old.release();
    expect(disposed).toEqual([1]);
    fresh.release();
    expect(disposed).toEqual([1, 2]);
  });
});

describe('Semaphore', () => {
  it('never grants more than its limit and serves waiters in order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const release = await s.acquire();
        order.push(i);
        peak = Math.max(peak, ++active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        release();
      }),
    );
    expect(peak).toBe(2);
    expect(s.peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('fails its waiters and later acquires once failed', async () => {
    const s = new Semaphore(1);
    const first = await s.acquire();
    const waiting = s.acquire();
    s.fail(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    await expect(s.acquire()).rejects.toThrow('gone');
    first();
  });
});
