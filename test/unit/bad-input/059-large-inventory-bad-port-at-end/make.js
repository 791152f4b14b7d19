// Writes inventory/hosts.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("inventory/hosts.yml"), { recursive: true });
let s = 'all:\n  vars:\n    ansible_host: 127.0.0.1\n    ansible_port: ' + port + '\n  hosts:\n';
for (let i = 0; i < 20000; i++) s += '    web' + i + ': { motd: "' + 'x'.repeat(30) + '" }\n';
s += '    last: { ansible_port: 70000 }\n';
writeFileSync('inventory/hosts.yml', s);
