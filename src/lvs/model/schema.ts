import { ipvsSysctlsSchema } from './director-sysctls.js';

/**
 * JSON Schema of cluster.yml. Every property carries a `description`: the schema is also the operator's
 * reference (published for editors), so the words matter as much as the types.
 */

/** What keepalived and ipvsadm store these numbers in: a larger one is not a setting, it is a typo. */
const UINT32 = 4294967295;
const port = { type: 'integer', minimum: 0, maximum: 65535 };
const seconds = { type: 'integer', minimum: 0, maximum: 2678400 };
const hostName = { type: 'string', minLength: 1 };
// Values that end up as keepalived.conf words: no blanks, quotes, braces or comment characters.
const word = { type: 'string', pattern: '^[A-Za-z0-9_.:@/-]+$' };
const dev = { ...word, pattern: '^[A-Za-z0-9_.:@-]{1,15}$' };

const checkCommon = {
  connect_port: { ...port, description: 'Port the check connects to (default: the realserver port; set it for fwmark services).' },
  connect_ip: { ...word, description: 'Address the check connects to (default: the realserver address, not the VIP).' },
  connect_timeout: { type: 'integer', minimum: 1, maximum: UINT32, description: 'Seconds before a connection attempt counts as failed.' },
  retry: { type: 'integer', minimum: 0, maximum: UINT32, description: 'Failed attempts before the realserver is taken out.' },
  delay_before_retry: { type: 'integer', minimum: 0, maximum: UINT32, description: 'Seconds between retries.' },
};

// One object schema for every check kind (which fields go with which kind is checked in build.ts): a
// oneOf per kind would answer one mistake with an error from every other branch.
export const healthCheckSchema = {
  description: 'keepalived health check of a realserver; `false` disables checking (the realserver is always in).',
  type: ['object', 'boolean'],
  if: { type: 'boolean' },
  then: { const: false, description: 'No health check.' },
  else: {
    additionalProperties: false,
    required: ['type'],
    properties: {
      type: {
        enum: ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK'],
        description: 'TCP_CHECK: the port accepts connections; HTTP_GET/SSL_GET: the URL answers the expected status; MISC_CHECK: a script exits 0.',
      },
      ...checkCommon,
      path: { type: 'string', pattern: '^/[^\\s"{}#!]*$', description: 'HTTP_GET/SSL_GET: URL path to request (default /).' },
      status_code: { type: 'integer', minimum: 100, maximum: 599, description: 'HTTP_GET/SSL_GET: expected HTTP status (default 200).' },
      virtualhost: { ...word, description: 'HTTP_GET/SSL_GET: Host header to send.' },
      misc_path: { type: 'string', pattern: '^[^"\\n{}#!]+$', description: 'MISC_CHECK: command line run on the director.' },
      misc_timeout: { type: 'integer', minimum: 1, maximum: UINT32, description: 'MISC_CHECK: seconds before the script counts as failed.' },
      misc_dynamic: { type: 'boolean', description: 'MISC_CHECK: exit codes 2..255 set the weight to code-2.' },
    },
  },
};

const realserverSchema = {
  type: 'object',
  description: 'One realserver of the service: an inventory host (`host`) or an unmanaged address (`address`).',
  additionalProperties: false,
  required: ['method'],
  properties: {
    host: { ...hostName, description: 'Inventory host name; its address comes from its `lvs_interfaces`.' },
    address: { type: 'string', description: 'RIP to forward to; required for hosts lvsible does not manage, optional otherwise.' },
    method: { enum: ['nat', 'dr', 'tun'], description: 'Forwarding method: nat (masquerading), dr (direct routing), tun (IPIP).' },
    port: { ...port, description: 'Realserver port. Only NAT may differ from the virtual port (default: the virtual port).' },
    weight: { type: 'integer', minimum: 0, maximum: 65535, description: 'Scheduling weight; 0 = quiescent (default 1).' },
    u_threshold: { type: 'integer', minimum: 0, maximum: UINT32, description: 'Upper connection threshold (0 = none).' },
    l_threshold: { type: 'integer', minimum: 0, maximum: UINT32, description: 'Lower connection threshold (0 = none).' },
    health_check: healthCheckSchema,
  },
};

const virtualServiceSchema = {
  type: 'object',
  description: 'One IPVS virtual service and its realservers.',
  additionalProperties: false,
  required: ['realservers'],
  properties: {
    name: { type: 'string', description: 'Label used in plans and reports (default: protocol-vip-port).' },
    protocol: { enum: ['tcp', 'udp', 'fwmark'], description: 'tcp (default), udp, or fwmark (packets marked by the firewall).' },
    vip: { type: 'string', description: 'Virtual IP (IPv4 or IPv6) clients connect to. Required for tcp/udp.' },
    port: { ...port, description: 'Virtual port; 0 only with persistence (all ports).' },
    fwmark: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Firewall mark, for protocol fwmark.' },
    family: { enum: ['ipv4', 'ipv6'], description: 'Address family of a fwmark service (default ipv4, or that of `vip`).' },
    scheduler: {
      enum: ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'],
      description: 'Scheduling algorithm (default wlc). twos needs keepalived or a kernel that has ip_vs_twos.',
    },
    scheduler_flags: {
      type: 'array',
      description: 'sh-fallback/sh-port with sh, mh-fallback/mh-port with mh, flag-1..3 otherwise.',
      items: { enum: ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3'], description: 'A scheduler flag.' },
    },
    persistence: {
      description: 'Client affinity: seconds, or {timeout, netmask}. Absent = not persistent.',
      anyOf: [
        { ...seconds, minimum: 1, description: 'Persistence timeout in seconds.' },
        {
          type: 'object',
          additionalProperties: false,
          description: 'Persistence timeout and client grouping.',
          properties: {
            timeout: { ...seconds, minimum: 1, description: 'Seconds (default 360, as ipvsadm).' },
            netmask: {
              type: ['string', 'integer'],
              description: 'Clients grouped by this mask: IPv4 dotted (255.255.255.0) or prefix length.',
            },
          },
        },
      ],
    },
    ops: { type: 'boolean', description: 'One-packet scheduling (UDP and fwmark only).' },
    delay_loop: { type: 'integer', minimum: 1, maximum: UINT32, description: 'keepalived checker interval in seconds (default 6).' },
    health_check: healthCheckSchema,
    sorry_server: {
      type: 'object',
      additionalProperties: false,
      required: ['address'],
      description: 'Where keepalived sends clients when every realserver is down.',
      properties: {
        address: { type: 'string', description: 'Sorry server address.' },
        port: { ...port, description: 'Sorry server port (default: the virtual port).' },
        method: { enum: ['nat', 'dr', 'tun'], description: 'How keepalived forwards to it (default: nat when the port differs, else dr).' },
      },
    },
    realservers: { type: 'array', minItems: 1, items: realserverSchema, description: 'The realservers (methods may be mixed).' },
  },
};

const vipEntry = {
  description: '`ADDR/PREFIX` (on the instance interface) or {address, dev}.',
  anyOf: [
    { type: 'string', minLength: 1, description: 'Address with optional /prefix.' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['address'],
      description: 'Address on a given device.',
      properties: {
        address: { type: 'string', description: 'Address with optional /prefix.' },
        dev: { ...dev, description: 'Device (default: the instance interface).' },
      },
    },
  ],
};

const vrrpSchema = {
  type: 'object',
  description: 'A keepalived vrrp_instance shared by the directors.',
  additionalProperties: false,
  required: ['name', 'interface', 'virtual_router_id', 'priority', 'virtual_ipaddress'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'Instance name (VI_1).' },
    interface: { ...dev, description: 'Interface VRRP adverts go out on.' },
    virtual_router_id: { type: 'integer', minimum: 1, maximum: 255, description: 'VRID, unique per LAN.' },
    advert_int: { type: 'integer', minimum: 1, maximum: 255, description: 'Seconds between adverts (default 1).' },
    priority: {
      type: 'object',
      description: 'Priority of each director taking part: {dir1: 150, dir2: 100}.',
      additionalProperties: { type: 'integer', minimum: 1, maximum: 255, description: 'VRRP priority.' },
      minProperties: 1,
    },
    state: {
      type: 'object',
      description: 'Initial state per director (default BACKUP; the priority then elects the master).',
      additionalProperties: { enum: ['MASTER', 'BACKUP'], description: 'Initial state.' },
    },
    nopreempt: { type: 'boolean', description: 'A recovered higher-priority director does not take over (needs state BACKUP everywhere).' },
    authentication: {
      type: 'object',
      additionalProperties: false,
      required: ['pass'],
      description: 'VRRPv2 authentication.',
      properties: {
        type: { enum: ['PASS', 'AH'], description: 'PASS (default) or AH.' },
        pass: { type: 'string', pattern: '^[^\\s"{}#!]+$', description: 'Shared secret; keepalived uses only 8 characters.' },
      },
    },
    unicast: { type: 'boolean', description: 'Unicast adverts between the directors (addresses on `interface`) instead of multicast.' },
    virtual_ipaddress: { type: 'array', minItems: 1, items: vipEntry, description: 'Addresses that follow the master: VIPs and NAT floating DIPs.' },
  },
};

export const clusterSchema = {
  type: 'object',
  description: 'cluster.yml: the LVS cluster, beside the inventory.',
  additionalProperties: false,
  required: ['lvs'],
  properties: {
    lvs: {
      type: 'object',
      description: 'The LVS cluster.',
      additionalProperties: false,
      required: ['directors', 'virtual_services'],
      properties: {
        manager: { enum: ['keepalived', 'ipvsadm'], description: 'Who programs IPVS on the directors (default: keepalived when vrrp_instances exist, else ipvsadm).' },
        directors: { type: 'array', minItems: 1, items: { ...hostName, description: 'Director host.' }, description: 'Inventory hosts acting as directors.' },
        manage_ip_forward: { type: 'boolean', description: 'Set net.ipv4.ip_forward=1 on the directors when a NAT realserver exists (default true).' },
        virtual_services: { type: 'array', minItems: 1, items: virtualServiceSchema, description: 'The virtual services.' },
        vrrp_instances: { type: 'array', items: vrrpSchema, description: 'keepalived VRRP instances (floating VIPs and DIPs).' },
        static_vips: {
          type: 'array',
          description: 'VIPs put on a director without keepalived (derived automatically with a single director).',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['address', 'host'],
            description: 'A static VIP.',
            properties: {
              address: { type: 'string', description: 'Address with optional /prefix (default /32, /128).' },
              dev: { ...dev, description: 'Device (default: the director interface on the VIP\'s LAN).' },
              host: { ...hostName, description: 'Director carrying it.' },
            },
          },
        },
        sync_daemon: {
          type: 'object',
          additionalProperties: false,
          required: ['interface'],
          description: 'IPVS connection sync between directors (keepalived lvs_sync_daemon).',
          properties: {
            interface: { ...dev, description: 'Interface the sync multicast uses.' },
            instance: { ...word, description: 'VRRP instance whose state decides master/backup.' },
            id: { type: 'integer', minimum: 0, maximum: 255, description: 'Sync id (default: the instance VRID).' },
          },
        },
        ipvs_sysctls: ipvsSysctlsSchema,
        timeouts: {
          type: 'object',
          additionalProperties: false,
          description: 'IPVS connection timeouts (ipvsadm --set / lvs_timeouts); 0 keeps the kernel value.',
          properties: {
            tcp: { ...seconds, description: 'Established TCP (kernel default 900).' },
            tcpfin: { ...seconds, description: 'TCP after FIN (kernel default 120).' },
            udp: { ...seconds, description: 'UDP (kernel default 300).' },
          },
        },
      },
    },
  },
};
