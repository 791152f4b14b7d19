import { quote } from '../transport/quote.js';
import { GUEST_PROXY } from './proxy.js';
import type { TopologyVm } from './topology.js';

/**
 * What goes inside the VMs. Everything here is plain text: the base image's files (one image serves
 * every VM) and the per-VM setup script carried by each VM's seed disk.
 */

export const SUITE = 'bookworm';
export const MIRROR = 'http://deb.debian.org/debian';
export const LOGIN_USER = 'lvsible';
/** Management address of every VM on qemu's user network; the host's proxy is on-link at 10.0.2.100. */
export const MGMT_ADDRESS = '10.0.2.15/24';

export const PACKAGES = [
  'linux-image-amd64',
  'openssh-server',
  'systemd-sysv',
  'iproute2',
  'kmod',
  'sudo',
  'busybox',
  'socat',
  'procps',
  'netbase',
  'iputils-ping',
  // The traffic harness's load generator on the client: many requests in one process, paced by --rate.
  'curl',
];

export interface GuestFile {
  path: string;
  content: string;
  mode: number;
}

const SEED_UNIT = `[Unit]
Description=lvsible lab: this VM's identity from its seed disk
DefaultDependencies=no
After=local-fs.target systemd-remount-fs.service
Before=ssh.service lvsible-http.service network-pre.target multi-user.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lvsible-seed
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;

// The seed disk is the second virtio disk. Waiting is bounded: 10 s, then the boot goes on without it
// (and the console log says why SSH never answers).
const SEED_SCRIPT = `#!/bin/sh
set -eu
dir=/run/lvsible/seed
mkdir -p "$dir"
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mount -o ro /dev/vdb "$dir"
sh "$dir/setup.sh"
umount "$dir"
echo "lvsible-seed: identity applied"
`;

const HTTP_UNIT = `[Unit]
Description=lvsible lab: HTTP responder answering this VM's hostname
ConditionPathExists=/run/lvsible/http
After=lvsible-seed.service

[Service]
ExecStart=/usr/bin/socat TCP-LISTEN:80,fork,reuseaddr EXEC:/usr/local/sbin/lvsible-http-answer
Restart=on-failure

[Install]
WantedBy=multi-user.target
`;

// One request per connection: read the request line and headers (bounded), answer 200 with the hostname
// whatever the path, so a test or a health check can tell realservers apart. `GET /slow/N` is a long-lived
// download instead: N lines of fixed width, one every 0.1 s, with a Content-Length, so a client knows
// (curl exit 18) when an established connection was cut during a change.
// Only bash builtins run per request (no tr, hostname or sleep processes): under TCG on a loaded host each
// fork+exec costs tens of ms, and the five of them per request made a realserver answer in 1-2 s, so the
// traffic harness's baseline queued up at 2 requests/s per realserver. The 0.1 s waits are `read -t` on a
// pipe nobody writes to.
const HTTP_ANSWER = `#!/bin/bash
read -t 5 request || exit 0
while read -t 5 line; do
  line=\${line%$'\\r'}
  [ -z "$line" ] && break
done
host=$HOSTNAME
path=\${request#* }; path=\${path%% *}
if [[ $path =~ ^/slow/([0-9]{1,4})$ ]]; then
  n=\${BASH_REMATCH[1]}
  printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' "$(( n * (\${#host} + 7) ))"
  exec {z}<> <(:)
  for ((i = 1; i <= n; i++)); do printf '%s %05d\\n' "$host" "$i"; read -t 0.1 -u "$z"; done
  exit 0
fi
body="$host"
printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s\\n' "$((\${#body} + 1))" "$body"
`;

/** Files written into the base image before it is frozen. */
export function baseImageFiles(): GuestFile[] {
  const f = (path: string, content: string, mode = 0o644): GuestFile => ({ path, content, mode });
  return [
    f('/etc/apt/sources.list', `deb ${MIRROR} ${SUITE} main\ndeb ${MIRROR} ${SUITE}-updates main\ndeb http://deb.debian.org/debian-security ${SUITE}-security main\n`),
    // The VMs have no route out: apt reaches Debian only through the host's caching proxy.
    f('/etc/apt/apt.conf.d/01lvsible-proxy', `Acquire::http::Proxy "http://${GUEST_PROXY.host}:${GUEST_PROXY.port}";\nAcquire::Languages "none";\n`),
    f('/etc/fstab', '/dev/vda / ext4 rw,errors=remount-ro 0 1\n'),
    f('/etc/hostname', 'lab\n'),
    f('/etc/resolv.conf', '# the lab has no DNS: nothing outside is reachable\n'),
    f(`/etc/sudoers.d/${LOGIN_USER}`, `${LOGIN_USER} ALL=(ALL) NOPASSWD:ALL\n`, 0o440),
    f('/etc/ssh/sshd_config.d/lvsible.conf', 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\nUseDNS no\nHostKey /etc/ssh/ssh_host_ed25519_key\n'),
    f('/etc/systemd/system/lvsible-seed.service', SEED_UNIT),
    f('/usr/local/sbin/lvsible-seed', SEED_SCRIPT, 0o755),
    f('/etc/systemd/system/lvsible-http.service', HTTP_UNIT),
    f('/usr/local/sbin/lvsible-http-answer', HTTP_ANSWER, 0o755),
    // A small initrd with just what finds the root disk: it boots faster under emulation.
    f('/etc/initramfs-tools/conf.d/lvsible.conf', 'MODULES=list\nCOMPRESS=gzip\n'),
    // virtio_net from the initrd: the NICs exist before systemd starts, so the seed unit never waits for udev.
    f('/etc/initramfs-tools/modules', 'virtio_pci\nvirtio_blk\nvirtio_net\next4\n'),
    // Emulated hardware nobody in the lab uses: under TCG every module load costs boot time.
    f('/etc/modprobe.d/lvsible-lab.conf', ['floppy', 'pcspkr', 'kvm', 'kvm_amd', 'kvm_intel', 'i2c_piix4', 'joydev', 'serio_raw', 'evdev', 'button', 'sg'].map((m) => `blacklist ${m}\n`).join('')),
  ];
}

/** Run inside the chroot once the files are in place. */
export const CHROOT_SCRIPT = `set -eu
export DEBIAN_FRONTEND=noninteractive
useradd -m -s /bin/bash ${LOGIN_USER}
passwd -l root
systemctl enable lvsible-seed.service lvsible-http.service
systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer getty@tty1.service getty-static.service
update-initramfs -u -k all
# One base image serves every VM: host keys come from each VM's seed disk instead.
rm -f /etc/ssh/ssh_host_*
apt-get clean
rm -rf /var/log/*.log /var/log/apt/* /etc/machine-id /var/lib/dbus/machine-id
: > /etc/machine-id
`;

/** The kernel command line: classic NIC names (eth0 = management) and the console on the serial port. */
export const KERNEL_CMDLINE = 'root=/dev/vda rw console=ttyS0 net.ifnames=0 panic=-1 mitigations=off';

/** The per-VM setup script on the seed disk: identity and LAN addresses, applied at every boot. */
export function setupScript(vm: TopologyVm): string {
  const q = quote;
  const lines = [
    'set -eu',
    'S=/run/lvsible/seed',
    `echo ${q(vm.name)} > /etc/hostname`,
    `hostname ${q(vm.name)}`,
    `printf '127.0.0.1 localhost\\n127.0.1.1 %s\\n' ${q(vm.name)} > /etc/hosts`,
    'install -m 600 "$S/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key',
    'install -m 644 "$S/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub',
    `install -d -m 700 -o ${LOGIN_USER} -g ${LOGIN_USER} /home/${LOGIN_USER}/.ssh`,
    `install -m 600 -o ${LOGIN_USER} -g ${LOGIN_USER} "$S/authorized_keys" /home/${LOGIN_USER}/.ssh/authorized_keys`,
    // The unit runs early, while udev may still be loading virtio_net: wait (bounded) for every NIC.
    `for d in ${['eth0', ...vm.nics.map((n) => n.dev)].join(' ')}; do i=0; while [ ! -e /sys/class/net/$d ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; done`,
    'ip link set lo up',
    // No default route on the management NIC: the only thing reachable there is the proxy, on-link.
    `ip addr replace ${MGMT_ADDRESS} dev eth0`,
    'ip link set eth0 up',
  ];
  for (const nic of vm.nics) {
    lines.push(`ip addr replace ${q(`${nic.address}/${nic.prefix}`)} dev ${q(nic.dev)}`, `ip link set ${q(nic.dev)} up`);
  }
  if (vm.gateway) lines.push(`ip route replace default via ${q(vm.gateway)}`);
  if (vm.http) {
    lines.push('mkdir -p /run/lvsible', 'touch /run/lvsible/http');
  }
  return lines.join('\n') + '\n';
}
