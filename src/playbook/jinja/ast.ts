/**
 * The tree a template parses to. Plain data: the evaluator walks it, nothing is compiled to code. `pos` is the
 * offset in the template source, turned into line:col only when an error is reported.
 */

export type Expr =
  | { t: 'const'; pos: number; value: unknown }
  | { t: 'name'; pos: number; name: string }
  | { t: 'attr'; pos: number; obj: Expr; name: string }
  | { t: 'item'; pos: number; obj: Expr; key: Expr }
  | { t: 'slice'; pos: number; obj: Expr; start?: Expr; stop?: Expr; step?: Expr }
  | { t: 'call'; pos: number; fn: Expr; args: Expr[]; kwargs: Kwarg[] }
  | { t: 'filter'; pos: number; value: Expr; name: string; args: Expr[]; kwargs: Kwarg[] }
  | { t: 'test'; pos: number; value: Expr; name: string; args: Expr[]; kwargs: Kwarg[]; negate: boolean }
  | { t: 'unary'; pos: number; op: 'not' | '-' | '+'; operand: Expr }
  | { t: 'binary'; pos: number; op: BinaryOp; left: Expr; right: Expr }
  | { t: 'compare'; pos: number; first: Expr; rest: Array<[CompareOp, Expr]> }
  | { t: 'cond'; pos: number; test: Expr; then: Expr; else?: Expr }
  | { t: 'list'; pos: number; items: Expr[] }
  | { t: 'tuple'; pos: number; items: Expr[] }
  | { t: 'dict'; pos: number; pairs: Array<[Expr, Expr]> };

export type Kwarg = [string, Expr];
export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~' | 'and' | 'or';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notin';

export type Stmt =
  | { t: 'text'; pos: number; value: string }
  | { t: 'output'; pos: number; expr: Expr }
  | { t: 'if'; pos: number; branches: Array<[Expr, Stmt[]]>; else?: Stmt[] }
  | { t: 'for'; pos: number; targets: string[]; iter: Expr; filter?: Expr; body: Stmt[]; else?: Stmt[] }
  | { t: 'set'; pos: number; targets: string[]; expr: Expr }
  | { t: 'setblock'; pos: number; name: string; body: Stmt[] }
  | { t: 'macro'; pos: number; name: string; params: Array<[string, Expr | undefined]>; body: Stmt[] };

export type Node = Expr | Stmt;
