// Writes inventory/prod: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("inventory/prod"), { recursive: true });
const b = Buffer.alloc(2048); for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 1) % 256; writeFileSync('inventory/prod', b);
