import { loadYaml, issueAt, type SourceDoc } from '../config/source.js';
import { validate } from '../config/validate.js';
import { ConfigError, type ConfigIssue } from '../errors.js';

/** A LAN NIC of a VM: which lab LAN it is plugged into and its address there (prefix from the LAN). */
export interface TopologyNic {
  dev: string;
  lan: string;
  address: string;
  prefix: number;
}

export interface TopologyVm {
  name: string;
  groups: string[];
  nics: TopologyNic[];
  gateway?: string;
  /** Runs the HTTP responder on :80 that answers the VM's hostname. */
  http: boolean;
  memoryMb: number;
}

export interface Topology {
  name: string;
  file: string;
  lans: { name: string; cidr: string }[];
  vms: TopologyVm[];
}

const IPV4 = '^(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}$';
const CIDR = '^(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}/([0-9]|[12][0-9]|3[0-2])$';

export const topologySchema = {
  type: 'object',
  required: ['lans', 'vms'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: 'Name of the topology, shown by `lab status`.' },
    lans: {
      type: 'object',
      description: 'The lab LANs: name -> { cidr }. Each is a broadcast segment shared by the VMs plugged into it.',
      additionalProperties: {
        type: 'object',
        required: ['cidr'],
        additionalProperties: false,
        properties: { cidr: { type: 'string', pattern: CIDR } },
      },
    },
    vms: {
      type: 'object',
      minProperties: 1,
      description: 'The VMs: hostname -> groups, LAN NICs (eth1, eth2, ...), optional gateway and HTTP responder.',
      propertyNames: { pattern: '^[a-z][a-z0-9-]{0,30}$' },
      additionalProperties: {
        type: 'object',
        required: ['nics'],
        additionalProperties: false,
        properties: {
          groups: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
          http: { type: 'boolean', description: 'Run an HTTP responder on :80 answering the hostname.' },
          gateway: { type: 'string', pattern: IPV4, description: 'Default route through a LAN address.' },
          memory: { type: 'integer', minimum: 192, maximum: 4096, description: 'RAM in MiB (default 320).' },
          nics: {
            type: 'object',
            propertyNames: { pattern: '^eth([1-9])$' },
            additionalProperties: {
              type: 'object',
              required: ['lan', 'address'],
              additionalProperties: false,
              properties: { lan: { type: 'string' }, address: { type: 'string', pattern: IPV4 } },
            },
          },
        },
      },
    },
  },
} as const;

interface RawVm {
  groups?: string[];
  http?: boolean;
  gateway?: string;
  memory?: number;
  nics: Record<string, { lan: string; address: string }>;
}
interface RawTopology {
  name?: string;
  lans: Record<string, { cidr: string }>;
  vms: Record<string, RawVm>;
}

const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

export function inCidr(ip: string, cidr: string): boolean {
  const [net = '', bits = '32'] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(net) & mask) >>> 0);
}

/** Load and check a topology file: schema first, then the cross-references a schema cannot express. */
export function loadTopology(file: string): Topology {
  const doc = loadYaml(file);
  const issues = validate(topologySchema, doc.data, doc);
  if (issues.length) throw new ConfigError(issues);
  return checkTopology(doc.data as RawTopology, doc);
}

function checkTopology(raw: RawTopology, doc: SourceDoc): Topology {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, string>();
  const vms: TopologyVm[] = Object.entries(raw.vms).map(([name, vm]) => {
    const devs = Object.keys(vm.nics).sort();
    // qemu numbers NICs in order: eth1..ethN must have no gaps or the names would shift in the guest.
    devs.forEach((dev, i) => {
      if (dev !== `eth${i + 1}`) issues.push(issueAt(doc, ['vms', name, 'nics', dev], `NICs must be eth1, eth2, ... without gaps (found ${dev})`));
    });
    const nics = devs.map((dev) => {
      const nic = vm.nics[dev]!;
      const lan = raw.lans[nic.lan];
      const path = ['vms', name, 'nics', dev];
      if (!lan) {
        issues.push(issueAt(doc, [...path, 'lan'], `unknown LAN "${nic.lan}" (known: ${Object.keys(raw.lans).join(', ')})`));
        return { dev, lan: nic.lan, address: nic.address, prefix: 24 };
      }
      if (!inCidr(nic.address, lan.cidr)) issues.push(issueAt(doc, [...path, 'address'], `${nic.address} is not inside LAN ${nic.lan} (${lan.cidr})`));
      const other = seen.get(nic.address);
      if (other) issues.push(issueAt(doc, [...path, 'address'], `${nic.address} is already used by ${other}`));
      seen.set(nic.address, `${name} ${dev}`);
      return { dev, lan: nic.lan, address: nic.address, prefix: Number(lan.cidr.split('/')[1]) };
    });
    if (vm.gateway && !nics.some((n) => inCidr(vm.gateway!, `${n.address}/${n.prefix}`))) {
      issues.push(issueAt(doc, ['vms', name, 'gateway'], `gateway ${vm.gateway} is on none of ${name}'s LANs`));
    }
    return {
      name,
      groups: vm.groups ?? [],
      nics,
      ...(vm.gateway ? { gateway: vm.gateway } : {}),
      http: vm.http ?? false,
      memoryMb: vm.memory ?? 320,
    };
  });
  if (issues.length) throw new ConfigError(issues);
  return {
    name: raw.name ?? 'lab',
    file: doc.file,
    lans: Object.entries(raw.lans).map(([name, l]) => ({ name, cidr: l.cidr })),
    vms,
  };
}
