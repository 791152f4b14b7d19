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
const vars = { cluster: 'web', vip: '198.51.100.10', port: 80, hosts, five: hosts.slice(0, 5), tags: ['a', 'b', 'c'], opts: { persistence: 300, scheduler: 'wlc' } };

// A 1000-line source: 100 virtual_server blocks of 10 lines, each with a loop, an if, filters and arithmetic.
const block = (i: number) => [
  `virtual_server {{ vip }} {{ port + ${i} }} {  # block ${i}`,
  '  lb_algo {{ opts.scheduler | upper }}',
  '  persistence_timeout {{ opts.persistence | int }}',
  '{% for h in five %}',
  '  real_server {{ h.address }} {{ port }} {',
  '    weight {{ h.weight * 10 }}{% if not h.up %} # down{% endif %}',
  '    name "{{ h.name | replace("rs", "real-") }}-{{ loop.index }}"',
  '  }',
  '{% endfor %}',
  '}',
];
const j2 = Array.from({ length: 100 }, (_, i) => block(i)).flat().join('\n');

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
console.log(`.j2 of ${j2.split('\n').length} lines renders to ${lines} lines`);
time('lvsible: 1000-line .j2', 50, () => renderString(j2, vars, { file: true }));
time('lvsible: 10k small expressions', 1, () => {
  for (let i = 0; i < 10_000; i++) renderValue(small[i % small.length]!, vars);
});

const dir = process.env.NUNJUCKS_DIR;
if (dir) {
  const nunjucks = createRequire(import.meta.url)(dir);
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, trimBlocks: true });
  // nunjucks has no map filter; lvsible's old template.ts added this one.
  env.addFilter('map', (v: any[], o: { attribute: string }) => v.map((x) => x[o.attribute]));
  // What the old template.ts did (renderString compiles every time), and a precompiled template for render alone.
  time('nunjucks: 1000-line .j2', 50, () => env.renderString(j2, vars));
  const compiled = new nunjucks.Template(j2, env, undefined, true);
  time('nunjucks: 1000-line .j2, precompiled', 50, () => compiled.render(vars));
  time('nunjucks: 10k small expressions', 1, () => {
    for (let i = 0; i < 10_000; i++) env.renderString(small[i % small.length]!, vars);
  });
} else console.log('(set NUNJUCKS_DIR to compare with nunjucks)');
