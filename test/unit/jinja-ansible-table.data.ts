import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What Ansible (ansible-core 2.14, Jinja2 3.1, StrictUndefined) does with each expression, as recorded from a
 * real `ansible-playbook` run. `jinja-ansible-table.test.ts` holds our engine to it; `jinja-ansible-replay.test.ts`
 * replays the same rows through ansible-playbook so that the recorded answers stay honest.
 *
 * kinds: `text` renders the template inside text (Ansible: `msg: "=<tpl>"`, the `=` stripped), `file` renders it
 * as a .j2 file (Ansible: the template lookup, which like the template module does not escape backslashes), `value` keeps the
 * native value of a lone `{{ }}`, `when` is a task condition ("ran" or "skipped"), `loop` is a task loop (the
 * items). `ERROR` means Ansible fails the task; `OMIT` means Ansible's omit placeholder.
 */
export const ERROR = 'ERROR';
export const OMIT_OUT = 'OMIT';

export interface Row {
  kind: 'text' | 'file' | 'value' | 'when' | 'loop';
  tpl: string;
  vars?: Record<string, unknown>;
  out: unknown;
  /** What Ansible 2.14 gives where lvsible deliberately differs (the comment on the row says why). */
  ansible?: unknown;
}

const d = { a: 1, s: 'x', n: null, l: [1, 2] };
const text = (tpl: string, out: unknown, vars: Record<string, unknown> = {}): Row => ({ kind: 'text', tpl, vars, out });
const file = (tpl: string, out: unknown, vars: Record<string, unknown> = {}): Row => ({ kind: 'file', tpl, vars, out });
const value = (tpl: string, out: unknown, vars: Record<string, unknown> = {}): Row => ({ kind: 'value', tpl, vars, out });
const when = (tpl: string, out: unknown, vars: Record<string, unknown> = {}): Row => ({ kind: 'when', tpl, vars, out });
const loop = (tpl: string, out: unknown, vars: Record<string, unknown> = {}): Row => ({ kind: 'loop', tpl, vars, out });

export const rows: Row[] = [
  // Undefined is an error wherever its value is used...
  text('{{ nothere }}', ERROR),
  text('{{ nothere ~ "x" }}', ERROR),
  text('{{ "x" ~ nothere }}', ERROR),
  text('{{ nothere + 1 }}', ERROR),
  text('{{ 1 + nothere }}', ERROR),
  text('{{ nothere == 1 }}', ERROR),
  text('{{ nothere != 1 }}', ERROR),
  text('{{ nothere < 1 }}', ERROR),
  text('{{ nothere in [1] }}', ERROR),
  text('{{ 1 in nothere }}', ERROR),
  text('{{ not nothere }}', ERROR),
  text('{{ nothere | length }}', ERROR),
  text('{{ nothere | upper }}', ERROR),
  text('{{ nothere | string }}', ERROR),
  text('{{ nothere | mandatory }}', ERROR),
  text('{{ nothere | join(",") }}', ERROR),
  text('{{ nothere | bool }}', ERROR),
  text('{{ nothere | int }}', ERROR),
  text('{% if nothere %}y{% endif %}', ERROR),
  text('{% for x in nothere %}{{ x }}{% endfor %}', ERROR),
  text('{{ nothere if true else "b" }}', ERROR),
  text('{{ true and nothere }}', ERROR),
  text('{{ d.nothere }}', ERROR, { d }),
  text('{{ d["nothere"] }}', ERROR, { d }),
  text('{{ d.nothere ~ "" }}', ERROR, { d }),
  text('{{ d.n.x }}', ERROR, { d }),
  text('{{ d.l[5] }}', ERROR, { d }),
  text('{{ nothere.x }}', ERROR),
  // ...and not where it is only asked about, or never reached.
  text('{{ [1, nothere] }}', ERROR),
  text('{{ [nothere] | length }}', '1'),
  text('{{ nothere is string }}{{ nothere is number }}{{ nothere is mapping }}', 'FalseFalseFalse'),
  text('{{ nothere is match("x") }}', ERROR),
  text('{{ d.a.b is defined }}{{ "abc".nope is defined }}{{ d.l.0 }}', 'FalseFalse1', { d }),
  text('{{ 1 if false }}', ''),
  text('{% set x = nothere %}ok', 'ok'),
  text('{% macro m(a) %}{{ a | default("u") }}{% endmacro %}{{ m() }}{{ m(nothere) }}', 'uu'),
  text('{{ omit is defined }}', 'True'),
  text('{{ nothere | default("dd") }}', 'dd'),
  text('{{ nothere | d("dd") }}', 'dd'),
  text('{{ nothere.x | default("dd") }}', 'dd'),
  text('{{ d.nothere | default("dd") }}', 'dd', { d }),
  text('{{ d.nothere.deeper | default("dd") }}', 'dd', { d }),
  text('{{ d.n | default("dd") }}', '', { d }),
  text('{{ "" | default("dd") }}', ''),
  text('{{ "" | default("dd", true) }}', 'dd'),
  text('{{ nothere is defined }}', 'False'),
  text('{{ nothere is undefined }}', 'True'),
  text('{{ nothere is not defined }}', 'True'),
  text('{{ nothere.x is defined }}', 'False'),
  text('{{ d.nothere is defined }}', 'False', { d }),
  text('{{ d["nothere"] is defined }}', 'False', { d }),
  text('{{ d.a is defined }}', 'True', { d }),
  text('{{ d.n.x is defined }}', 'False', { d }),
  text('{{ d.l[5] is defined }}', 'False', { d }),
  text('{{ nothere is none }}', 'False'),
  text('{{ d.n is none }}', 'True', { d }),
  text('{{ "b" if false else nothere }}', ERROR),
  text('{{ "a" if true else nothere }}', 'a'),
  text('{{ false and nothere }}', 'False'),
  text('{{ true or nothere }}', 'True'),
  text('{{ nothere | default(omit) }}', OMIT_OUT),
  text('{% if nothere is defined %}y{% else %}n{% endif %}', 'n'),
  text('{% set x = nothere | default(3) %}{{ x + 1 }}', '4'),
  // Output of plain values inside text.
  text('{{ d.n }}', '', { d }),
  text('{{ true }}-{{ false }}', 'True-False'),
  text('{{ d.l }}', '[1, 2]', { d }),
  text('{{ ["a", "b"] }}', "['a', 'b']"),
  text('{{ {"a": 1} }}', "{'a': 1}"),
  text('{{ d.s }}{{ d.a }}', 'x1', { d }),
  text('{{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ -7 // 2 }} {{ -7 % 3 }}', '3 1 1024 3.5 -4 2'),
  text('{{ 1 + 2 * 3 - 4 }}', '3'),
  text('{{ "ab" * 3 }}', 'ababab'),
  text('{{ [1] + [2] }}', '[1, 2]'),
  // Inside {{ }} of a YAML value, Ansible doubles backslashes in string literals first: they stay literal there.
  text('{{ "a\\tb" }}|{{ "c\\\\d" }}|{{ "\\d" }}', 'a\\tb|c\\\\d|\\d'),
  text("{{ 'it\\'s' }}", ERROR),
  // In {% %} (and in when:), string literals have Python's escapes; an unknown one keeps its backslash.
  text('{% set x = "a\\tb|c\\\\d|\\d|it\\\'s|\\"q\\"" %}{{ x }}', 'a\tb|c\\d|\\d|it\'s|"q"'),
  text('{{ "abcdef"[1:3] }}{{ "abc"[-1] }}{{ [1, 2, 3][::-1] }}', 'bcc[3, 2, 1]'),
  text('{{ "a,b,c".split(",") | join("-") }}', 'a-b-c'),
  text('{{ " x ".strip() }}|{{ "Ab".lower() }}{{ "ab".upper() }}|{{ "a.b".replace(".", "_") }}', 'x|abAB|a_b'),
  text('{{ "abc".startswith("a") }}{{ "abc".endswith("x") }}{{ "-".join(["a", "b"]) }}', 'TrueFalsea-b'),
  text('{{ "{}:{}".format("h", 80) }}|{{ "%s-%d" | format("a", 3) }}', 'h:80|a-3'),
  text('{{ "hello world".title() }} {{ "hello".capitalize() }} {{ "hello".count("l") }} {{ "hello".find("l") }}', 'Hello World Hello 2 2'),
  text('{{ [3, 1, 3].index(1) }}{{ [3, 1, 3].count(3) }}', '12'),
  text('{{ d.get("a") }}{{ d.get("zz", "q") }}{{ d.get("zz") }}', '1q', { d }),
  text('{{ d.keys() | list | sort }}', "['a', 'l', 'n', 's']", { d }),
  text('{{ range(3) | list }}{{ range(1, 7, 2) | list }}', '[0, 1, 2][1, 3, 5]'),
  text('{{ dict(a=1, b="x").b }}', 'x'),
  text('{% for k, v in {"a": 1, "b": 2}.items() %}{{ k }}={{ v }};{% endfor %}', 'a=1;b=2;'),
  text('{% for x in [1, 2, 3] if x > 1 %}{{ x }}{% else %}none{% endfor %}', '23'),
  text('{% for x in [] %}{{ x }}{% else %}none{% endfor %}', 'none'),
  text('{% for x in "abc" %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }} {% endfor %}', '103TrueFalse3 212FalseFalse3 321FalseTrue3 '),
  text('{% macro m(a, b="B") %}<{{ a }}{{ b }}>{% endmacro %}{{ m(1) }}{{ m(2, b=3) }}', '<1B><23>'),
  text('{% set s %}in{{ 1 }}{% endset %}{{ s }}', 'in1'),
  text('{% raw %}{{ x }}{% endraw %}', '{{ x }}'),
  text('a {# note #}b', 'a b'),
  text('{% if 1 %}\nA\n{% endif %}\n  {%- if 1 %} B {% endif -%}\nC', 'A\n B C'),
  text('{{ 1 if 2 > 1 else 0 }}{{ 3 is divisibleby 3 }}{{ 2 in [1, 2] }}{{ "a" not in "bcd" }}', '1TrueTrueTrue'),
  text('{{ (1, 2)[0] }}{{ None }}{{ none }}', '1'),
  text('{{ [1, 2] | map("string") | join }}{{ ["b", "a"] | sort | first }}{{ [1, 2] | last }}{{ [1, 2] | sum }}', '12a23'),
  text('{{ 3 | string ~ 4 }}{{ "5" | int + 1 }}{{ "x" | int }}{{ "1.5" | float }}', '34601.5'),
  text('{{ "yes" | bool }}{{ "off" | bool }}{{ 1 | bool }}', 'TrueFalseTrue'),
  text('{{ d | dict2items | map(attribute="key") | join(",") }}', 'a,s,n,l', { d }),
  text('{{ [1, 2, 3] | select("odd") | list }}{{ [1, 2, 3] | reject("odd") | list }}', '[1, 3][2]'),
  text('{{ [{"a": 1}, {"a": 2}] | selectattr("a", "equalto", 2) | list }}', "[{'a': 2}]"),
  text('{{ "x" | ternary("y", "n") }}{{ "" | ternary("y", "n") }}', 'yn'),
  text('{{ "ab" | length }}{{ [1, 2] | length }}{{ "Ab" | lower }}{{ "ab" | upper }}{{ " s " | trim }}', '22abABs'),
  text('{{ "10.0.0.1" is match("10\\\\.") }}', 'False'),
  text('{{ "10.0.0.1" is match("10\\.") }}{{ "a10" is search("1") }}{{ "a" is string }}{{ 1 is number }}', 'TrueTrueTrueTrue'),
  text('{{ "a.b.c" | regex_replace("\\.", "/") }}{{ "abc" | regex_search("b.") }}', 'a/b/cbc'),
  // .j2 files: Python escapes in every string literal; trim_blocks on, lstrip_blocks off.
  file('{{ "a\\tb" }}|{{ "\\d" }}|{{ \'it\\\'s\' }}|{{ "10.0.0.1" is match("10\\.") }}', 'a\tb|\\d|it\'s|True'),
  file('{{ "10.0.0.1" is match("10\\\\.") }}|{{ "a.b" | regex_replace("\\.", "_") }}', 'True|a_b'),
  file('x\n{% for h in hs %}\n  {{ h }}\n{% endfor %}\ny\n', 'x\n  a\n  b\ny\n', { hs: ['a', 'b'] }),
  file('{% for h in hs %}\n{{ h }}\n{% endfor %}\n', 'a\nb\n', { hs: ['a', 'b'] }),
  file('  {% if true %}\nx\n  {% endif %}\nz', '  x\n  z'),
  file('a {%- if true %} b {% endif -%} c\n{# gone #}\nd', 'a b c\nd'),
  file('{% set n = 1 %}{% for i in [1, 2] %}{% set n = n + i %}{{ n }}{% endfor %}{{ n }}', '231'),
  file('{{ nothere }}\n', ERROR),
  file('{% if d.nothere %}x{% endif %}', ERROR, { d }),
  // Filters, as Ansible's and Jinja's implementations give them.
  text('{{ {"a": {"x": 1}, "b": 1} | combine({"a": {"y": 2}}) }}|{{ {"a": {"x": 1}} | combine({"a": {"y": 2}}, recursive=true) }}', "{'a': {'y': 2}, 'b': 1}|{'a': {'x': 1, 'y': 2}}"),
  text('{{ {"a": [1]} | combine({"a": [2]}, list_merge="append") }}|{{ {"a": 1} | combine({"b": 2}, {"c": 3}) }}', "{'a': [1, 2]}|{'a': 1, 'b': 2, 'c': 3}"),
  text('{{ {"a": 1} | dict2items }}|{{ [{"key": "k", "value": 2}] | items2dict }}|{{ {"a": 1} | dict2items(key_name="n", value_name="v") }}', "[{'key': 'a', 'value': 1}]|{'k': 2}|[{'n': 'a', 'v': 1}]"),
  text('{{ [1, [2, [3, [4]]]] | flatten }}|{{ [1, [2, [3, [4]]]] | flatten(levels=1) }}|{{ [1, none, [2]] | flatten }}', '[1, 2, 3, 4]|[1, 2, [3, [4]]]|[1, 2]'),
  text('{{ [3, 1, 3, 2] | unique }}|{{ [1, 2] | union([2, 3]) }}|{{ [1, 2, 2, 3] | intersect([2, 3, 4]) }}|{{ [1, 2, 3] | difference([2]) }}', '[3, 1, 2]|[1, 2, 3]|[2, 3]|[1, 3]'),
  text('{{ {"a": [1, "x", true, none]} | to_json }}|{{ "[1, 2]" | from_json | sum }}', '{"a": [1, "x", true, null]}|3'),
  text('{{ {"b": 1, "a": [1, 2]} | to_nice_json }}', '{\n    "a": [\n        1,\n        2\n    ],\n    "b": 1\n}'),
  text('{{ {"b": [1, 2], "a": {"c": "x y", "d": [{"e": 1}]}} | to_nice_yaml(indent=2) }}', 'a:\n  c: x y\n  d:\n  - e: 1\nb:\n- 1\n- 2\n'),
  text('{{ {"a": 1, "b": [1, 2], "c": {"d": [{"e": 1}]}} | to_yaml }}|{{ 1 | to_yaml }}', 'a: 1\nb: [1, 2]\nc:\n  d:\n  - {e: 1}\n|1\n'),
  // The yaml library indents a list under a key by indent-2 where PyYAML does not indent it (default indent 4).
  { ...text('{{ {"a": {"b": [1]}} | to_nice_yaml }}', 'a:\n    b:\n      - 1\n'), ansible: 'a:\n    b:\n    - 1\n' },
  text('{{ "abc-123" | regex_replace("(\\w+)-(\\d+)", "\\2-\\1") }}|{{ "a1b22" | regex_findall("\\d+") }}|{{ "k=v" | regex_search("(\\w)=(\\w)", "\\2") }}', "123-abc|['1', '22']|['v']"),
  text('{{ "x" | regex_search("y") }}|{{ "aXb" | regex_replace("x", "-", ignorecase=true) }}|{{ "a.b" | regex_escape }}', '|a-b|a\\.b'),
  text('{{ "/a/b/c.txt" | basename }}|{{ "/a/b/c.txt" | dirname }}|{{ "hi" | b64encode }}|{{ "aGk=" | b64decode }}|{{ "a b" | quote }}', "c.txt|/a/b|aGk=|hi|'a b'"),
  // Both are the same shell word: lvsible has one quoting function (src/transport/quote.ts), whose output the
  // redactor also knows; Ansible uses Python's shlex.quote.
  { ...text("{{ \"it's\" | quote }}", "'it'\\''s'"), ansible: "'it'\"'\"'s'" },
  text('{{ "abc" | hash("sha1") }}|{{ "abc" | hash("md5") }}|{{ "abc" | checksum }}', 'a9993e364706816aba3e25717850c26c9cd0d89d|900150983cd24fb0d6963f7d28e17f72|a9993e364706816aba3e25717850c26c9cd0d89d'),
  text('{{ none | ternary("y", "n", "z") }}|{{ true | ternary("y", "n") }}', 'z|y'),
  text('{{ nothere | mandatory("set nothere") }}', ERROR),
  text('{{ "3.7" | int }}|{{ "12abc" | int }}|{{ "0x1A" | int(base=16) }}|{{ "x" | int(7) }}|{{ 3.9 | int }}|{{ "1.25e1" | float }}', '3|0|26|7|3|12.5'),
  // JavaScript has one number type: a float without a fraction prints as an int (Python: 1000.0).
  { ...text('{{ "1e3" | float }}|{{ 5 | float }}|{{ 4 / 2 }}', '1000|5|2'), ansible: '1000.0|5.0|2.0' },
  text('{{ "Yes" | bool }}|{{ "on" | bool }}|{{ 0 | bool }}|{{ "" | bool }}|{{ none | bool }}', 'True|True|False|False|'),
  text('{{ ["1", "2"] | map("int") | sum }}|{{ ["a", "b"] | map("upper") | join }}|{{ ["a", "b"] | map("regex_replace", "a", "x") | list }}', "3|AB|['x', 'b']"),
  text('{{ [{"n": 1}, {"m": 2}] | selectattr("n", "defined") | list }}|{{ [{"n": 1}, {"m": 2}] | rejectattr("n", "defined") | list }}', "[{'n': 1}]|[{'m': 2}]"),
  text('{{ [{"n": 1}, {"m": 2}] | map(attribute="n") | list }}', ERROR),
  text('{{ [{"n": 1}, {"m": 2}] | map(attribute="n", default=0) | list }}', '[1, 0]'),
  text('{{ [{"n": "b"}, {"n": "a"}] | sort(attribute="n") | map(attribute="n") | join }}|{{ ["b", "A", "c"] | sort }}|{{ [3, 1, 2] | sort(reverse=true) }}', "ab|['A', 'b', 'c']|[3, 2, 1]"),
  text('{{ [3, 1, 2] | min }}{{ [3, 1, 2] | max }}|{{ [{"w": 2}, {"w": 3}] | sum(attribute="w") }}|{{ [] | first is defined }}', '13|5|False'),
  text('{{ [1, 2, 3] | zip(["a", "b"]) | list }}|{{ {"b": 1, "a": 2} | dictsort }}|{{ 2.567 | round(1) }}|{{ -3 | abs }}', "[(1, 'a'), (2, 'b')]|[('a', 2), ('b', 1)]|2.6|3"),
  file('{{ "a\\nb\\n\\nc" | indent(2) }}|{{ "a\\nb" | indent(2, true) }}', 'a\n  b\n\n  c|  a\n  b'),
  text('{{ "a,b" | split(",") }}|{{ "a b" | replace(" ", "") }}|{{ [1, 2, 3] | reverse | list }}|{{ "%5.2f" | format(3.14159) }}', "['a', 'b']|ab|[3, 2, 1]| 3.14"),
  text('{{ "2.10" is version("2.9", ">") }}{{ "1.0" is version("1.0.1", "lt") }}{{ [1] is subset([1, 2]) }}{{ [1, 2] is superset([2]) }}', 'TrueTrueTrueTrue'),
  text('{{ [1, 2] | first }}{{ "abc" | first }}{{ "abc" | last }}{{ {"a": 1} | length }}{{ [[1, 2], [3]] | map("length") | list }}', "1ac1[2, 1]"),
  text('{{ nothere | default(omit) is string }}{{ nothere | default(none) is none }}', 'TrueTrue'),
  // Native values of a lone expression.
  value('{{ d.l }}', [1, 2], { d }),
  // ansible-core 2.14 without jinja2_native gives the text of a number; lvsible keeps numbers native (as
  // jinja2_native and ansible-core 2.19 do); text keeps the blanks around a lone expression, as Ansible.
  { ...value('{{ d.a + 1 }}', 2, { d }), ansible: '2' },
  value('{{ d }}', d, { d }),
  value(' {{ d.s }} ', ' x ', { d }),
  value('{{ true }}', true),
  value('{{ nothere }}', ERROR),
  value('{{ d.nothere }}', ERROR, { d }),
  value('{{ nothere | default([]) }}', []),
  value('{{ [1, 2] | map("int") | list }}', [1, 2]),
  // when: conditions.
  when('nothere', ERROR),
  when('nothere == "x"', ERROR),
  when('d.nothere', ERROR, { d }),
  when('not nothere', ERROR),
  when('nothere | bool', ERROR),
  when('d.a == 1 and nothere', ERROR, { d }),
  when('d.a == 2 and nothere', 'skipped', { d }),
  when('nothere is defined', 'skipped'),
  when('nothere is not defined', 'ran'),
  when('d.nothere is defined', 'skipped', { d }),
  when('nothere | default(false)', 'skipped'),
  when('nothere | default("a") == "a"', 'ran'),
  when('d.s', 'ran', { d }),
  when('d.n', 'skipped', { d }),
  when('d.l', 'ran', { d }),
  when('e', 'skipped', { e: '' }),
  when('m', 'skipped', { m: {} }),
  when('"no" | bool', 'skipped'),
  when('"false"', 'ran'),
  when('d.a == 1', 'ran', { d }),
  when('{{ d.a == 1 }}', 'ran', { d }),
  // loop:
  loop('{{ nothere }}', ERROR),
  loop('{{ d.nothere }}', ERROR, { d }),
  loop('{{ d.l }}', [1, 2], { d }),
  loop('{{ nothere | default([]) }}', []),
];

/** Replays `rows` through a real ansible-playbook, one run for all of them; returns what Ansible did per row. */
export function ansibleAnswers(list: Row[]): unknown[] {
  const dir = mkdtempSync(join(tmpdir(), 'lvsible-jinja-'));
  const tasks = list.map((r, i) => {
    const base: Record<string, unknown> = { name: `row ${i}`, ignore_errors: true, vars: r.vars ?? {} };
    if (r.kind === 'text') return { ...base, debug: { msg: `=${r.tpl}` } };
    if (r.kind === 'file') {
      writeFileSync(join(dir, `row${i}.j2`), r.tpl);
      return { ...base, debug: { msg: `={{ lookup('template', '${join(dir, `row${i}.j2`)}') }}` } };
    }
    if (r.kind === 'value') return { ...base, debug: { msg: r.tpl } };
    if (r.kind === 'when') return { ...base, debug: { msg: 'ran' }, when: r.tpl };
    return { ...base, debug: { msg: '{{ item }}' }, loop: r.tpl };
  });
  try {
    // JSON is YAML: the templates reach Ansible byte for byte, with no YAML quoting in between.
    writeFileSync(join(dir, 'play.yml'), JSON.stringify([{ hosts: 'localhost', connection: 'local', gather_facts: false, tasks }]));
    writeFileSync(join(dir, 'hosts'), 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
    writeFileSync(join(dir, 'rows.py'), CALLBACK);
    const out = execFileSync('ansible-playbook', ['-i', join(dir, 'hosts'), join(dir, 'play.yml')], {
      env: { ...process.env, ANSIBLE_CALLBACK_PLUGINS: dir, ANSIBLE_STDOUT_CALLBACK: 'rows', ANSIBLE_LOCALHOST_WARNING: '0' },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const played = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    if (played.length !== list.length) throw new Error(`ansible-playbook reported ${played.length} of ${list.length} rows:\n${out}`);
    return played.map((h, i) => answer(list[i]!, h));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function answer(r: Row, h: any): unknown {
  if (h.failed) return ERROR;
  if (r.kind === 'when') return h.skipped ? 'skipped' : 'ran';
  if (r.kind === 'loop') return h.results ? h.results.some((x: any) => x.failed) ? ERROR : h.results.map((x: any) => x.msg) : h.skipped ? [] : ERROR;
  if (r.kind === 'value') return h.msg;
  const s = String(h.msg).slice(1);
  return s.startsWith('__omit_place_holder__') ? OMIT_OUT : s;
}

/** ansible-core alone has no json stdout callback (that is in ansible.posix): one line of JSON per task result. */
const CALLBACK = `
import json
from ansible.plugins.callback import CallbackBase
class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'rows'
    def emit(self, result, **extra):
        r = dict(result._result)
        r.update(extra)
        self._display.display(json.dumps(r, default=str, sort_keys=True))
    def v2_runner_on_ok(self, result): self.emit(result)
    def v2_runner_on_failed(self, result, ignore_errors=False): self.emit(result, failed=True)
    def v2_runner_on_skipped(self, result): self.emit(result, skipped=True)
`;
