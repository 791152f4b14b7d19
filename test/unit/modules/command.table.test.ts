import { describe } from 'vitest';
import { command, type CommandParams, type CommandState } from '../../../src/modules/command.js';
import { shell } from '../../../src/modules/shell.js';
import { frame } from '../../../src/facts/index.js';
import { testContext } from '../../helpers/converge.js';
import { planTable } from '../../helpers/table.js';

const ctx = testContext('');

describe('command module table (creates/removes guards)', () => {
  planTable<CommandParams, CommandState>(command, ctx, [
    { why: 'creates exists', params: { free_form: 'make install', creates: '/usr/local/bin/x' }, out: frame({ creates: 'yes\n' }), noop: '/usr/local/bin/x exists (creates): not run' },
    { why: 'removes is gone', params: { cmd: 'rm -rf /tmp/cache', removes: 'cache', chdir: '/tmp' }, out: frame({ removes: 'no\n' }), noop: 'cache does not exist (removes): not run' },
    { why: 'no guard: always runs', params: { argv: ['echo', 'a b'] }, out: frame({}), changes: [["run: echo 'a b'", ["echo 'a b'"]]] },
    { why: 'creates missing: runs in chdir', params: { free_form: 'make', creates: 'out', chdir: '/src' }, out: frame({ creates: 'no\n' }), changes: [['run: make', ['cd /src && make']]] },
  ]);
});

describe('shell module table', () => {
  planTable<CommandParams, CommandState>(shell, ctx, [
    { why: 'creates exists', params: { cmd: 'echo $HOME > /tmp/h', creates: '/tmp/h' }, out: frame({ creates: 'yes\n' }), noop: '/tmp/h exists (creates): not run' },
    { why: 'runs through sh -c', params: { cmd: 'echo $HOME | wc -c' }, out: frame({}), changes: [['run: echo $HOME | wc -c', ["sh -c 'echo $HOME | wc -c'"]]] },
  ]);
});
