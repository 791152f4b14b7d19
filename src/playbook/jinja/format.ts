import { isDict, JinjaError, NOTHING, ownValue, repr, toText, typeName, use } from './values.js';

/**
 * Python's two string formatters: `"%s-%d" % (a, b)` / `| format(a, b)`, and `"{}:{}".format(h, p)`.
 * Replacement fields name an argument only: Python's `{0.__class__}` / `{0[key]}` walk attributes of the
 * argument, the classic format-string escape, so they are refused.
 */

const PRINTF = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfFgGcrsa%])/g;

export function printf(fmt: string, values: unknown, pos: number): string {
  const list = Array.isArray(values) ? values : [values];
  let next = 0;
  const take = () => {
    if (next >= list.length) throw new JinjaError(`not enough arguments for format string ${JSON.stringify(fmt)}`, pos);
    return use(list[next++], pos);
  };
  const out = fmt.replace(PRINTF, (_m, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    let v: unknown;
    if (key !== undefined) {
      const map = list[0];
      // Through the sandbox, as every other read: an own getter or a forbidden name is not a key.
      const got = isDict(map) ? ownValue(map, key) : NOTHING;
      if (got === NOTHING) throw new JinjaError(`format key "${key}" not given`, pos);
      v = use(got, pos);
    } else v = take();
    const w = width === '*' ? Number(take()) : width ? Number(width) : 0;
    const p = prec === '*' ? Number(take()) : prec !== undefined ? Number(prec) : undefined;
    return pad(convert(v, conv, p, flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '', pos), w, flags.includes('-') ? '<' : '>', flags.includes('0') && !flags.includes('-') && conv !== 's' ? '0' : ' ');
  });
  return out;
}

function convert(v: unknown, conv: string, prec: number | undefined, sign: string, pos: number): string {
  const num = () => {
    if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
    throw new JinjaError(`%${conv} format: a number is required, not ${typeName(v)}`, pos);
  };
  const signed = (n: number, s: string) => (n >= 0 && sign ? sign + s : s);
  switch (conv) {
    case 's':
      return prec === undefined ? toText(v, pos) : toText(v, pos).slice(0, prec);
    case 'r':
    case 'a':
      return repr(v, pos);
    case 'd':
    case 'i':
    case 'u':
      return signed(num(), String(Math.trunc(num())));
    case 'x':
      return Math.trunc(num()).toString(16);
    case 'X':
      return Math.trunc(num()).toString(16).toUpperCase();
    case 'o':
      return Math.trunc(num()).toString(8);
    case 'f':
    case 'F':
      return signed(num(), num().toFixed(prec ?? 6));
    case 'e':
    case 'E': {
      const s = num().toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return signed(num(), conv === 'E' ? s.toUpperCase() : s);
    }
    case 'g':
    case 'G':
      return signed(num(), String(Number(num().toPrecision(prec || 6))));
    case 'c':
      return typeof v === 'number' ? String.fromCodePoint(v) : toText(v, pos).slice(0, 1);
  }
  throw new JinjaError(`unsupported format character "${conv}"`, pos);
}

function pad(s: string, width: number, align: string, fill: string): string {
  if (s.length >= width) return s;
  const n = width - s.length;
  if (align === '<') return s + fill.repeat(n);
  if (align === '^') return fill.repeat(Math.floor(n / 2)) + s + fill.repeat(Math.ceil(n / 2));
  if (fill === '0' && /^[+-]/.test(s)) return s[0] + '0'.repeat(n) + s.slice(1);
  return fill.repeat(n) + s;
}

const FIELD = /\{\{|\}\}|\{([^{}]*)\}/g;
const SPEC = /^(?:(.)?([<>^=]))?([-+ ])?(0)?(\d+)?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

export function strFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>, pos: number): string {
  let auto = 0;
  return fmt.replace(FIELD, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const [, name = '', conv, spec = ''] = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(field!) ?? [];
    if (/[.[]/.test(name)) throw new JinjaError(`format field {${field}}: only plain argument names or numbers are allowed`, pos);
    let v: unknown;
    if (name === '') v = args[auto++];
    else if (/^\d+$/.test(name)) v = args[Number(name)];
    else v = Object.prototype.hasOwnProperty.call(kwargs, name) ? kwargs[name] : undefined;
    if (v === undefined) throw new JinjaError(`format field {${field}} has no argument`, pos);
    use(v, pos);
    if (conv) return applySpec(repr(v, pos), spec, pos);
    return applySpec(v, spec, pos);
  });
}

function applySpec(v: unknown, spec: string, pos: number): string {
  if (!spec) return toText(v, pos);
  const m = SPEC.exec(spec);
  if (!m) throw new JinjaError(`unsupported format spec ":${spec}"`, pos);
  const [, fill, align, sign = '', zero, width, prec, type] = m;
  let s: string;
  if (type && type !== 's') s = convert(v, type === 'n' ? 'g' : type === 'b' ? 'x' : type, prec === undefined ? undefined : Number(prec), sign === '-' ? '' : sign, pos);
  else s = prec === undefined ? toText(v, pos) : toText(v, pos).slice(0, Number(prec));
  if (type === 'b') s = Math.trunc(Number(v)).toString(2);
  const numeric = typeof v === 'number';
  return pad(s, width ? Number(width) : 0, align ?? (numeric ? '>' : '<'), fill ?? (zero ? '0' : ' '));
}
