// Binary with a terminal escape (ESC ] 0; title BEL, ESC [2J): today the raw bytes are echoed to stderr.
require('fs').writeFileSync('ipvsadm.txt', Buffer.concat([Buffer.from('\x1b]0;OWNED-TITLE\x07\x1b[2J\x00\x01\x02'), Buffer.from([0xff, 0xfe, 0x80])]));
