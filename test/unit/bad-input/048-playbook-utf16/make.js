// Writes site.yml: bytes that are awkward to keep as a text file in git.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const port = process.env.PORT;
mkdirSync(dirname("site.yml"), { recursive: true });
const text = "- name: base\n  hosts: all\n  tasks:\n    - name: forwarding\n      sysctl: { name: net.ipv4.ip_forward, value: '1' }\n";
writeFileSync('site.yml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
