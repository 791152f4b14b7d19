/** The LVS cluster model: load + check cluster.yml, and what is derived from it for roles, ipvs and verify. */
export { loadCluster, parseCluster, clusterFromDoc, type InventoryView } from './load.js';
export { clusterSchema } from './schema.js';
export { hostView, CLUSTER_VIEW_NAMES, directorView, realserverHosts, clusterGroups, clusterSecrets, type AddressSpec, type SysctlSpec } from './view.js';
export { desiredTable, toIpvs } from './table.js';
export { carriers } from './build.js';
export { renderKeepalivedConf, usesKeepalived } from '../keepalived/render.js';
export { parseKeepalivedConf, type ConfNode } from '../keepalived/parse.js';
export type * from './types.js';
