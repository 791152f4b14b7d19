// Writes site.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("site.yml"), { recursive: true });
const b = Buffer.alloc(4096); for (let i = 0; i < b.length; i++) b[i] = (i * 7919 + 13) % 256; writeFileSync('site.yml', b);
