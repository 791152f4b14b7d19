import type { Expr, Stmt } from './ast.js';
import type { Token } from './lexer.js';
import { JinjaError } from './values.js';
import { describe, ExprParser } from './parse-expr.js';

/**
 * Tokens -> tree. Statements are the block tags playbooks use: if/elif/else, for (else, `if` filter,
 * unpacking), set, block set, macro. Anything else (include, import, extends, call) is refused by name rather
 * than misread. Expressions are parse-expr.ts.
 */

const ENDS: Record<string, string[]> = { if: ['elif', 'else', 'endif'], for: ['else', 'endfor'], macro: ['endmacro'], set: ['endset'] };

export { parseExpr } from './parse-expr.js';

export function parse(tokens: Token[]): Stmt[] {
  const p = new Parser(tokens);
  const body = p.body([]);
  const t = p.peek();
  if (t.k !== 'eof') throw new JinjaError(`unexpected {% ${String(p.peek(1).v)} %}`, t.pos);
  return body;
}

class Parser extends ExprParser {
  /** Statements until one of `ends` (a block tag name), which is left unconsumed after its `{%`. */
  body(ends: string[]): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (t.k === 'eof') {
        if (ends.length) throw new JinjaError(`missing {% ${ends[ends.length - 1]} %}`, t.pos);
        return out;
      }
      if (t.k === 'text') {
        this.next();
        out.push({ t: 'text', pos: t.pos, value: t.v });
      } else if (t.k === 'var_begin') {
        this.next();
        out.push({ t: 'output', pos: t.pos, expr: this.expr() });
        this.expect('var_end');
      } else if (t.k === 'block_begin') {
        const kw = this.peek(1);
        if (kw.k === 'name' && ends.includes(kw.v)) return out;
        this.next();
        out.push(this.statement());
      } else throw new JinjaError(`unexpected ${describe(t)}`, t.pos);
    }
  }

  private endTag(name: string) {
    this.expect('block_begin');
    this.expect('name', name);
    this.expect('block_end');
  }

  private statement(): Stmt {
    const kw = this.next();
    if (kw.k !== 'name') throw new JinjaError(`expected a tag name after {%, found ${describe(kw)}`, kw.pos);
    const pos = kw.pos;
    switch (kw.v) {
      case 'if': {
        const branches: Array<[Expr, Stmt[]]> = [];
        let test = this.expr();
        let otherwise: Stmt[] | undefined;
        for (;;) {
          this.expect('block_end');
          const body = this.body(ENDS.if!);
          branches.push([test, body]);
          this.expect('block_begin');
          const end = this.ident();
          if (end === 'elif') test = this.expr();
          else if (end === 'else') {
            this.expect('block_end');
            otherwise = this.body(['endif']);
            this.endTag('endif');
            break;
          } else {
            this.expect('block_end');
            break;
          }
        }
        return { t: 'if', pos, branches, else: otherwise };
      }
      case 'for': {
        const targets = [this.ident()];
        while (this.isOp(',')) {
          this.next();
          targets.push(this.ident());
        }
        this.expect('name', 'in');
        const iter = this.orExpr();
        let filter: Expr | undefined;
        if (this.isName('if')) {
          this.next();
          filter = this.orExpr();
        }
        if (this.isName('recursive')) throw new JinjaError('recursive loops are not supported', this.peek().pos);
        this.expect('block_end');
        const body = this.body(ENDS.for!);
        this.expect('block_begin');
        let otherwise: Stmt[] | undefined;
        if (this.ident() === 'else') {
          this.expect('block_end');
          otherwise = this.body(['endfor']);
          this.endTag('endfor');
        } else this.expect('block_end');
        return { t: 'for', pos, targets, iter, filter, body, else: otherwise };
      }
      case 'set': {
        const targets = [this.ident()];
        while (this.isOp(',')) {
          this.next();
          targets.push(this.ident());
        }
        if (this.peek().k === 'block_end' && targets.length === 1) {
          this.next();
          const body = this.body(ENDS.set!);
          this.endTag('endset');
          return { t: 'setblock', pos, name: targets[0]!, body };
        }
        this.expect('op', '=');
        const expr = this.tupleOrExpr();
        this.expect('block_end');
        return { t: 'set', pos, targets, expr };
      }
      case 'macro': {
        const name = this.ident();
        const params: Array<[string, Expr | undefined]> = [];
        this.expect('op', '(');
        while (!this.isOp(')')) {
          const n = this.ident();
          let def: Expr | undefined;
          if (this.isOp('=')) {
            this.next();
            def = this.expr();
          }
          params.push([n, def]);
          if (!this.isOp(',')) break;
          this.next();
        }
        this.expect('op', ')');
        this.expect('block_end');
        const body = this.body(ENDS.macro!);
        this.endTag('endmacro');
        return { t: 'macro', pos, name, params, body };
      }
      case 'elif':
      case 'else':
      case 'endif':
      case 'endfor':
      case 'endset':
      case 'endmacro':
      case 'endraw':
        throw new JinjaError(`unexpected {% ${kw.v} %}: no block is open here`, pos);
      default:
        throw new JinjaError(`{% ${kw.v} %} is not supported`, pos);
    }
  }

}
