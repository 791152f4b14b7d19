/**
 * Values of cluster.yml that keepalived.conf carries as they are written (names, devices, check paths and
 * commands), checked against keepalived's grammar (src/grammar) at load, with file:line. The renderer checks
 * them again; this is where the operator hears about it, before anything connects.
 */
import type { PathSegment } from '../../config/source.js';
import {
  interfaceName, ipAddress, keepalivedName, keepalivedQuoted, keepalivedWord, type Check,
} from '../../grammar/index.js';
import type { Reporter } from './build.js';
import type { RawCluster, RawVirtualService } from './raw.js';

type CheckRaw = RawVirtualService['health_check'];

export function checkWords(raw: RawCluster, usesKeepalived: boolean, r: Reporter): void {
  const lvs = raw.lvs;
  const fit = (path: PathSegment[], value: unknown, check: Check, what: string) => {
    if (typeof value !== 'string') return;
    const why = check(value);
    if (why) r.error(path, `${what} ${JSON.stringify(value)} ${why}`);
  };
  // router_id is the director's inventory name.
  if (usesKeepalived) lvs.directors.forEach((d, i) => fit(['lvs', 'directors', i], d, keepalivedWord, 'director name (keepalived router_id)'));
  (lvs.vrrp_instances ?? []).forEach((v, i) => {
    const p = ['lvs', 'vrrp_instances', i];
    fit([...p, 'name'], v.name, keepalivedName, 'vrrp_instance name');
    fit([...p, 'interface'], v.interface, (x) => interfaceName(x), 'interface');
    // A secret: the message says what is allowed, never which of its characters is not (that would give it away).
    if (v.authentication && typeof v.authentication.pass === 'string' && keepalivedWord(v.authentication.pass)) {
      r.error([...p, 'authentication', 'pass'], 'auth_pass must be one keepalived word: no blanks, quotes, backslashes, # ! { } $ or control characters');
    }
    v.virtual_ipaddress.forEach((e, j) => {
      if (typeof e === 'object' && e) fit([...p, 'virtual_ipaddress', j, 'dev'], e.dev, (x) => interfaceName(x), 'dev');
    });
  });
  (lvs.static_vips ?? []).forEach((s, i) => fit(['lvs', 'static_vips', i, 'dev'], s.dev, (x) => interfaceName(x), 'dev'));
  if (lvs.sync_daemon) {
    fit(['lvs', 'sync_daemon', 'interface'], lvs.sync_daemon.interface, (x) => interfaceName(x), 'interface');
    fit(['lvs', 'sync_daemon', 'instance'], lvs.sync_daemon.instance, keepalivedName, 'instance');
  }
  lvs.virtual_services.forEach((vs, i) => {
    const p = ['lvs', 'virtual_services', i];
    healthCheck(vs.health_check, [...p, 'health_check'], fit);
    vs.realservers.forEach((rs, j) => healthCheck(rs.health_check, [...p, 'realservers', j, 'health_check'], fit));
  });
}

function healthCheck(c: CheckRaw, path: PathSegment[], fit: (p: PathSegment[], v: unknown, c: Check, what: string) => void): void {
  if (!c || typeof c !== 'object') return;
  fit([...path, 'misc_path'], c.misc_path, keepalivedQuoted, 'misc_path');
  fit([...path, 'path'], c.path, keepalivedWord, 'path');
  fit([...path, 'virtualhost'], c.virtualhost, keepalivedWord, 'virtualhost');
  fit([...path, 'connect_ip'], c.connect_ip, ipAddress, 'connect_ip');
}
