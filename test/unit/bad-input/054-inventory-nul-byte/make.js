// Writes inventory/hosts.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("inventory/hosts.yml"), { recursive: true });
writeFileSync('inventory/hosts.yml', "all:\n  vars:\n    ansible_host: 127.0.0.1\n    ansible_port: " + port + "\n  hosts:\n    web1: { motd: \"hi\u0000there\" }\n");
