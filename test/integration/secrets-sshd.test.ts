import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { quote } from '../../src/transport/quote.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

const HAS_KEEPALIVED = ['/usr/sbin/keepalived', '/usr/bin/keepalived', '/sbin/keepalived'].some((p) => existsSync(p));

/**
 * Secrets never appear in any output of `lvsible`, run as an operator runs it (main() in-process, a real
 * sshd host): plain, --json, -v, --diff, plan, and the one error path. Each secret is used where lvsible
 * quotes, escapes or encodes it (a command line, a file's content, a failing command's stderr, a no_log
 * task's output), and every output is searched for every form of every secret.
 */

const MASK = '********';
const NO_LOG = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

const SECRETS = {
  /** By name (`db_password`), in the inventory; quotes and a dollar, so every escaping differs from it. */
  inventory: `S3CRET'Q "d$b`,
  /** Marked with `!secret` in the play's vars, under a name that says nothing. */
  tagged: 'tagged-val-4711',
  /** Named in `lvsible_secrets` in the inventory. */
  listed: 'postgres://app:listed-pw@db/app',
  /** Only a no_log task knows it: its command and output. */
  nolog: 'nolog-out-9913',
  /** Written literally in a task of a no_log play. */
  playNolog: 'play-nolog-5150',
  /** Printed by a no_log task that fails. */
  nologFail: 'nolog-fail-2202',
  /** A VRRP password (`authentication.pass`), which a failing `keepalived -t` quotes back. */
  vrrp: 'vrrp-S3CRET-pw',
  /** A secret variable that is a template: secret once rendered (`api_token: "{{ cert_source }}"`). */
  templated: 'templated-secret-77',
};

/** Every form of `s` the test knows lvsible could print, derived here independently of the redactor. */
function forms(s: string): string[] {
  const out = new Set([s, quote(s), s.replace(/'/g, `'\\''`), JSON.stringify(s).slice(1, -1), JSON.stringify(quote(s)).slice(1, -1)]);
  out.add(s.replace(/["\\$`]/g, '\\$&'));
  out.add(Buffer.from(s).toString('base64').replace(/=+$/, ''));
  out.add(encodeURIComponent(s));
  for (const l of s.split('\n')) if (l.length > 3) out.add(l);
  return [...out];
}

function assertNoSecret(output: string, what: string): void {
  for (const [name, s] of Object.entries(SECRETS)) {
    // What a command splitter leaves of a value that was not quoted: its quote characters gone.
    const unquoted = new RegExp([...s].map((c) => (`'"`.includes(c) ? `${c}?` : c.replace(/[$]/, '\\$'))).join(''));
    if (unquoted.test(output)) throw new Error(`${what}: secret "${name}" appears without its quotes:\n${output}`);
    for (const f of forms(s)) {
      if (output.includes(f)) throw new Error(`${what}: secret "${name}" appears as ${JSON.stringify(f)}:\n${output}`);
    }
  }
}

/** Run the CLI in this process and capture what it prints. */
async function lvsible(args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const grab = (s: string | Uint8Array) => {
    chunks.push(typeof s === 'string' ? s : Buffer.from(s).toString('utf8'));
    return true;
  };
  const [out, err] = [process.stdout.write, process.stderr.write];
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    const code = await main(['node', 'lvsible', ...args]);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const playbook = (root: string) => `
- name: app
  hosts: web
  vars:
    greeting: !secret ${SECRETS.tagged}
  tasks:
    - name: app config
      copy:
        dest: /app.conf
        content: "db={{ db_password }}\\ngreeting={{ greeting }}\\ndsn={{ dsn }}\\n"
    - name: use the password on a command line
      command: { argv: [printf, "%s", "{{ db_password }}"] }
      register: printed
    - name: show what was printed
      debug: { var: printed.stdout }
      when: not ansible_check_mode
    - name: a failing command that prints the password
      shell: "cat {{ lvsible_root }}/app.conf >&2; exit 3"
      ignore_errors: true
    - shell: echo ${SECRETS.nolog}; echo ${SECRETS.nolog} > ${root}/nolog.txt
      register: hidden
      no_log: true
    - name: show the hidden result
      debug: { var: hidden }
      when: not ansible_check_mode
    - name: a no_log task that fails
      shell: "echo ${SECRETS.nologFail} >&2; exit 4"
      no_log: true
      ignore_errors: true
- name: quiet play
  hosts: web
  no_log: true
  tasks:
    - name: quiet copy
      copy: { dest: /quiet.txt, content: "${SECRETS.playNolog}\\n" }
`;

describe('secrets never appear in any output (real sshd host)', () => {
  let a: SshdHandle;
  let dir: string;
  let root: string;
  let inv: string;
  let pb: string;
  const env = { CI: process.env.CI, NO_COLOR: process.env.NO_COLOR };

  beforeAll(async () => {
    // The plain reporter, as in a CI log (no live view, no colours).
    process.env.CI = '1';
    process.env.NO_COLOR = '1';
    a = await startSshd({ address: '127.0.0.8' });
    dir = mkdtempSync(join(tmpdir(), 'lvsible-secrets-'));
    root = join(dir, 'root');
    inv = join(dir, 'hosts.yml');
    writeFileSync(
      inv,
      `all:
  vars:
    db_password: ${JSON.stringify(SECRETS.inventory)}
    dsn: ${SECRETS.listed}
    lvsible_secrets: [dsn]
    cert_source: ${SECRETS.templated}
    api_token: "{{ cert_source }}"
  children:
    web:
      hosts:
        web1:
          ansible_host: ${a.host}
          ansible_port: ${a.port}
          ansible_user: ${a.user}
          ansible_ssh_private_key_file: ${a.privateKeyPath}
          lvsible_known_hosts_file: ${a.knownHostsPath}
          lvsible_root: ${root}
`,
    );
    pb = join(dir, 'site.yml');
    writeFileSync(pb, playbook(root));
  });
  afterAll(async () => {
    await a?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.env.CI = env.CI;
    process.env.NO_COLOR = env.NO_COLOR;
    if (env.CI === undefined) delete process.env.CI;
    if (env.NO_COLOR === undefined) delete process.env.NO_COLOR;
  });

  const fresh = () => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
  };

  for (const flags of [[], ['--json'], ['-v'], ['--diff'], ['-v', '--diff', '--json']]) {
    it(`apply ${flags.join(' ') || '(plain)'}`, async () => {
      fresh();
      const r = await lvsible(['apply', '-i', inv, pb, ...flags]);
      assertNoSecret(r.out, `apply ${flags.join(' ')}`);
      expect(r.code).toBe(0);
      // The secrets were really used on the host: the masking hid something that was there.
      expect(readFileSync(join(root, 'app.conf'), 'utf8')).toBe(`db=${SECRETS.inventory}\ngreeting=${SECRETS.tagged}\ndsn=${SECRETS.listed}\n`);
      expect(readFileSync(join(root, 'nolog.txt'), 'utf8')).toBe(`${SECRETS.nolog}\n`);
      expect(readFileSync(join(root, 'quiet.txt'), 'utf8')).toBe(`${SECRETS.playNolog}\n`);
      expect(r.out).toContain(MASK);
      if (flags.includes('--json')) {
        const doc = JSON.parse(r.out);
        const tasks = doc.plays.flatMap((p: { tasks: unknown[] }) => p.tasks) as { task: string; noLog?: boolean; message?: string; output?: string; status: string }[];
        // The no_log tasks are there, marked, with Ansible's words instead of their output and failure.
        const hidden = tasks.filter((t) => t.noLog);
        expect(hidden.map((t) => t.task)).toEqual(['shell', 'a no_log task that fails', 'quiet copy']);
        expect(hidden[1]).toMatchObject({ status: 'failed', message: NO_LOG });
        expect(doc.recap.web1).toMatchObject({ failed: 0, ignored: 2 });
      } else {
        expect(r.out).toMatch(/changed: \[web1\] shell\n/);
        expect(r.out).toContain(`failed (ignored): [web1] a no_log task that fails\n  ${NO_LOG}`);
        expect(r.out).toMatch(/changed: \[web1\] quiet copy/);
      }
      if (flags.includes('--diff') && !flags.includes('--json')) expect(r.out).toContain(`+db=${MASK}`);
      if (flags.includes('-v') && !flags.includes('--json')) expect(r.out).toMatch(/\$ printf .*\*{8}/);
    });
  }

  it('plan -v --diff', async () => {
    fresh();
    const r = await lvsible(['plan', '-i', inv, pb, '-v', '--diff']);
    assertNoSecret(r.out, 'plan');
    expect(r.code).toBe(2);
    expect(r.out).toContain('would change: [web1] app config');
    expect(r.out).toContain(`+greeting=${MASK}`);
  });

  it('errors: broken -e JSON, a command that cannot be split, a secret in a schema error', async () => {
    const broken = await lvsible(['plan', '-i', inv, pb, '-e', `{"db_password": "${SECRETS.nolog}`]);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/--extra-vars:1:\d+: YAML syntax/);
    assertNoSecret(broken.out, '-e broken JSON');

    const kv = await lvsible(['plan', '-i', inv, pb, '-e', `api_key=${SECRETS.nologFail} stray`]);
    assertNoSecret(kv.out, '-e broken key=value');
    expect(kv.code).toBe(1);
    expect(kv.out).toContain(`api_key=${MASK} stray`);

    const split = join(dir, 'split.yml');
    // The password's own quote is unbalanced: the splitter refuses the first line (before connecting, since
    // the line is known once rendered for the host) and mangles the second, which then runs.
    writeFileSync(split, `- hosts: web\n  tasks:\n    - command: "echo {{ db_password }}"\n`);
    const s = await lvsible(['apply', '-i', inv, split]);
    expect(s.code).toBe(1);
    expect(s.out).toMatch(/unterminated single quote in "echo \*{8}"/);
    expect(s.out).toMatch(/no host was contacted/);
    assertNoSecret(s.out, 'command splitting, refused before connecting');
    writeFileSync(split, `- hosts: web\n  tasks:\n    - command: "mysql -p{{ db_password }} 'unterminated"\n      ignore_errors: true\n`);
    fresh();
    const m = await lvsible(['apply', '-i', inv, split]);
    expect(m.out).toContain("run: mysql '-p******** unterminated'");
    assertNoSecret(m.out, 'command splitting, mangled');

    // The rendered value of a templated secret, quoted by a load-time check (copy's missing source).
    const src = join(dir, 'src.yml');
    writeFileSync(src, `- hosts: web\n  tasks:\n    - copy: { src: "{{ api_token }}", dest: /x }\n`);
    const c = await lvsible(['plan', '-i', inv, src]);
    expect(c.code).toBe(1);
    expect(c.out).toContain('copy: source "********" not found');
    assertNoSecret(c.out, 'templated secret in a precheck error');

    const schema = join(dir, 'schema.yml');
    writeFileSync(schema, `- hosts: web\n  vars: { api_token: ${SECRETS.listed} }\n  tasks:\n    - sysctl: { name: "{{ api_token }}", value: { x: 1 } }\n`);
    const v = await lvsible(['plan', '-i', inv, schema]);
    expect(v.code).toBe(1);
    assertNoSecret(v.out, 'schema error');
  });

  it.skipIf(!HAS_KEEPALIVED)('a failing keepalived -t quotes the VRRP password back: masked', async () => {
    // keepalived -t quotes the line it cannot read: here, the password.
    const ka = join(dir, 'ka.yml');
    writeFileSync(
      ka,
      `- hosts: web\n  vars:\n    vrrp: { authentication: { type: PASS, pass: ${SECRETS.vrrp} } }\n  tasks:\n` +
        `    - copy:\n        dest: /keepalived.conf\n        content: "global_defs {\\n}\\n{{ vrrp.authentication.pass }}\\n"\n        validate: keepalived -t -f %s\n`,
    );
    for (const flags of [[], ['--json', '-v']]) {
      const k = await lvsible(['apply', '-i', inv, ka, ...flags]);
      expect(k.code).toBe(1);
      expect(k.out).toContain("Unknown keyword '********'");
      assertNoSecret(k.out, 'keepalived -t');
    }
  });
});
