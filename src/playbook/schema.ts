/** JSON Schemas of playbooks and roles' task files. Published by `lvsible schema` for editors. */

const stringList = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const condition = {
  description: 'A Jinja2 expression without braces (or a list of them, all must hold), as in Ansible.',
  oneOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean'] } }],
};

/** A user name sudo can take (POSIX portable names, as useradd accepts them), or a template giving one. */
const becomeUser = {
  type: 'string',
  pattern: '^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?|[0-9]+|.*\\{\\{.*\\}\\}.*)$',
  description: 'User the task runs as through sudo (with `become`); default root, or the host\'s `ansible_become_user`.',
};

/** Task keywords (the one remaining key of a task is its module). */
export const taskKeywords = {
  name: { type: 'string', description: 'What the task does, shown in progress and the recap.' },
  when: condition,
  loop: { description: 'A list (or an expression giving one); the task runs once per item, as `item`.' },
  with_items: { description: 'Older spelling of `loop`.' },
  loop_control: {
    type: 'object',
    properties: { loop_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Name of the loop variable (default item).' }, label: { type: 'string' } },
    additionalProperties: false,
  },
  register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Variable that receives the result.' },
  notify: { ...stringList, description: 'Handlers to run at the end of the play if this task changed something.' },
  listen: { ...stringList, description: 'Handler only: topics this handler answers to.' },
  tags: { ...stringList, description: 'Tags for --tags/--skip-tags.' },
  become: { type: 'boolean', description: 'Run through sudo.' },
  become_user: becomeUser,
  ignore_errors: { type: 'boolean', description: 'A failure is reported but does not stop the host.' },
  changed_when: condition,
  failed_when: condition,
  no_log: { type: 'boolean', description: 'Never print this task\'s parameters, diffs or output.' },
  vars: { type: 'object', description: 'Variables for this task only.' },
};

export const taskSchema = {
  type: 'object',
  description: 'A task: keywords plus exactly one module (`sysctl: {name: ..., value: ...}`).',
  properties: taskKeywords,
  minProperties: 1,
};

const taskList = { type: 'array', items: taskSchema };

/** A `serial` entry: an integer, or text Python's int() reads, optionally ending in `%` (checked in load.ts, worded). */
const serialEntry = { type: ['integer', 'string'] };

export const playSchema = {
  type: 'object',
  required: ['hosts'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    hosts: { ...stringList, description: 'Host pattern: groups, hosts, `a:b` union, `a:!b` exclusion, `a:&b` intersection.' },
    vars: { type: 'object' },
    vars_files: { type: 'array', items: { type: 'string' }, description: 'YAML files of variables, relative to the playbook.' },
    roles: {
      type: 'array',
      items: {
        oneOf: [
          { type: 'string' },
          {
            type: 'object',
            required: ['role'],
            properties: { role: { type: 'string' }, vars: { type: 'object' }, when: condition, tags: stringList, become: { type: 'boolean' }, become_user: becomeUser, no_log: { type: 'boolean' } },
            additionalProperties: { description: 'Role parameters (become role variables).' },
          },
        ],
      },
    },
    pre_tasks: taskList,
    tasks: taskList,
    post_tasks: taskList,
    handlers: taskList,
    become: { type: 'boolean' },
    become_user: becomeUser,
    gather_facts: { type: 'boolean', description: 'false: the play sees no `ansible_*` facts (lvsible still reads what its modules need).' },
    no_log: { type: 'boolean', description: 'Never print the parameters, diffs or output of any task in this play (a task may say `no_log: false`).' },
    tags: stringList,
    serial: {
      description:
        'Run the play on batches of hosts, one batch after the other (rolling): a number of hosts, a percentage of the play\'s hosts ("30%", rounded down, at least 1), or a list of them (the last one repeats). 0 or an empty list: every host at once.',
      type: ['integer', 'string', 'array', 'null'],
      items: serialEntry,
    },
    max_fail_percentage: {
      description: 'Stop the play, and the run, when more than this percentage of a batch\'s hosts failed (0: any failure); "30%" is 30.',
      type: ['number', 'string'],
      minimum: 0,
      maximum: 100,
    },
    any_errors_fatal: { type: 'boolean', description: 'A failure on any host stops the play, and the run, on every host.' },
  },
};

export const playbookSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://lvsible.dev/schemas/playbook.json',
  title: 'lvsible playbook',
  type: 'array',
  items: playSchema,
};

export const taskFileSchema = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'lvsible task file', type: 'array', items: taskSchema };

/**
 * Parameters of the actions the engine runs itself. Checked like a module's, so `debug: { mesage: x }` or
 * `meta: flush_handlerz` is refused before connecting instead of doing nothing (or failing) on every host.
 */
export const builtinSchemas: Record<string, Record<string, unknown>> = {
  debug: {
    type: 'object',
    additionalProperties: false,
    properties: { msg: {}, var: { type: 'string', minLength: 1 }, verbosity: { type: 'integer', minimum: 0 } },
    not: { required: ['msg', 'var'] },
  },
  set_fact: {
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    properties: { cacheable: { type: 'boolean' } },
  },
  assert: {
    type: 'object',
    additionalProperties: false,
    required: ['that'],
    properties: { that: condition, fail_msg: {}, success_msg: {}, msg: {}, quiet: { type: 'boolean' } },
  },
  fail: { type: 'object', additionalProperties: false, properties: { msg: {} } },
  meta: {
    type: 'object',
    additionalProperties: false,
    required: ['action'],
    properties: { action: { enum: ['flush_handlers', 'noop'], description: 'flush_handlers or noop (the other meta actions are not supported)' } },
  },
};
