// Writes inventory/hosts.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("inventory/hosts.yml"), { recursive: true });
const text = "all:\n  vars:\n    ansible_host: 127.0.0.1\n    ansible_port: " + port + "\n  hosts:\n    web1: {}\n";
writeFileSync('inventory/hosts.yml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
