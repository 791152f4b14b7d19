/**
 * `serial` as ansible-core 2.14 cuts a play's hosts into batches (src/playbook/serial.ts).
 *
 * The batch table was obtained by running the real ansible-playbook (Debian's ansible-core 2.14.18) once, on an
 * inventory of seven `connection: local` hosts h1..h7, with one play per `serial` value whose only task is
 * `debug: msg="{{ ansible_play_batch }}"` with `run_once: true`, and `ANSIBLE_STDOUT_CALLBACK=json`; each row
 * is what it printed, batch by batch. test/integration/serial-ansible.test.ts does the same run live when
 * ansible-playbook is installed. The `pct_to_int` rows were printed by Ansible's own function
 * (`from ansible.utils.helpers import pct_to_int`), float quirks included (58% of 50 hosts is 28).
 */
import { describe, expect, it } from 'vitest';
import { ANSIBLE_BATCHES } from './serial-batches.data.js';
import { exceedsMaxFail, maxFailValue, serialEntryProblem, serialList, serialSize, splitBatches } from '../../src/playbook/serial.js';

const H = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];
const cut = (...sizes: number[]) => {
  let i = 0;
  return sizes.map((n) => H.slice(i, (i += n)));
};

describe('splitBatches: the batches ansible-playbook ran', () => {
  it.each(ANSIBLE_BATCHES)('serial %j', (serial, sizes) => {
    expect(splitBatches(H, serialList(serial) as (number | string)[])).toEqual(cut(...sizes));
  });

  it('no hosts: no batches', () => {
    expect(splitBatches([], [2])).toEqual([]);
  });
});

describe('serialSize: Ansible pct_to_int', () => {
  it.each([
    ['29%', 100, 28],
    ['30%', 10, 3],
    ['33%', 3, 1],
    ['57%', 7, 3],
    ['14%', 7, 1],
    ['0%', 5, 1],
    ['100%', 5, 5],
    ['150%', 4, 6],
    ['1_0', 0, 10],
    [' 3 ', 0, 3],
    ['+2', 0, 2],
    ['-1', 0, -1],
    ['10 %', 50, 5],
    ['7%', 1000, 70],
    ['58%', 50, 28],
    ['-30%', 10, -3],
  ] as const)('%j of %i hosts is %i', (v, n, size) => {
    expect(serialSize(v, n)).toBe(size);
  });

  it.each(['3.5', '', '%', 'abc', '3 %x'])('%j is refused (Python int() raises ValueError)', (v) => {
    expect(serialSize(v, 10)).toBeUndefined();
    expect(serialEntryProblem(v)).toMatch(/neither an integer nor a percentage/);
  });

  it('refuses what is no integer', () => {
    expect(serialEntryProblem(2.5)).toBeDefined();
    expect(serialEntryProblem(true)).toBeDefined();
    expect(serialEntryProblem(2)).toBeUndefined();
    expect(serialEntryProblem('25%')).toBeUndefined();
  });
});

describe('max_fail_percentage', () => {
  it('reads as Ansible isa=percent (every % removed, then float())', () => {
    expect(maxFailValue(30)).toBe(30);
    expect(maxFailValue('30%')).toBe(30);
    expect(maxFailValue('12.5')).toBe(12.5);
    expect(maxFailValue('x')).toBeUndefined();
  });

  // Observed with ansible-playbook (docs/serial.md): 2 of 4 failed with 50 goes on, with 49 stops; 0 stops at one.
  it('stops strictly above the percentage, per batch', () => {
    expect(exceedsMaxFail(2, 4, 50)).toBe(false);
    expect(exceedsMaxFail(2, 4, 49)).toBe(true);
    expect(exceedsMaxFail(1, 8, 0)).toBe(true);
    expect(exceedsMaxFail(1, 4, 30)).toBe(false);
    expect(exceedsMaxFail(1, 4, undefined)).toBe(false);
  });
});
