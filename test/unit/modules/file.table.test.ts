import { describe, expect } from 'vitest';
import { fileModule, type FileModuleState, type FileParams } from '../../../src/modules/file.js';
import { frame } from '../../../src/facts/index.js';
import { testContext } from '../../helpers/converge.js';
import { planTable } from '../../helpers/table.js';

const ctx = testContext('');
// Raw file-fact outputs, as `stat` and the probe print them.
const DIR = 'type directory\nstat 755 0 0 4096 root root\n';
const FILE = 'type file\nstat 644 65534 65534 3 nobody nogroup\nsha256 ' + 'a'.repeat(64) + '\n';
const LINK = 'type link\nstat 777 0 0 5 root root\ntarget /opt\n';

describe('file module table', () => {
  planTable<FileParams, FileModuleState>(fileModule, ctx, [
    { why: 'absent and gone', params: { path: '/x', state: 'absent' }, out: 'type absent\n', noop: '/x is already absent' },
    { why: 'directory, no attributes asked', params: { path: '/d', state: 'directory' }, out: DIR, noop: 'directory /d exists' },
    { why: 'directory, mode as a YAML 1.2 number', params: { path: '/d', state: 'directory', mode: 755 }, out: DIR, noop: 'directory /d exists with mode 0755' },
    { why: 'file by uid and group name', params: { path: '/f', state: 'file', mode: '0644', owner: '65534', group: 'nogroup' }, out: FILE, noop: 'file /f exists with mode 0644, owner nobody and group nogroup' },
    { why: 'touch never re-touches', params: { path: '/f', state: 'touch' }, out: FILE, noop: 'file /f exists' },
    { why: 'link to the right target (its mode ignored)', params: { path: '/l', src: '/opt', mode: '0644' }, out: LINK, noop: 'link /l -> /opt exists' },
    {
      why: 'recurse: nothing below drifted',
      params: { path: '/d', state: 'directory', recurse: true, owner: 'root' },
      out: frame({ file: DIR, tree: 'no\n' }),
      noop: 'directory /d exists with owner root, and everything below it has owner root',
    },
    { why: 'remove a directory', params: { path: '/d', state: 'absent' }, out: DIR, changes: [['remove directory /d', ['rm -rf -- /d']]] },
    { why: 'chmod only on attribute drift', params: { path: '/f', mode: '0600' }, out: FILE, changes: [['set mode 0644 -> 0600 on file /f', ['chmod -- 0600 /f']]] },
    {
      why: 'recurse: drift below is chowned recursively',
      params: { path: '/d', state: 'directory', recurse: true, owner: 'root' },
      out: frame({ file: DIR, tree: 'yes\n' }),
      changes: [['set owner root on /d recursively', ['chown -R -h -- root /d']]],
    },
    { why: 'create a directory with its mode', params: { path: '/n', state: 'directory', mode: '0750' }, out: 'type absent\n', changes: [['create directory /n (mode 0750)', ['mkdir -p -- /n', 'chmod -- 0750 /n']]] },
    { why: 'touch a missing file', params: { path: '/t', state: 'touch' }, out: 'type absent\n', changes: [['create empty file /t', ['touch -- /t']]] },
    { why: 'retarget a link', params: { path: '/l', src: '/srv' }, out: LINK, changes: [['link /l -> /srv (was -> /opt)', ['ln -sfn -- /srv /l']]] },
    { why: 'state file never creates content', params: { path: '/m', state: 'file' }, out: 'type absent\n', changes: [['/m should be a file but is absent', [expect.stringContaining('exit 1')]]] },
  ]);
});
