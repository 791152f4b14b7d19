// Writes site.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("site.yml"), { recursive: true });
let s = ''; for (let i = 0; i < 200; i++) s += ' '.repeat(2 * i) + 'k' + i + ':\n'; writeFileSync('site.yml', '- name: base\n  hosts: all\n  vars:\n' + s.replace(/^/gm, '    ') + '  tasks: []\n');
