import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { ConfigError, type ConfigIssue } from '../errors.js';

/**
 * The one way lvsible reads an input file (inventories, vars files, playbooks, task files, cluster.yml,
 * `-e @file`, `--limit @file`): text only, UTF-8 only, bounded in size, refused with the file named otherwise.
 * A parser never sees a NUL byte, a UTF-16 file or a 2 GB log, so its errors are about YAML, not about bytes.
 */

/** No real input comes near this (a 20k-host inventory is 10 MB); more is a mistake or an attack. */
export const MAX_INPUT_BYTES = 64 * 2 ** 20;

const CHUNK = 2 ** 20;

export function readInputText(file: string): string {
  return checkBytes(readBounded(file), file);
}

function readBounded(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw refuse(file, openMessage(e as NodeJS.ErrnoException));
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw refuse(file, 'is a directory, expected a file');
    if (st.isFile() && st.size > MAX_INPUT_BYTES) throw refuse(file, tooBig(st.size));
    // Read in chunks up to the limit, whatever stat said: a pipe or /dev/zero has no size, a file may grow.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(st.isFile() ? Math.min(Math.max(st.size - total, 0) + 1, CHUNK) : CHUNK);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_INPUT_BYTES) throw refuse(file, tooBig(total, true));
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw refuse(file, openMessage(e as NodeJS.ErrnoException));
  } finally {
    closeSync(fd);
  }
}

function openMessage(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return `cannot read: permission denied (${e.code})`;
    case 'EISDIR':
      return 'is a directory, expected a file';
    default:
      return `cannot read: ${e.code ?? e.message}`;
  }
}

const tooBig = (bytes: number, atLeast = false): string =>
  `file is ${atLeast ? 'over ' : ''}${(bytes / 2 ** 20).toFixed(1)} MB: input files are limited to ${MAX_INPUT_BYTES / 2 ** 20} MB`;

/** Bytes to text: the encoding checks, then the text checks. A UTF-8 byte order mark is dropped. */
export function checkBytes(buf: Buffer, file: string): string {
  const bom = byteOrderMark(buf);
  if (bom) throw refuse(file, `is ${bom} text (byte order mark): save it as UTF-8`);
  const guessed = wideEncoding(buf);
  if (guessed) throw refuse(file, `looks like ${guessed} text (NUL bytes between the characters): save it as UTF-8`);
  const magic = binaryKind(buf);
  if (magic) throw refuse(file, `is a binary file (${magic}), expected text`);
  if (!isUtf8(buf)) {
    const at = firstInvalidUtf8(buf);
    throw new ConfigError([{ file, ...bytePosition(buf, at), message: `invalid UTF-8 (byte 0x${hex(buf[at]!)} at offset ${at}): save the file as UTF-8` }]);
  }
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const text = buf.toString('utf8', start);
  checkText(text, file);
  return text;
}

/** Tab, LF and CR are the only control characters YAML and INI text may hold as such (YAML 1.2 §5.1). */
const CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/** Text given directly (`-e '{...}'`, tests) gets the same refusal as a file's bytes. */
export function checkText(text: string, file: string): void {
  const m = CONTROL.exec(text);
  if (!m) return;
  const code = m[0].charCodeAt(0);
  const what = code === 0 ? 'a NUL byte' : `control character U+${hex(code).padStart(4, '0')}`;
  throw new ConfigError([{ file, ...textPosition(text, m.index), message: `${what}: not a text file, or a corrupt one` }]);
}

function byteOrderMark(b: Buffer): string | undefined {
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32 LE';
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32 BE';
  if (b[0] === 0xff && b[1] === 0xfe) return 'UTF-16 LE';
  if (b[0] === 0xfe && b[1] === 0xff) return 'UTF-16 BE';
  return undefined;
}

/**
 * Without a mark, UTF-16/32 text shows its NULs in fixed places: ASCII "a" is `61 00` in UTF-16 LE and
 * `61 00 00 00` in UTF-32 LE. Most (not all: other scripts) of those places are NUL, and none of the others.
 */
function wideEncoding(b: Buffer): string | undefined {
  const n = Math.min(b.length, 256) & ~3;
  if (n < 4) return undefined;
  const zeros = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) if (b[i] === 0) zeros[i % 4]!++;
  const per = n / 4;
  const shape = zeros.map((z) => (z === 0 ? 'x' : z >= per * 0.75 ? '0' : '?')).join('');
  return WIDE[shape];
}

const WIDE: Record<string, string> = { x000: 'UTF-32 LE', '000x': 'UTF-32 BE', x0x0: 'UTF-16 LE', '0x0x': 'UTF-16 BE' };

const MAGIC: [string, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
];

/** A name for well-known binary formats; anything else binary is caught by the byte checks below. */
function binaryKind(b: Buffer): string | undefined {
  return MAGIC.find(([, sig]) => sig.every((x, i) => b[i] === x))?.[0];
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    let len: number;
    let min = 0x80;
    let max = 0xbf;
    if (c < 0x80) len = 1;
    else if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c === 0xe0) min = 0xa0;
      if (c === 0xed) max = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c === 0xf0) min = 0x90;
      if (c === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k < len; k++) {
      const x = b[i + k];
      if (x === undefined || x < (k === 1 ? min : 0x80) || x > (k === 1 ? max : 0xbf)) return i;
    }
    i += len;
  }
  return b.length;
}

/** 1-based line and column (in characters) of a byte offset; the bytes before it are valid UTF-8. */
function bytePosition(b: Buffer, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = b.indexOf(10); i !== -1 && i < offset; i = b.indexOf(10, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: [...b.toString('utf8', lineStart, offset)].length + 1 };
}

function textPosition(text: string, index: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: [...text.slice(lineStart, index)].length + 1 };
}

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

const refuse = (file: string, message: string): ConfigError => new ConfigError([{ file, message } satisfies ConfigIssue]);
