import { Callable, JinjaError, newDict, toText, typeName } from './values.js';

/** Ansible's `omit`: a parameter whose value renders to this placeholder is dropped. */
export const OMIT = '__omit_place_holder__lvsible';

/** Jinja's sandbox caps range() so that `range(10**12)` cannot exhaust memory; the same cap here. */
const MAX_RANGE = 100_000;

function range(args: unknown[]): number[] {
  if (!args.length || args.length > 3 || !args.every((a) => Number.isInteger(a))) {
    throw new JinjaError(`range() takes 1 to 3 integers, got (${args.map((a) => typeName(a)).join(', ')})`);
  }
  const [start, stop, step = 1] = (args.length === 1 ? [0, args[0]] : args) as number[];
  if (step === 0) throw new JinjaError('range() step must not be zero');
  const n = Math.max(0, Math.ceil((stop! - start!) / step));
  if (n > MAX_RANGE) throw new JinjaError(`range() of ${n} items is more than the ${MAX_RANGE} allowed`);
  return Array.from({ length: n }, (_, i) => start! + i * step);
}

const unsupported = (fn: string) => (args: unknown[]) => {
  const name = typeof args[0] === 'string' ? toText(args[0], -1) : '?';
  throw new JinjaError(`not supported yet: ${fn}('${name}'): lvsible has no lookup plugins; pass the value as a variable instead`);
};

export const GLOBALS: Record<string, unknown> = Object.assign(Object.create(null), {
  range: new Callable('range', range),
  dict: new Callable('dict', (args, kwargs) => {
    if (args.length) throw new JinjaError('dict() takes keyword arguments only (dict(a=1, b=2))');
    return newDict(Object.entries(kwargs));
  }),
  lookup: new Callable('lookup', unsupported('lookup')),
  query: new Callable('query', unsupported('query')),
  q: new Callable('q', unsupported('q')),
  omit: OMIT,
});
