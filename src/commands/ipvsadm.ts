import { checkBytes, MAX_INPUT_BYTES, readInputText } from '../config/read.js';
import { ConfigError } from '../errors.js';
import { IpvsParseError, parseIpvsadmOutput } from '../lvs/ipvs/index.js';

/** `lvsible ipvsadm parse [FILE]`: the file (or stdin) is read like every input: UTF-8 text, bounded, named. */
export async function ipvsadmParseCommand(file: string | undefined): Promise<number> {
  const name = file && file !== '-' ? file : '<stdin>';
  const text = name === '<stdin>' ? checkBytes(await readStdin(), name) : readInputText(name);
  process.stdout.write(`${JSON.stringify(parseListing(text, name), null, 2)}\n`);
  return 0;
}

/** Parse a saved listing; a line that is not ipvsadm's is an input problem of that file, at that line. */
export function parseListing(text: string, file: string): ReturnType<typeof parseIpvsadmOutput> {
  try {
    return parseIpvsadmOutput(text);
  } catch (e) {
    throw asInputError(e, file);
  }
}

/** A line of a saved listing that is not ipvsadm's: an input problem of that file, at that line, on one line. */
export function asInputError(e: unknown, file: string): unknown {
  if (!(e instanceof IpvsParseError)) return e;
  return new ConfigError([{ file, line: e.lineNo, message: `${e.reason}: ${JSON.stringify(e.line.trim().slice(0, 120))}` }]);
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > MAX_INPUT_BYTES) throw new ConfigError([{ file: '<stdin>', message: `is larger than ${MAX_INPUT_BYTES / 2 ** 20} MB` }]);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
