/**
 * The facts layer: every read of a host, as data. A fact is one shell snippet and one pure parser (a
 * `Probe<S>`); `combine` reads several as one, and `batchProbe` puts many reads into one exec, both in the one
 * framing format of sections.ts. Modules and verify build their reads only from what is exported here.
 */
export { batchProbe, combine, frame, IncompleteReadError, mapFact, marker, newNonce, splitFramed, type Combined, type Fact, type Framed, type Split } from './sections.js';
export { outputFact, statusFact } from './output.js';
export { DIFF_LIMIT, fileFact, fileProbeScript, fileText, normalizeMode, parseFileState, pathExistsFact, sha256, treeDriftFact, type FileState } from './file.js';
export { parseSysctl, procSysPath, sysctlFact, type LiveSysctl } from './sysctl.js';
export { addressesFact, canonicalDst, defaultRoutesFact, parseAddresses, parseIpJson, parseRoutes, routesFact, type IpAddr, type IpLink, type IpRoute, type RouteQuery } from './net.js';
export { serviceFact, serviceState, systemctl, sysvServiceFact, UNIT_DIR, unitEnabledFact, unitFileFact, wantsLinksFact, type ServiceState, type UnitState } from './systemd.js';
export { aptPolicyFact, checkUpdateFact, dpkgFact, packagesFact, parseAptPolicy, parseCheckUpdate, parseDpkg, parseRpmQuery, rpmFact, type PackageState } from './packages.js';
export { moduleLoadedFact } from './kernel-modules.js';
export { ipvsLiveFact, parseLive, parseLiveCaptures, splitCaptures, type Captured, type LiveIpvs } from './ipvs.js';
export { mergeListings, tunInfoTable } from './ipvs-merge.js';
export { hostNetFact, parseHostNet, type HostNetState } from './lvs-net.js';
export { factsProbe, factVars, FACT_NAMES, hostFacts, parseFacts, parseOsRelease, type HostFactParts } from './host.js';
