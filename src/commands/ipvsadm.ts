import { readFileSync } from 'node:fs';
import { parseIpvsadmOutput } from '../lvs/ipvs/index.js';

export async function ipvsadmParseCommand(file: string | undefined): Promise<number> {
  const text = file && file !== '-' ? readFileSync(file, 'utf8') : await readStdin();
  process.stdout.write(`${JSON.stringify(parseIpvsadmOutput(text), null, 2)}\n`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
