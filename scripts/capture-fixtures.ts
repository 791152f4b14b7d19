/**
 * Capture real outputs from a running lab into test/fixtures/captured/, so parsers are tested against what
 * a kernel actually printed. Run with a lab up (default topology):
 *
 *   npx tsx scripts/capture-fixtures.ts [--out DIR]      (LVSIBLE_LAB_DIR selects another lab)
 *
 * On dir1 it installs ipvsadm and keepalived through the lab's proxy, builds IPVS tables with ipvsadm
 * (TCP/UDP/fwmark, IPv6, persistence with netmask, every forwarding method, sh/mh flags, thresholds,
 * weight 0), sends some traffic from the client so counters and connections are real, then saves each
 * command's stdout byte for byte (NAME.txt), its stderr when any (NAME.stderr.txt) and an index.json
 * with every command and exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labPaths, projectRoot } from '../src/lab/paths.js';
import { sshRun } from '../src/lab/ssh.js';
import { readState, type LabState, type VmState } from '../src/lab/state.js';

const VIP = '198.51.100.10';

const SETUP = `set -e
export DEBIAN_FRONTEND=noninteractive
dpkg-query -W ipvsadm keepalived >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ipvsadm keepalived >/dev/null; }
systemctl stop keepalived 2>/dev/null || true
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh ip_vs_lblc ip_vs_dh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_lblcr; do modprobe $m; done
ipvsadm -C
`;

const EMPTY: [string, string][] = [['empty-Ln', 'ipvsadm -Ln'], ['empty-Sn', 'ipvsadm -Sn']];

const TABLES = `set -e
ip addr replace ${VIP}/32 dev eth1
ip -6 addr replace 2001:db8::2/64 dev eth1 nodad
ipvsadm --set 900 120 300
# TCP, wrr, every forwarding method, weight 0 on one realserver
ipvsadm -A -t ${VIP}:80 -s wrr
ipvsadm -a -t ${VIP}:80 -r 198.51.100.21:80 -g -w 3
ipvsadm -a -t ${VIP}:80 -r 198.51.100.31:80 -i -w 2
ipvsadm -a -t ${VIP}:80 -r 192.0.2.11:80 -m -w 0
# persistence with a netmask, sh with flags, thresholds
ipvsadm -A -t ${VIP}:443 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0
ipvsadm -a -t ${VIP}:443 -r 192.0.2.11:443 -m -w 1 -x 100 -y 50
ipvsadm -a -t ${VIP}:443 -r 198.51.100.21:443 -g -w 1
# UDP with mh and its flags; one-packet scheduling
ipvsadm -A -u ${VIP}:53 -s mh -b mh-fallback,mh-port
ipvsadm -a -u ${VIP}:53 -r 192.0.2.11:53 -m -w 1
ipvsadm -A -u ${VIP}:514 -s rr -o
ipvsadm -a -u ${VIP}:514 -r 192.0.2.11:514 -m
# fwmark services, IPv4 and IPv6
ipvsadm -A -f 1 -s lc -p 60
ipvsadm -a -f 1 -r 198.51.100.21:0 -g
ipvsadm -a -f 1 -r 198.51.100.31:0 -i -w 5
ipvsadm -A -f 2 -6 -s rr
ipvsadm -a -f 2 -6 -r [2001:db8::21]:0 -g
# IPv6 virtual service
ipvsadm -A -t [2001:db8::10]:80 -s wlc
ipvsadm -a -t [2001:db8::10]:80 -r [2001:db8::21]:80 -g -w 2
ipvsadm -a -t [2001:db8::10]:80 -r [2001:db8::31]:8080 -m -w 1
# more schedulers, a local realserver, a GUE tunnel
ipvsadm -A -t ${VIP}:8080 -s lblc
ipvsadm -a -t ${VIP}:8080 -r 198.51.100.2:80 -m
ipvsadm -A -t ${VIP}:8081 -s sed
ipvsadm -a -t ${VIP}:8081 -r 198.51.100.31:8081 -i --tun-type gue --tun-port 6080 --tun-nocsum
ipvsadm -A -t ${VIP}:8082 -s fo
ipvsadm -a -t ${VIP}:8082 -r 198.51.100.21:8082 -g -w 10
ipvsadm -a -t ${VIP}:8082 -r 198.51.100.31:8082 -i -w 20 -x 0 -y 0
`;

// From the client: TCP to the VIP (DR/TUN realservers drop it, so the director keeps SYN_RECV entries),
// to the persistent service (templates), and UDP.
const TRAFFIC = `for p in 80 80 80 443 443 8082; do timeout 2 bash -c "echo > /dev/tcp/${VIP}/$p" 2>/dev/null; done
for i in 1 2 3; do echo hi | timeout 2 busybox nc -u -w 1 ${VIP} 53 >/dev/null 2>&1; done
true`;

const CAPTURES: [string, string][] = [
  ['Ln', 'ipvsadm -Ln'],
  ['Ln-stats', 'ipvsadm -Ln --stats'],
  ['Ln-stats-exact', 'ipvsadm -Ln --stats --exact'],
  ['Ln-rate', 'ipvsadm -Ln --rate'],
  ['Ln-rate-exact', 'ipvsadm -Ln --rate --exact'],
  ['Ln-thresholds', 'ipvsadm -Ln --thresholds'],
  ['Ln-persistent-conn', 'ipvsadm -Ln --persistent-conn'],
  ['Ln-tun-info', 'ipvsadm -Ln --tun-info'],
  ['Ln-sort', 'ipvsadm -Ln --sort'],
  ['Ln-one-service', `ipvsadm -Ln -t ${VIP}:80`],
  ['Ln-one-fwmark', 'ipvsadm -Ln -f 1'],
  ['Ln-missing-service', `ipvsadm -Ln -t ${VIP}:9999`],
  ['timeout', 'ipvsadm -Ln --timeout'],
  ['Lnc', 'ipvsadm -Lnc'],
  ['Lnc-persistent-conn', 'ipvsadm -Lnc --persistent-conn'],
  ['Sn', 'ipvsadm -Sn'],
  ['ip-addr', 'ip -j addr'],
  ['ip-route', 'ip -j route'],
  ['ip-6-route', 'ip -j -6 route'],
  ['ip-link', 'ip -j link'],
  ['sysctl-ipv4-conf', "sysctl -a 2>/dev/null | grep '^net\\.ipv4\\.conf\\.'"],
  ['sysctl-ipv4-vs', "sysctl -a 2>/dev/null | grep '^net\\.ipv4\\.vs\\.'"],
  ['keepalived-good', 'keepalived -t -l -n -f /tmp/lvsible-fixtures/good.conf'],
  ['keepalived-bad', 'keepalived -t -l -n -f /tmp/lvsible-fixtures/bad.conf'],
  ['versions', 'uname -r; ipvsadm --version; keepalived --version 2>&1 | head -1; cat /etc/debian_version'],
];

const GOOD_CONF = `global_defs {
    router_id dir1
}

vrrp_instance VI_front {
    state MASTER
    interface eth1
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass fixture
    }
    virtual_ipaddress {
        ${VIP}/24 dev eth1
    }
}

virtual_server ${VIP} 80 {
    delay_loop 5
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server 198.51.100.21 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 3
        }
    }
}
`;

const BAD_CONF = `global_defs {
    router_id dir1
}

vrrp_instance VI_front {
    state MASTR
    interface eth1
    virtual_router_id 300
    priorty 150
    virtual_ipaddress {
        ${VIP}/24 dev eth1
    }
}

virtual_server ${VIP} 80 {
    lb_algo wrrr
    lb_kind DR
    real_server 198.51.100.21 80 {
        weight -5
`;

function pick(state: LabState, name: string): VmState {
  const vm = state.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`the lab has no VM "${name}" (run it with the default topology)`);
  return vm;
}

async function root(state: LabState, vm: VmState, script: string, timeoutMs = 120_000) {
  return sshRun(state, vm, 'sudo -n bash -s', timeoutMs, script);
}

async function main(): Promise<void> {
  const outArg = process.argv.indexOf('--out');
  const out = resolve(outArg > 0 ? process.argv[outArg + 1]! : join(projectRoot(), 'test/fixtures/captured'));
  const state = readState(labPaths().labDir);
  if (!state) throw new Error('no lab is running: run `lvsible lab up` first');
  const dir1 = pick(state, 'dir1');
  const client = pick(state, 'client');
  mkdirSync(out, { recursive: true });
  const index: { file: string; command: string; exit: number; stderr?: string }[] = [];

  const check = (what: string, r: { code: number; stderr: string; stdout: string }) => {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`);
  };
  const capture = async (name: string, command: string) => {
    const r = await root(state, dir1, command);
    writeFileSync(join(out, `${name}.txt`), r.stdout);
    const entry: (typeof index)[number] = { file: `${name}.txt`, command, exit: r.code };
    if (r.stderr) {
      writeFileSync(join(out, `${name}.stderr.txt`), r.stderr);
      entry.stderr = `${name}.stderr.txt`;
    }
    index.push(entry);
    console.log(`${name}: exit ${r.code}, ${r.stdout.split('\n').length - 1} lines`);
  };

  console.log('installing ipvsadm and keepalived on dir1 (through the lab proxy)');
  check('setup', await root(state, dir1, SETUP, 600_000));
  for (const [name, cmd] of EMPTY) await capture(name, cmd);
  check('tables', await root(state, dir1, TABLES));
  check('configs', await root(state, dir1, `mkdir -p /tmp/lvsible-fixtures && cat > /tmp/lvsible-fixtures/good.conf <<'EOF1'\n${GOOD_CONF}EOF1\ncat > /tmp/lvsible-fixtures/bad.conf <<'EOF2'\n${BAD_CONF}EOF2\n`));
  check('traffic', await sshRun(state, client, 'bash -s', 120_000, TRAFFIC));
  for (const [name, cmd] of CAPTURES) await capture(name, cmd);
  writeFileSync(join(out, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  console.log(`captured ${index.length} outputs into ${out}`);
}

main().catch((e: unknown) => {
  console.error(`capture-fixtures: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
