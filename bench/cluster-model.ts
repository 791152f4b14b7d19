/**
 * Cost of the cluster model for a large site: SERVICES virtual services of PER realservers each, drawn from
 * HOSTS realserver hosts (NAT, DR and TUN mixed), behind a keepalived pair. Measures loadCluster (YAML +
 * schema + cross-host checks), hostView for every host (which renders keepalived.conf for the directors),
 * desiredTable, and one keepalived.conf render. Median of ROUNDS runs. Temp directory only.
 * Run: npx tsx bench/cluster-model.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clusterGroups, desiredTable, hostView, loadCluster, renderKeepalivedConf } from '../src/lvs/model/index.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 500);
const PER = Number(process.env.BENCH_PER ?? 20);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 240);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Realservers rs0..: a third NAT (back LAN 10.1/16), the rest DR or TUN (front LAN 10.0/16). A host keeps one
// method family everywhere (the model refuses NAT next to DR/TUN on one host).
const method = (h: number) => (h % 3 === 0 ? 'nat' : h % 3 === 1 ? 'dr' : 'tun');
const hostVars: Record<string, Record<string, unknown>> = {
  dir1: { lvs_interfaces: { eth1: '10.0.0.2/16', eth2: '10.1.0.2/16' } },
  dir2: { lvs_interfaces: { eth1: '10.0.0.3/16', eth2: '10.1.0.3/16' } },
};
for (let h = 0; h < HOSTS; h++) {
  const net = method(h) === 'nat' ? 1 : 0;
  hostVars[`rs${h}`] = { lvs_interfaces: { eth1: `10.${net}.${1 + Math.floor(h / 250)}.${1 + (h % 250)}/16` } };
}
const vip = (s: number) => `10.0.${200 + Math.floor(s / 250)}.${1 + (s % 250)}`;
let yaml = `lvs:
  directors: [dir1, dir2]
  vrrp_instances:
    - name: VI_1
      interface: eth1
      virtual_router_id: 51
      priority: { dir1: 150, dir2: 100 }
      state: { dir1: MASTER }
      authentication: { pass: s3cret }
      virtual_ipaddress:
        - { address: 10.1.255.1/16, dev: eth2 }
`;
for (let s = 0; s < SERVICES; s++) yaml += `        - ${vip(s)}/16\n`;
yaml += '  virtual_services:\n';
for (let s = 0; s < SERVICES; s++) {
  yaml += `    - vip: ${vip(s)}\n      port: 80\n      scheduler: wlc\n      health_check: { type: TCP_CHECK, connect_timeout: 3 }\n      realservers:\n`;
  for (let r = 0; r < PER; r++) {
    const h = (s * 7 + r) % HOSTS;
    yaml += `        - { host: rs${h}, method: ${method(h)} }\n`;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
const file = join(dir, 'cluster.yml');
writeFileSync(file, yaml);
const inv = { hosts: Object.keys(hostVars), hostVars: (h: string) => hostVars[h] ?? {} };
const t = { load: [] as number[], views: [] as number[], table: [] as number[], render: [] as number[] };
let confBytes = 0;
try {
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = performance.now();
    const model = loadCluster(file, inv);
    t.load.push(performance.now() - t0);
    t0 = performance.now();
    for (const h of inv.hosts) hostView(model, h);
    clusterGroups(model);
    t.views.push(performance.now() - t0);
    t0 = performance.now();
    desiredTable(model, 'dir1');
    t.table.push(performance.now() - t0);
    t0 = performance.now();
    confBytes = renderKeepalivedConf(model, 'dir1').length;
    t.render.push(performance.now() - t0);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`cluster: ${SERVICES} services x ${PER} realservers (${SERVICES * PER} destinations), ${HOSTS} realserver hosts, ${yaml.split('\n').length} YAML lines`);
console.log(`loadCluster (parse + schema + checks): ${median(t.load).toFixed(1)} ms`);
console.log(`hostView for all ${inv.hosts.length} hosts + groups: ${median(t.views).toFixed(1)} ms`);
console.log(`desiredTable(dir1): ${median(t.table).toFixed(1)} ms`);
console.log(`renderKeepalivedConf(dir1): ${median(t.render).toFixed(1)} ms (${(confBytes / 1024).toFixed(0)} KiB)`);
