/** The file grammars: pure validators returning a reason or null, and `mustFit` for renderers. */
export * from './common.js';
export * from './ip.js';
export * from './ifname.js';
export * from './keepalived.js';
export * from './systemd.js';
export * from './sysctl.js';
export * from './ipvsadm.js';
export * from './path.js';
export * from './names.js';
