import { describe, expect } from 'vitest';
import { copyModule, type CopyParams } from '../../../src/modules/copy.js';
import { templateModule, type TemplateParams } from '../../../src/modules/template.js';
import type { FileState } from '../../../src/facts/index.js';
import { testContext } from '../../helpers/converge.js';
import { fileOut } from '../../helpers/facts.js';
import { planTable } from '../../helpers/table.js';

const ctx = testContext('');
const write = (dest: string) => expect.stringContaining(`dest=${dest}`);

describe('copy module table', () => {
  planTable<CopyParams, FileState>(copyModule, ctx, [
    // The read was given the wanted digest: a converged file's bytes are not shipped.
    { why: 'content and mode match', params: { dest: '/etc/x', content: 'hello\n', mode: '0644' }, out: fileOut('hello\n', { shipped: false }), noop: 'file /etc/x: content and mode 0644 already match' },
    { why: 'content matches, nothing else asked', params: { dest: '/etc/x', content: '' }, out: fileOut('', { shipped: false }), noop: 'file /etc/x: content already matches' },
    {
      why: 'owner and group match by name',
      params: { dest: '/etc/x', content: 'a', owner: 'root', group: 'root' },
      out: fileOut('a', { shipped: false }),
      noop: 'file /etc/x: content, owner root and group root already match',
    },
    { why: 'create', params: { dest: '/etc/new', content: 'x\n' }, out: fileOut(undefined), changes: [['create file /etc/new', [write('/etc/new')]]] },
    { why: 'update: a file with no trailing newline differs', params: { dest: '/etc/x', content: 'a\n' }, out: fileOut('a'), changes: [['update file /etc/x', [write('/etc/x')]]] },
    { why: 'attribute drift only: chmod, no rewrite', params: { dest: '/etc/x', content: 'a', mode: '0600' }, out: fileOut('a', { shipped: false }), changes: [['set mode 0644 -> 0600 on /etc/x', ['chmod -- 0600 /etc/x']]] },
    { why: 'unreadable: rewritten, and says why', params: { dest: '/etc/x', content: 'a' }, out: 'type file\nstat 600 0 0 1 root root\nunreadable\n', changes: [['update file /etc/x (current content unreadable)']] },
  ]);
});

describe('template module table', () => {
  planTable<TemplateParams, FileState>(templateModule, ctx, [
    { why: 'rendered text already there', params: { src: 'x.j2', dest: '/etc/t', rendered: 'port 80\n', mode: '0640' }, out: fileOut('port 80\n', { mode: '640', shipped: false }), noop: 'file /etc/t: content and mode 0640 already match' },
    { why: 'another rendering is an update', params: { src: 'x.j2', dest: '/etc/t', rendered: 'port 81\n' }, out: fileOut('port 80\n'), changes: [['update file /etc/t']] },
  ]);
});
