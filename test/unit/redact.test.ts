import { describe, expect, it } from 'vitest';
import { isSecretName, SecretStore, withSecrets } from '../../src/config/secrets.js';
import { parseYaml } from '../../src/config/source.js';
import { RemoteCommandError } from '../../src/errors.js';
import { MASK, maskAssignments, Redactor } from '../../src/engine/redact.js';
import { quote, sh, splitWords } from '../../src/transport/quote.js';

/**
 * The forms table: every way lvsible itself may print a secret, each produced by the real producer (quote(),
 * sh``, the command splitter's error, JSON, base64 of a file's content, ...), must come out masked.
 */

const SECRETS = ["S3CRET'Q", 'p@ss w0rd$"\\`x', 'hunter2hunter2', 'ключ-секрет/+?&='];
const MULTI = '-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\nc2Vjb25kIGxpbmUgb2YgdGhlIGtleQ==\n-----END KEY-----';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a throw');
};

/** How lvsible may produce text that holds `s`. */
const PRODUCERS: [string, (s: string) => string][] = [
  ['as is, inside a longer line', (s) => `connecting with ${s} now`],
  ['quote()', (s) => `mysql -p${quote(s)}`],
  ["quote()'s inner '\\'' form", (s) => `echo 'x${s.replace(/'/g, `'\\''`)}y'`],
  ['sh`` tag', (s) => sh`printf %s ${s} > /etc/app.conf`],
  ['JSON-escaped', (s) => `{"cmd": ${JSON.stringify(`run ${s}`)}}`],
  ['JSON inside JSON', (s) => JSON.stringify({ message: JSON.stringify({ v: s }) })],
  ['splitter error (JSON of the line)', (s) => errorOf(() => splitWords(`mysql -p${quote(s)} 'unterminated`))],
  ['backslash-escaped in double quotes', (s) => `sh -c "echo ${s.replace(/["\\$`]/g, '\\$&')}"`],
  ['backslash-escaped word (printf %q)', (s) => `echo ${s.replace(/[^\w.,:/@%+=-]/g, '\\$&')}`],
  ['base64 of the value', (s) => `echo ${b64(s)} | base64 -d`],
  ['base64 of a content holding it (offset 0)', (s) => b64(`${s}\nport=1\n`)],
  ['base64 of a content holding it (offset 1)', (s) => b64(`x${s}\n`)],
  ['base64 of a content holding it (offset 2)', (s) => b64(`pw${s}\n`)],
  ['base64 of a content holding it (offset 3)', (s) => b64(`pw=${s}\n`)],
  ['base64url of a content holding it', (s) => Buffer.from(`pw=${s}\n`).toString('base64url')],
  ['URL-encoded', (s) => `https://db.example/?password=${encodeURIComponent(s)}&x=1`],
  ['URL-encoded, spaces as +', (s) => `a=${encodeURIComponent(s).replace(/%20/g, '+')}`],
  ['RemoteCommandError stderr', (s) => new RemoteCommandError('web1', 'run', 1, `error: bad password ${s}\n`).message],
];

/**
 * Does any piece of base64 left in `masked` (between masks, at any of the four alignments) decode to four
 * consecutive bytes of the secret? Independent of how the redactor derives its forms.
 */
function base64Leak(secret: string, masked: string): boolean {
  const bytes = Buffer.from(secret);
  const windows = Array.from({ length: Math.max(0, bytes.length - 3) }, (_, i) => bytes.subarray(i, i + 4));
  for (const seg of masked.split(MASK)) {
    for (const piece of seg.split(/[^A-Za-z0-9+/=_-]+/)) {
      for (let j = 0; j < 4; j++) {
        const decoded = Buffer.from(piece.slice(j).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
        if (windows.some((w) => decoded.includes(w))) return true;
      }
    }
  }
  return false;
}

describe('Redactor forms table', () => {
  for (const secret of SECRETS) {
    for (const [form, produce] of PRODUCERS) {
      it(`${form}: ${JSON.stringify(secret)}`, () => {
        withSecrets(() => {
          const r = new Redactor();
          const clean = produce('nothing-to-hide');
          r.add(secret);
          const produced = produce(secret);
          const masked = r.text(produced);
          expect(masked).not.toContain(secret);
          expect(masked).toContain(MASK);
          expect(base64Leak(secret, masked)).toBe(false);
          // The text around the secret survives: only the secret's own characters go.
          expect(r.text(clean)).toBe(clean);
          // Nothing of the secret's encoded form is left in the masked text.
          for (const enc of [quote(secret), JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), b64(secret).replace(/=+$/, '')]) {
            if (enc.length >= 4) expect(masked).not.toContain(enc);
          }
        });
      });
    }
  }

  it('each line of a multi-line secret, and the secret a template embedded in a longer string', () => {
    withSecrets(() => {
      const r = new Redactor();
      r.add(MULTI);
      const lines = MULTI.split('\n');
      // A diff shows lines one by one, with its own prefix.
      const diff = lines.map((l) => `+${l}`).join('\n');
      const masked = r.text(diff);
      for (const l of lines) expect(masked).not.toContain(l);
      expect(masked.split('\n')).toHaveLength(lines.length);
      r.add('pa55word');
      expect(r.text('DSN=postgres://app:pa55word@db:5432/app')).toBe(`DSN=postgres://app:${MASK}@db:5432/app`);
    });
  });

  it('values shorter than three characters are not secrets (they would mask ordinary words)', () => {
    withSecrets(() => {
      const r = new Redactor();
      r.add('on');
      r.add(7);
      expect(r.text('on 7')).toBe('on 7');
    });
  });

  it('a secret added after the first masking is masked from then on', () => {
    withSecrets(() => {
      const r = new Redactor();
      expect(r.text('a late-secret')).toBe('a late-secret');
      new Redactor().add('late-secret');
      expect(r.text('a late-secret')).toBe(`a ${MASK}`);
    });
  });
});

describe('what counts as secret', () => {
  const table: [string, boolean][] = [
    ['db_password', true], ['ansible_password', true], ['ansible_become_pass', true], ['ansible_become_password', true],
    ['ansible_ssh_pass', true], ['auth_pass', true], ['keepalived_auth_pass', true], ['passwd', true], ['ssh_passphrase', true],
    ['mysql_pwd', true], ['client_secret', true], ['api_token', true], ['github_token', true], ['tokens', true], ['api_key', true],
    ['ssh_host_key', true], ['TLS_KEY', true],
    ['ansible_ssh_private_key_file', false], ['ansible_private_key_file', false], ['vault_password_file', false],
    ['token_dir', false], ['secret_path', false], ['token_ttl', false], ['password_min_length', false],
    ['ssh_public_key', false], ['lvsible_secrets', false], ['key', false], ['keepalived_key_path', false],
    ['pwd', false], ['monkey', false], ['passive', false], ['bypass', false], ['lvs_interfaces', false],
  ];
  for (const [name, secret] of table) it(`${name}: ${secret ? 'secret' : 'not secret'}`, () => expect(isSecretName(name)).toBe(secret));
});

describe('secrets recorded while the files load', () => {
  it('!secret loads as a plain string and is recorded; lvsible_secrets names others; authentication.pass is one', () => {
    const store = new SecretStore();
    withSecrets(() => {
      const doc = parseYaml(
        'pin: !secret 0123\ndsn: postgres://u:pw@db\nlvsible_secrets: [dsn]\nmysql_pwd: hunter22\nport: 8080\n' +
          'vrrp_instances:\n  - authentication: { type: PASS, pass: vrrp-pw }\n',
        'vars.yml',
      );
      expect(doc.data).toMatchObject({ pin: '0123', dsn: 'postgres://u:pw@db', port: 8080 });
    }, store);
    expect([...store.values].sort()).toEqual(['0123', 'hunter22', 'postgres://u:pw@db', 'vrrp-pw']);
    expect(store.names.has('dsn')).toBe(true);
  });

  it('a document that does not parse still gives up its secrets, so the error can be masked', () => {
    const store = new SecretStore();
    withSecrets(() => {
      expect(() => parseYaml('{"db_password": "S3 CRET', '--extra-vars')).toThrow(/YAML syntax/);
      expect(() => parseYaml('api_key: k3y-value\nx: [unclosed\n', 'hosts.yml')).toThrow(/YAML syntax/);
    }, store);
    expect(store.values).toContain('S3 CRET');
    expect(store.values).toContain('k3y-value');
  });

  it('each run has its own store', () => {
    const a = new SecretStore();
    const b = new SecretStore();
    withSecrets(() => parseYaml('db_password: only-in-a\n', 'a.yml'), a);
    withSecrets(() => expect(new Redactor().text('only-in-a')).toBe('only-in-a'), b);
    withSecrets(() => expect(new Redactor().text('only-in-a')).toBe(MASK), a);
  });
});

describe('maskAssignments: secrets in error texts whose value never loaded', () => {
  const table: [string, string][] = [
    ['{"db_password": "S3 CRET', `{"db_password": "${MASK}`],
    ['expected key=value, got "api_key=abc\'def"', `expected key=value, got "api_key=${MASK}'def"`],
    ['mysql --password=hunter2 -u root', `mysql --password=${MASK} -u root`],
    ["{'auth_pass': 'x y z'}", `{'auth_pass': '${MASK}'}`],
    ['{\\"github_token\\": \\"ghp_abc\\"}', `{\\"github_token\\": \\"${MASK}\\"}`],
    ['hosts.yml:3:5 (all.vars.db_password): must be string', 'hosts.yml:3:5 (all.vars.db_password): must be string'],
    ['ansible_ssh_private_key_file: /home/me/.ssh/id', 'ansible_ssh_private_key_file: /home/me/.ssh/id'],
    ['port: 8080', 'port: 8080'],
  ];
  for (const [input, want] of table) it(input, () => withSecrets(() => expect(maskAssignments(input)).toBe(want)));
});
