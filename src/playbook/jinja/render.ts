import type { Stmt } from './ast.js';
import { ev, MAX_MACRO_DEPTH, Scope } from './evaluate.js';
import { Callable, iterate, JinjaError, toText, truthy, Undef, use } from './values.js';

/**
 * Statements -> text. Jinja's scoping: a `for` body and a macro body get their own scope (a `set` inside
 * stays inside), `if` does not. `{{ none }}` prints nothing, as Ansible's finalize does.
 */

export function renderStmts(body: Stmt[], s: Scope): string {
  let out = '';
  for (const st of body) out += exec(st, s);
  return out;
}

function exec(st: Stmt, s: Scope): string {
  switch (st.t) {
    case 'text':
      return st.value;
    case 'output': {
      const v = use(ev(st.expr, s), st.expr.pos);
      return v === null ? '' : toText(v, st.expr.pos);
    }
    case 'if':
      for (const [test, body] of st.branches) if (truthy(ev(test, s), test.pos)) return renderStmts(body, s);
      return st.else ? renderStmts(st.else, s) : '';
    case 'for':
      return loop(st, s);
    case 'set': {
      const v = ev(st.expr, s);
      if (st.targets.length === 1) s.set(st.targets[0]!, v);
      else unpack(st.targets, v, st.pos).forEach((x, i) => s.set(st.targets[i]!, x));
      return '';
    }
    case 'setblock':
      s.set(st.name, renderStmts(st.body, s));
      return '';
    case 'macro':
      s.set(st.name, macro(st, s));
      return '';
  }
}

function unpack(targets: string[], v: unknown, pos: number): unknown[] {
  const items = iterate(v, pos);
  if (items.length !== targets.length) throw new JinjaError(`cannot unpack ${items.length} values into ${targets.join(', ')}`, pos);
  return items;
}

function loop(st: Extract<Stmt, { t: 'for' }>, s: Scope): string {
  let items = iterate(ev(st.iter, s), st.iter.pos);
  const bind = (scope: Scope, item: unknown) => {
    if (st.targets.length === 1) scope.set(st.targets[0]!, item);
    else unpack(st.targets, item, st.pos).forEach((x, i) => scope.set(st.targets[i]!, x));
  };
  if (st.filter) {
    const f = st.filter;
    items = items.filter((item) => {
      const scope = s.child();
      bind(scope, item);
      return truthy(ev(f, scope), f.pos);
    });
  }
  if (!items.length) return st.else ? renderStmts(st.else, s) : '';
  let out = '';
  const n = items.length;
  items.forEach((item, i) => {
    s.step(st.pos);
    const scope = s.child();
    bind(scope, item);
    // A literal: its keys are fixed and safe, and it is built for every iteration (defineProperty is slower).
    scope.set('loop', {
      index: i + 1, index0: i, revindex: n - i, revindex0: n - i - 1, first: i === 0, last: i === n - 1, length: n,
      previtem: i > 0 ? items[i - 1] : new Undef('loop.previtem'),
      nextitem: i < n - 1 ? items[i + 1] : new Undef('loop.nextitem'),
      cycle: new Callable('loop.cycle', (args) => (args.length ? args[i % args.length] : new Undef('loop.cycle()'))),
    });
    out += renderStmts(st.body, scope);
  });
  return out;
}

function macro(st: Extract<Stmt, { t: 'macro' }>, defined: Scope): Callable {
  return new Callable(
    st.name,
    (args, kwargs) => {
      if (args.length > st.params.length) throw new JinjaError(`macro ${st.name}() takes ${st.params.length} arguments, ${args.length} given`, st.pos);
      const scope = defined.child();
      st.params.forEach(([name, dflt], i) => {
        const v = i < args.length ? args[i] : Object.prototype.hasOwnProperty.call(kwargs, name) ? kwargs[name] : dflt ? ev(dflt, scope) : new Undef(name, `macro ${st.name}() was called without it`);
        scope.set(name, v);
      });
      for (const k of Object.keys(kwargs)) if (!st.params.some(([p]) => p === k)) throw new JinjaError(`macro ${st.name}() has no argument "${k}"`, st.pos);
      const state = defined.state;
      const depth = (state.depth ?? 0) + 1;
      if (depth > MAX_MACRO_DEPTH) throw new JinjaError(`macro ${st.name}() is called more than ${MAX_MACRO_DEPTH} deep (macros calling macros): a recursion that does not end?`);
      state.depth = depth;
      try {
        return renderStmts(st.body, scope);
      } finally {
        state.depth = depth - 1;
      }
    },
    true,
  );
}
