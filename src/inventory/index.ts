/** Ansible-compatible inventory: loading, variable precedence, host patterns, connection settings, output. */
export { loadInventory, readInventory, looksLikeYaml, INVENTORY_DIR_IGNORE } from './load.js';
export {
  addGroup,
  createInventory,
  groupHosts,
  groupMembers,
  hostGroups,
  type GroupEntry,
  type HostEntry,
  type Inventory,
  type VarsDir,
  type VarsFile,
} from './model.js';
export {
  VARIABLE_PRECEDENCE,
  groupDepth,
  groupPriority,
  groupVars,
  hostVarLayers,
  hostVars,
  magicVars,
  sortGroups,
  varLocation,
  type HostVarsOptions,
  type PrecedenceLayer,
  type VarLayer,
} from './vars.js';
export { loadVarsDir, readVarsFile, varsFileFor } from './vars-dirs.js';
export { resolvePattern, resolvePatternDetailed, splitPattern, patternProblems, unmatchedTerms, type PatternOptions } from './patterns.js';
export {
  REDACTED,
  SECRET_VARS,
  connectionVars,
  isSecretVar,
  redactVars,
  toBool,
  type ConnectionVars,
  type HostKeyChecking,
} from './connection.js';
export { inventoryGraph, inventoryList, type ListOptions } from './output.js';
export { inventorySchema, varsFileSchema } from './schema.js';
export { expandHostRange, parseHostKey } from './ranges.js';
export { parseIniValue } from './pyliteral.js';
