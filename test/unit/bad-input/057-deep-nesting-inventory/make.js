// Writes inventory/group_vars/all.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("inventory/group_vars/all.yml"), { recursive: true });
writeFileSync('inventory/group_vars/all.yml', 'deep: ' + '['.repeat(200) + ']'.repeat(200) + '\n');
