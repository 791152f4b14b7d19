/**
 * `serial` -> the batch sizes ansible-playbook (Debian's ansible-core 2.14.18) ran on seven `connection: local`
 * hosts h1..h7: one play per value, its only task `debug: msg="{{ ansible_play_batch }}"` with `run_once: true`,
 * under `ANSIBLE_STDOUT_CALLBACK=json`, run once and recorded here. test/integration/serial-ansible.test.ts runs
 * the same plays live when ansible-playbook is installed. Shared by that test and test/unit/serial-batches.test.ts.
 */
export const ANSIBLE_BATCHES: [unknown, number[]][] = [
  [1, [1, 1, 1, 1, 1, 1, 1]],
  [2, [2, 2, 2, 1]],
  [3, [3, 3, 1]],
  [7, [7]],
  [10, [7]],
  [0, [7]],
  [-1, [7]],
  ['30%', [2, 2, 2, 1]],
  ['50%', [3, 3, 1]],
  ['0%', [1, 1, 1, 1, 1, 1, 1]],
  ['1%', [1, 1, 1, 1, 1, 1, 1]],
  ['100%', [7]],
  ['150%', [7]],
  ['29%', [2, 2, 2, 1]],
  [[1, 2], [1, 2, 2, 2]],
  [[1, '50%'], [1, 3, 3]],
  [[2, 0], [2, 5]],
  [[1, 2, 3], [1, 2, 3, 1]],
  [['10%', '30%', '100%'], [1, 2, 4]],
  ['3', [3, 3, 1]],
  [' 2 ', [2, 2, 2, 1]],
  [[], [7]],
  [null, [7]],
  // Templated in the same run: `{{ lst }}` with lst: [1, "60%"] gave a list.
  [[1, '60%'], [1, 4, 2]],
];

