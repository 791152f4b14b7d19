/**
 * JSON Schemas of the inventory (YAML form; INI is checked against the same schema after parsing) and of
 * group_vars/host_vars files. Descriptions double as documentation (`lvsible schema`).
 */

import { connectionWord } from '../grammar/names.js';

/** An address or login name: one word, no blanks or control characters, not an option (`-oProxyCommand=...`). */
const ONE_WORD = '^[^-\\s\\x00-\\x1f\\x7f][^\\s\\x00-\\x1f\\x7f]*$';

const boolish = {
  enum: [true, false, 'yes', 'no', 'true', 'false', 'True', 'False', 'on', 'off', 1, 0],
};

/** Connection variables lvsible understands; any other variable is free-form. */
export const connectionVarsSchema = {
  ansible_host: { type: 'string', pattern: ONE_WORD, description: 'Address to connect to (default: the inventory name).' },
  ansible_port: {
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    description: 'SSH port (default 22).',
  },
  ansible_user: { type: 'string', pattern: ONE_WORD, description: 'SSH login user (default: the local user).' },
  ansible_ssh_private_key_file: { type: 'string', minLength: 1, description: 'Path of the private key to log in with.' },
  ansible_password: { type: ['string', 'number'], description: 'SSH password. Secret: never printed.' },
  ansible_ssh_pass: { type: ['string', 'number'], description: 'Old name of ansible_password. Secret.' },
  ansible_become: { ...boolish, description: 'Run tasks through sudo.' },
  ansible_become_user: { type: 'string', minLength: 1, description: 'User to become (default root).' },
  ansible_become_password: { type: ['string', 'number'], description: 'sudo password. Secret: never printed.' },
  ansible_become_pass: { type: ['string', 'number'], description: 'Old name of ansible_become_password. Secret.' },
  ansible_ssh_common_args: { type: 'string', description: 'Extra ssh arguments; `-o StrictHostKeyChecking=` and `-o UserKnownHostsFile=` are honoured.' },
  ansible_ssh_extra_args: { type: 'string', description: 'More ssh arguments, read like ansible_ssh_common_args.' },
  ansible_host_key_checking: { ...boolish, description: 'false turns host key checking off.' },
  ansible_connection: { enum: ['ssh', 'local', 'paramiko', 'smart'], description: 'How to reach the host: ssh, or local (run on this machine).' },
  ansible_ssh_host: { type: 'string', pattern: ONE_WORD, description: 'Old name of ansible_host.' },
  ansible_ssh_port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Old name of ansible_port.' },
  ansible_ssh_user: { type: 'string', pattern: ONE_WORD, description: 'Old name of ansible_user.' },
  ansible_ssh_password: { type: ['string', 'number'], description: 'Another name of ansible_password. Secret.' },
  ansible_private_key_file: { type: 'string', minLength: 1, description: 'Another name of ansible_ssh_private_key_file.' },
  ansible_sudo_pass: { type: ['string', 'number'], description: 'Old name of ansible_become_password. Secret.' },
  ansible_group_priority: {
    type: 'integer',
    description: 'Among groups of the same depth, a higher priority group\'s vars win (default 1).',
  },
  lvsible_known_hosts_file: { type: 'string', minLength: 1, description: 'known_hosts file to check host keys against.' },
  lvsible_host_key_checking: {
    enum: ['strict', 'accept-new', 'off'],
    description: 'strict: the key must be known; accept-new: learn unknown keys, refuse changed ones; off: do not check.',
  },
} as const;

export const varsSchema = {
  type: ['object', 'null'],
  description: 'Variables: name: value.',
  properties: connectionVarsSchema,
  additionalProperties: true,
} as const;

export const inventorySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://lvsible.dev/schemas/inventory.schema.json',
  title: 'lvsible inventory (Ansible YAML inventory)',
  description: 'Top-level keys are groups, usually just `all`.',
  type: ['object', 'null'],
  additionalProperties: { $ref: '#/definitions/group' },
  definitions: {
    group: {
      type: ['object', 'null'],
      description: 'A group: its hosts, its variables and its child groups.',
      properties: {
        hosts: {
          type: ['object', 'null'],
          description: 'Hosts of this group, as a mapping `name: {vars}`. Names may hold ranges (web[01:03]) and :port.',
          additionalProperties: { $ref: '#/definitions/vars' },
        },
        vars: { $ref: '#/definitions/vars' },
        children: {
          type: ['object', 'null'],
          description: 'Child groups, as a mapping `name: {hosts, vars, children}`.',
          additionalProperties: { $ref: '#/definitions/group' },
        },
      },
      additionalProperties: false,
    },
    vars: varsSchema,
  },
} as const;

/** Schema of one group_vars/host_vars file. */
export const varsFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://lvsible.dev/schemas/vars.schema.json',
  title: 'lvsible group_vars / host_vars file',
  ...varsSchema,
} as const;

const KIND = (v: unknown, secret: boolean): string =>
  Array.isArray(v)
    ? 'a list'
    : v === null
      ? 'empty'
      : typeof v === 'object'
        ? 'a mapping'
        : secret
          ? `a ${typeof v}`
          : `a ${typeof v} (${JSON.stringify(v)})`;

/**
 * Ajv says "must be object,null"; operators write YAML. Reword type errors about mappings, naming what was
 * found instead, e.g. "must be a mapping (name: value), not a list".
 */
export function rewordTypeMessage(message: string, found: unknown, secret = false): string {
  if (message.startsWith(`does not look right (expected to match ${JSON.stringify(ONE_WORD)})`) && typeof found === 'string') {
    return `${secret ? 'the value' : JSON.stringify(found)} ${connectionWord(found) ?? 'is not one word'}`;
  }
  // The generic wording (src/config/validate.ts) names types; here the inventory's own, secret-aware one.
  if (/^must be a mapping( or empty)?, not /.test(message)) return `must be a mapping (name: value), not ${KIND(found, secret)}`;
  if (/^must be a string or a number, not /.test(message)) return `must be a string, not ${KIND(found, secret)}`;
  if (/^must be a whole number, not /.test(message) && typeof found === 'string') {
    if (!secret && /^[0-9]+$/.test(found)) return `must be a number, not the string "${found}" (drop the quotes)`;
    return `must be a whole number, not ${KIND(found, secret)}`;
  }
  return message;
}
