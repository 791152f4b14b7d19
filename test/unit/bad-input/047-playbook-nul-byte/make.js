// Writes site.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("site.yml"), { recursive: true });
writeFileSync('site.yml', "- name: base\n  hosts: all\n  tasks:\n    - name: forwarding\u0000\n      sysctl: { name: net.ipv4.ip_forward, value: '1' }\n");
