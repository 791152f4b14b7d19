/** IPVS tables: types, ipvsadm parsers and serialiser, the diff planner and verify. */
export * from './types.js';
export { normalizeAddress, serviceKey, destKey, describeService, formatAddrPort, splitAddrPort, familyOf } from './keys.js';
export { IpvsParseError, IpvsUnavailableError } from './parse-common.js';
export { parseList, parseTable, type IpvsListing, type ListFormat, type CounterListing, type PartialTable } from './parse-list.js';
export { parseSave } from './parse-save.js';
export {
  parseConnections,
  parseTimeout,
  parseDaemon,
  parseIpvsadmOutput,
  type IpvsConnection,
  type SyncDaemon,
  type ParsedOutput,
} from './parse-other.js';
export { toRestoreLines, restoreLine, tableText, serviceSelector, type IpvsOp } from './serialize.js';
export { planIpvs, isEmptyPlan, type IpvsPlan, type PlanIpvsOptions, type DrainTarget } from './plan.js';
export { normalizeService } from './compare.js';
export { compareTables, verifyDirectorOffline, formatDrift, type Drift, type CompareOptions } from './verify.js';
export { tableFromParams, ipvsParamsSchema, type IpvsParams, type ServiceParam, type DestinationParam } from './schema.js';
export { mergeListings, parseLive, liveProbeScript, type LiveIpvs } from './live.js';
