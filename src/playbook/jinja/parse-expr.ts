import type { CompareOp, Expr, Kwarg } from './ast.js';
import type { Token } from './lexer.js';
import { JinjaError } from './values.js';

/**
 * Expressions, with Jinja2's precedence: inline if < or < and < not < comparisons < + - < ~ < * / // % < ** <
 * unary minus < filters and tests < postfix (`.x`, `[i]`, calls) < atoms. parser.ts adds the statements.
 */

const CONSTS: Record<string, unknown> = { true: true, false: false, none: null, True: true, False: false, None: null };
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

export const describe = (t: Token) => (t.k === 'eof' ? 'end of expression' : t.k === 'string' ? `string ${JSON.stringify(t.v)}` : `"${String(t.v)}"`);

/** One expression (no braces), as in `when:` or a lone `{{ }}`. */
export function parseExpr(tokens: Token[]): Expr {
  const p = new ExprParser(tokens);
  const e = p.expr();
  if (p.peek().k !== 'eof') throw new JinjaError(`unexpected ${describe(p.peek())} after the expression`, p.peek().pos);
  return e;
}

export class ExprParser {
  protected i = 0;
  constructor(protected readonly toks: Token[]) {}

  peek(n = 0): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  protected next(): Token {
    return this.toks[this.i++]!;
  }
  protected isOp(v: string, n = 0) {
    const t = this.peek(n);
    return t.k === 'op' && t.v === v;
  }
  protected isName(v: string, n = 0) {
    const t = this.peek(n);
    return t.k === 'name' && t.v === v;
  }
  protected expect(k: Token['k'], v?: string): Token {
    const t = this.next();
    if (t.k !== k || (v !== undefined && t.v !== v)) {
      const want = v ?? (k === 'var_end' ? '}}' : k === 'block_end' ? '%}' : k);
      throw new JinjaError(`expected "${want}", found ${describe(t)}`, t.pos);
    }
    return t;
  }
  protected ident(): string {
    const t = this.next();
    if (t.k !== 'name') throw new JinjaError(`expected a name, found ${describe(t)}`, t.pos);
    return t.v;
  }

  protected tupleOrExpr(): Expr {
    const first = this.expr();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      items.push(this.expr());
    }
    return { t: 'tuple', pos: first.pos, items };
  }

  expr(): Expr {
    const e = this.orExpr();
    if (!this.isName('if')) return e;
    const pos = this.next().pos;
    const test = this.orExpr();
    if (!this.isName('else')) return { t: 'cond', pos, test, then: e };
    this.next();
    return { t: 'cond', pos, test, then: e, else: this.expr() };
  }

  protected orExpr(): Expr {
    let left = this.andExpr();
    while (this.isName('or')) {
      const pos = this.next().pos;
      left = { t: 'binary', pos, op: 'or', left, right: this.andExpr() };
    }
    return left;
  }
  private andExpr(): Expr {
    let left = this.notExpr();
    while (this.isName('and')) {
      const pos = this.next().pos;
      left = { t: 'binary', pos, op: 'and', left, right: this.notExpr() };
    }
    return left;
  }
  private notExpr(): Expr {
    if (this.isName('not')) {
      const pos = this.next().pos;
      return { t: 'unary', pos, op: 'not', operand: this.notExpr() };
    }
    return this.compare();
  }
  private compare(): Expr {
    const first = this.math1();
    const rest: Array<[CompareOp, Expr]> = [];
    for (;;) {
      const t = this.peek();
      if (t.k === 'op' && COMPARE.has(t.v)) {
        this.next();
        rest.push([t.v as CompareOp, this.math1()]);
      } else if (this.isName('in')) {
        this.next();
        rest.push(['in', this.math1()]);
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.i += 2;
        rest.push(['notin', this.math1()]);
      } else break;
    }
    return rest.length ? { t: 'compare', pos: first.pos, first, rest } : first;
  }
  private math1(): Expr {
    let left = this.concat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { t: 'binary', pos: t.pos, op: t.v as '+' | '-', left, right: this.concat() };
    }
    return left;
  }
  private concat(): Expr {
    let left = this.math2();
    while (this.isOp('~')) {
      const pos = this.next().pos;
      left = { t: 'binary', pos, op: '~', left, right: this.math2() };
    }
    return left;
  }
  private math2(): Expr {
    let left = this.pow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      left = { t: 'binary', pos: t.pos, op: t.v as '*', left, right: this.pow() };
    }
    return left;
  }
  private pow(): Expr {
    let left = this.unary(true);
    while (this.isOp('**')) {
      const pos = this.next().pos;
      left = { t: 'binary', pos, op: '**', left, right: this.unary(true) };
    }
    return left;
  }
  private unary(withFilters: boolean): Expr {
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next();
      node = { t: 'unary', pos: t.pos, op: t.v as '-', operand: this.unary(false) };
    } else node = this.postfix(this.primary());
    return withFilters ? this.filters(node) : node;
  }

  private filters(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        const pos = this.next().pos;
        const name = this.dotted();
        const { args, kwargs } = this.isOp('(') ? this.callArgs() : { args: [], kwargs: [] };
        node = { t: 'filter', pos, value: node, name, args, kwargs };
      } else if (this.isName('is')) {
        const pos = this.next().pos;
        let negate = false;
        if (this.isName('not')) {
          this.next();
          negate = true;
        }
        const name = this.testName();
        let args: Expr[] = [];
        let kwargs: Kwarg[] = [];
        if (this.isOp('(')) ({ args, kwargs } = this.callArgs());
        else if (this.startsBareArg()) args = [this.postfix(this.primary())];
        node = { t: 'test', pos, value: node, name, args, kwargs, negate };
      } else return node;
    }
  }
  private testName(): string {
    if (this.peek().k !== 'name') throw new JinjaError(`expected a test name after "is", found ${describe(this.peek())}`, this.peek().pos);
    return this.dotted();
  }
  /** Filter and test names may be collection-qualified: `ansible.builtin.to_json`, `ansible.utils.ipaddr`. */
  private dotted(): string {
    let name = this.ident();
    while (this.isOp('.') && this.peek(1).k === 'name') {
      this.next();
      name += `.${this.ident()}`;
    }
    return name;
  }
  // Jinja's `x is divisibleby 3`, `x is sameas false`: one argument without parentheses.
  private startsBareArg(): boolean {
    const t = this.peek();
    if (t.k === 'string' || t.k === 'number') return true;
    if (t.k === 'op') return t.v === '[' || t.v === '{';
    return t.k === 'name' && !['and', 'or', 'else', 'if', 'in', 'is', 'not', 'recursive'].includes(t.v);
  }

  private callArgs(): { args: Expr[]; kwargs: Kwarg[] } {
    this.expect('op', '(');
    const args: Expr[] = [];
    const kwargs: Kwarg[] = [];
    while (!this.isOp(')')) {
      if (this.peek().k === 'name' && this.isOp('=', 1)) {
        const n = this.ident();
        this.next();
        kwargs.push([n, this.expr()]);
      } else {
        if (kwargs.length) throw new JinjaError('a positional argument follows a keyword argument', this.peek().pos);
        args.push(this.expr());
      }
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expect('op', ')');
    return { args, kwargs };
  }

  private postfix(node: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.k === 'name') node = { t: 'attr', pos: t.pos, obj: node, name: t.v };
        else if (t.k === 'number' && Number.isInteger(t.v)) node = { t: 'item', pos: t.pos, obj: node, key: { t: 'const', pos: t.pos, value: t.v } };
        else throw new JinjaError(`expected an attribute name after ".", found ${describe(t)}`, t.pos);
      } else if (this.isOp('[')) {
        const pos = this.next().pos;
        node = this.subscript(node, pos);
      } else if (this.isOp('(')) {
        const pos = this.peek().pos;
        node = { t: 'call', pos, fn: node, ...this.callArgs() };
      } else return node;
    }
  }

  private subscript(obj: Expr, pos: number): Expr {
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.expr());
    const start = part();
    if (!this.isOp(':')) {
      this.expect('op', ']');
      if (!start) throw new JinjaError('empty subscript', pos);
      return { t: 'item', pos, obj, key: start };
    }
    this.next();
    const stop = part();
    let step: Expr | undefined;
    if (this.isOp(':')) {
      this.next();
      step = part();
    }
    this.expect('op', ']');
    return { t: 'slice', pos, obj, start, stop, step };
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.k) {
      case 'name':
        return t.v in CONSTS ? { t: 'const', pos: t.pos, value: CONSTS[t.v] } : { t: 'name', pos: t.pos, name: t.v };
      case 'number':
        return { t: 'const', pos: t.pos, value: t.v };
      case 'string': {
        let v = t.v;
        // Adjacent literals concatenate, as in Python.
        while (this.peek().k === 'string') v += this.next().v;
        return { t: 'const', pos: t.pos, value: v };
      }
      case 'op':
        if (t.v === '(') {
          if (this.isOp(')')) {
            this.next();
            return { t: 'tuple', pos: t.pos, items: [] };
          }
          const first = this.expr();
          if (this.isOp(')')) {
            this.next();
            return first;
          }
          const items = [first];
          while (this.isOp(',')) {
            this.next();
            if (this.isOp(')')) break;
            items.push(this.expr());
          }
          this.expect('op', ')');
          return { t: 'tuple', pos: t.pos, items };
        }
        if (t.v === '[') return { t: 'list', pos: t.pos, items: this.sequence(']') };
        if (t.v === '{') {
          const pairs: Array<[Expr, Expr]> = [];
          while (!this.isOp('}')) {
            const k = this.expr();
            this.expect('op', ':');
            pairs.push([k, this.expr()]);
            if (!this.isOp(',')) break;
            this.next();
          }
          this.expect('op', '}');
          return { t: 'dict', pos: t.pos, pairs };
        }
    }
    throw new JinjaError(`unexpected ${describe(t)}`, t.pos);
  }

  private sequence(close: string): Expr[] {
    const items: Expr[] = [];
    while (!this.isOp(close)) {
      items.push(this.expr());
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expect('op', close);
    return items;
  }
}
