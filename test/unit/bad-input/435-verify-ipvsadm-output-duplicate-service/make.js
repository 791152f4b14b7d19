// The same service twice (ipvsadm never prints that): today the last block wins silently.
// With n = 300000 copies of a matching block (26 MB) verify takes ~21 s and ~700 MB and says "matches".
const n = Number(process.env.N || 2);
const head = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
require('fs').writeFileSync('ipvsadm.txt', head + 'TCP  198.51.100.10:80 rr\n  -> 198.51.100.21:80             Route   1      0          0\n'.repeat(n));
