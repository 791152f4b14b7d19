/**
 * Templating speed: a 1000-line .j2 (loops, ifs, filters) and 10k small expressions (what a play with many
 * hosts and tasks renders), lvsible's engine against nunjucks (the engine it replaced).
 *   npx tsx bench/template.ts
 * nunjucks is not a dependency any more: install it outside the repo and point NUNJUCKS_DIR at it to compare
 * (mkdir /tmp/nj && npm i --prefix /tmp/nj nunjucks@3.2.4; NUNJUCKS_DIR=/tmp/nj/node_modules/nunjucks).
 */
import { createRequire } from 'node:module';
import { renderString, renderValue } from '../src/playbook/template.js';

const hosts = Array.from({ length: 200 }, (_, i) => ({ name: `rs${i}`, address: `10.0.${i >> 8}.${i & 255}`, weight: (i % 5) + 1, up: i % 7 !== 0 }));
const vars = { cluster: 'web', vip: '198.51.100.10', port: 80, hosts, tags: ['a', 'b', 'c'], opts: { persistence: 300, scheduler: 'wlc' } };

// 1000 lines: a header, then a loop body of 5 lines over 200 hosts, with an if and filters.
const j2 = [
  '# {{ cluster }} generated',
  'virtual_server {{ vip }} {{ port }} {',
  '  lb_algo {{ opts.scheduler | upper }}',
  '{% for h in hosts %}',
  '  real_server {{ h.address }} {{ port }} {',
  '    weight {{ h.weight * 10 }}{% if not h.up %} # down{% endif %}',
  '    inhibit_on_failure {{ "yes" if h.weight > 2 else "no" }}',
  '    name "{{ h.name | replace("rs", "real-") }}-{{ loop.index }}"',
  '  }',
  '{% endfor %}',
  '}',
].join('\n');

const small = [
  '{{ vip }}:{{ port }}',
  '{{ hosts | map(attribute="address") | join(",") }}',
  '{{ port + 1 }}',
  'name {{ cluster | upper }}',
  '{{ opts.persistence if opts.persistence else 0 }}',
];

function time(label: string, n: number, f: () => void): number {
  f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(`${label.padEnd(44)} ${(ms / n).toFixed(3).padStart(9)} ms/op  (${n} ops, ${ms.toFixed(0)} ms)`);
  return ms;
}

const lines = renderString(j2, vars, { file: true }).split('\n').length;
console.log(`.j2 renders to ${lines} lines`);
time('lvsible: 1000-line .j2', 50, () => renderString(j2, vars, { file: true }));
time('lvsible: 10k small expressions', 1, () => {
  for (let i = 0; i < 10_000; i++) renderValue(small[i % small.length]!, vars);
});

const dir = process.env.NUNJUCKS_DIR;
if (dir) {
  const nunjucks = createRequire(import.meta.url)(dir);
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, trimBlocks: true, lstripBlocks: true });
  time('nunjucks: 1000-line .j2', 50, () => env.renderString(j2, vars));
  time('nunjucks: 10k small expressions', 1, () => {
    for (let i = 0; i < 10_000; i++) env.renderString(small[i % small.length]!, vars);
  });
} else console.log('(set NUNJUCKS_DIR to compare with nunjucks)');
