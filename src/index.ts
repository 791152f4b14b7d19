/** The library surface of lvsible: the same pieces the CLI is built from. */
export * from './types.js';
export * from './errors.js';
export { quote, sh, raw } from './transport/quote.js';
export { loadYaml, parseYaml } from './config/source.js';
export { validate } from './config/validate.js';
export { loadPlaybook } from './playbook/load.js';
export { renderValue, renderString, evalCondition } from './playbook/template.js';
export { runPlaybook, type RunOptions, type RunResult } from './engine/run.js';
export { selectTasks, type InventoryView } from './engine/scope.js';
export { precheck, precheckIssues } from './engine/precheck.js';
export type { EngineEvent, TaskEvent, Recap } from './engine/events.js';
export { Redactor } from './engine/redact.js';
export { LocalConnection } from './transport/local.js';
export { modules } from './modules/index.js';
export { main } from './cli.js';
