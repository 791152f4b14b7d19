import { describe } from 'vitest';
import { pkg, type PackageParams, type PackageState } from '../../../src/modules/package.js';
import { frame } from '../../../src/facts/index.js';
import type { HostFacts } from '../../../src/types.js';
import { debianFacts, testContext } from '../../helpers/converge.js';
import { planTable } from '../../helpers/table.js';

const deb = testContext('');
const rhel = testContext('', { facts: { ...debianFacts, os: { id: 'rocky', idLike: ['rhel'], versionId: '9', family: 'redhat' }, packageManager: 'dnf' } as HostFacts });
const APT = 'DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install --no-install-recommends';
/** dpkg-query rows, and apt-cache policy blocks for `latest`. */
const dpkg = (rows: string) => frame({ installed: rows });
const policy = (name: string, inst: string, cand: string) => `${name}:\n  Installed: ${inst}\n  Candidate: ${cand}\n  Version table:\n`;

describe('package module table (apt)', () => {
  planTable<PackageParams, PackageState>(pkg, deb, [
    { why: 'installed', params: { name: ['ipvsadm', 'keepalived'], update_cache: true }, out: dpkg('ipvsadm\tinstall ok installed\t1:1.31-1\nkeepalived\tinstall ok installed\t1:2.2.7-1\n'), noop: 'packages ipvsadm 1:1.31-1, keepalived 1:2.2.7-1 are installed' },
    { why: 'absent, and only its config files are left', params: { name: 'nginx', state: 'absent' }, out: dpkg('nginx\tdeinstall ok config-files\t1.22.1-9\n'), noop: 'package nginx is not installed' },
    { why: 'latest, nothing newer', params: { name: 'ipvsadm', state: 'latest' }, out: frame({ installed: 'ipvsadm\tinstall ok installed\t1:1.31-1\n', upgradable: policy('ipvsadm', '1:1.31-1', '1:1.31-1') }), noop: 'package ipvsadm 1:1.31-1 is installed, and no newer version is available' },
    { why: 'install the missing one after an index update', params: { name: ['ipvsadm', 'keepalived'], update_cache: true }, out: dpkg('ipvsadm\tinstall ok installed\t1:1.31-1\n'), changes: [['install keepalived', ['apt-get update -q', `${APT} keepalived`]]] },
    { why: 'latest upgrades', params: { name: 'ipvsadm', state: 'latest' }, out: frame({ installed: 'ipvsadm\tinstall ok installed\t1:1.31-1\n', upgradable: policy('ipvsadm', '1:1.31-1', '1:1.31-1+b1') }), changes: [['upgrade ipvsadm (1:1.31-1 -> 1:1.31-1+b1)', [`${APT} ipvsadm`]]] },
    { why: 'absent purges', params: { name: 'nginx', state: 'absent' }, out: dpkg('nginx\tinstall ok installed\t1.22.1-9\n'), changes: [['remove packages: nginx', ['DEBIAN_FRONTEND=noninteractive apt-get -q -y purge nginx']]] },
  ]);
});

describe('package module table (dnf)', () => {
  planTable<PackageParams, PackageState>(pkg, rhel, [
    { why: 'installed (rpm says so; the other line is rpm\'s "not installed" note)', params: { name: 'ipvsadm' }, out: frame({ installed: 'ipvsadm\t1.31-6.el9\n' }), noop: 'package ipvsadm 1.31-6.el9 is installed' },
    { why: 'latest through check-update', params: { name: 'ipvsadm', state: 'latest' }, out: frame({ installed: 'ipvsadm\t1.31-6.el9\n', upgradable: '\nipvsadm.x86_64   1.31-6.el9_2   baseos\n' }), changes: [['upgrade ipvsadm (1.31-6.el9 -> 1.31-6.el9_2)', ['dnf -y upgrade ipvsadm']]] },
    { why: 'install', params: { name: 'keepalived' }, out: frame({ installed: 'package keepalived is not installed\n' }), changes: [['install keepalived', ['dnf -y install keepalived']]] },
  ]);
});
