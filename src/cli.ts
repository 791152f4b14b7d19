import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, displayPath, ExitCode, formatLocation } from './errors.js';
import { applyCommand, type ApplyFlags } from './commands/apply.js';
import { inventoryCommand } from './commands/inventory.js';
import { schemaCommand } from './commands/schema.js';
import { verifyCommand } from './commands/verify.js';
import { drainCommand, restoreCommand, type DrainFlags } from './commands/drain.js';
import { ipvsadmParseCommand } from './commands/ipvsadm.js';
import { registerLabCommands } from './lab/cli.js';
import { withSecrets } from './config/secrets.js';
import { Redactor } from './engine/redact.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function runOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <path>', 'inventory file or directory (repeatable); default: beside the playbook, else the local lab', collect)
    .option('--cluster <file>', 'LVS cluster model (default: cluster.yml in the inventory directory)')
    .option('-l, --limit <pattern>', 'only these hosts (Ansible host pattern)')
    .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated)')
    .option('--skip-tags <tags>', 'skip tasks with these tags')
    .option('-e, --extra-vars <vars>', 'key=value, JSON, or @file (repeatable; highest precedence)', collect)
    .option('-f, --forks <n>', 'hosts worked on at once (default 50: a whole cluster)')
    .option('-D, --diff', 'show file diffs and before/after values')
    .option('--json', 'print one JSON document (the plan or the run) instead of progress')
    .option('-v, --verbose', 'show every task and the commands that run')
    .option('-u, --user <user>', 'remote user when the inventory names none')
    .option('--private-key <file>', 'private key when the inventory names none')
    .option('-T, --timeout <seconds>', 'SSH connect timeout', '15')
    .addOption(new Option('--host-key-checking <mode>', 'host key policy').choices(['strict', 'accept-new', 'off']));
}

/** Build the command tree. Kept apart from main() so tests can parse argv without running anything. */
export function buildProgram(run: (p: Promise<number>) => void): Command {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const program = new Command('lvsible')
    .description('Declarative provisioning of LVS/IPVS load balancer clusters over SSH')
    .version(pkg.version)
    .showHelpAfterError()
    // commander prints its own errors (an unknown option quotes the argument, which may be `--password=...`).
    .configureOutput({ outputError: (str, write) => write(new Redactor().error(str)) })
    .configureHelp({ sortSubcommands: false });

  runOptions(program.command('apply <playbook>').description('bring the hosts to the declared state, then verify the cluster; PLAYBOOK may be a plan saved by `plan --out`'))
    .option('-C, --check', 'change nothing; show what would change')
    .option('--detailed-exitcode', 'with --check: exit 2 when changes are pending')
    .option('--no-verify', 'skip the cluster verification after apply')
    .action((pb: string, flags: ApplyFlags) => run(applyCommand(pb, flags, 'apply')));

  runOptions(program.command('plan <playbook>').description('show every change apply would make; exit 2 if any, 0 if none'))
    .option('-o, --out <file>', 'save the plan, for `lvsible apply FILE` (refused there if a host changed since)')
    .action((pb: string, flags: ApplyFlags) => run(applyCommand(pb, flags, 'plan')));

  program
    .command('verify')
    .description('compare the live cluster (IPVS tables, VIPs, ARP settings) with the model; exit 3 on drift')
    .option('-i, --inventory <path>', 'inventory (default: the local lab)', collect)
    .option('--cluster <file>', 'LVS cluster model')
    .option('-l, --limit <pattern>', 'only these hosts')
    .option('--ipvsadm-output <file>', 'check a director offline against saved `ipvsadm -Ln` output')
    .option('--director <host>', 'with --ipvsadm-output: which director the output is from')
    .option('--json', 'print the comparison as JSON')
    .action((flags) => run(verifyCommand(flags)));

  program
    .command('inventory')
    .description('show the inventory as Ansible would (--list JSON or --graph)')
    .option('-i, --inventory <path>', 'inventory file or directory', collect)
    .option('--cluster <file>', 'LVS cluster model')
    .option('--list', 'JSON with groups and _meta.hostvars (secrets masked)')
    .option('--graph [group]', 'tree of groups and hosts')
    .option('--host <host>', 'one host\'s variables')
    .action((flags) => run(inventoryCommand(flags)));

  program
    .command('schema [name]')
    .description('print a JSON Schema (playbook, tasks, inventory, cluster, module-NAME), or write all with --out')
    .option('--out <dir>', 'write every schema as NAME.schema.json into this directory')
    .action((name: string | undefined, flags) => run(Promise.resolve(schemaCommand(name, flags))));

  const ipvsadm = program.command('ipvsadm').description('ipvsadm helpers');
  ipvsadm
    .command('parse [file]')
    .description('parse ipvsadm output (-Ln family, -Sn, -Lnc, --timeout) into JSON; stdin when no file')
    .action((file: string | undefined) => run(ipvsadmParseCommand(file)));

  const drainOptions = (cmd: Command): Command =>
    cmd
      .option('-i, --inventory <path>', 'inventory file or directory (repeatable); default: the local lab', collect)
      .option('--cluster <file>', 'LVS cluster model (default: cluster.yml in the inventory directory)')
      .option('--force', 'go on although the directors have other changes pending (drain) or the realserver does not answer (restore)')
      .option('--json', 'print one JSON document instead of progress')
      .option('-v, --verbose', 'show every task and the commands that run')
      .option('-D, --diff', 'show the keepalived.conf / IPVS differences')
      .option('-f, --forks <n>', 'hosts worked on at once')
      .option('-u, --user <user>', 'remote user when the inventory names none')
      .option('--private-key <file>', 'private key when the inventory names none')
      .option('--connect-timeout <seconds>', 'SSH connect timeout', '15')
      .addOption(new Option('--host-key-checking <mode>', 'host key policy').choices(['strict', 'accept-new', 'off']));
  drainOptions(program.command('drain <realserver...>').description('weight 0 on every director for these realservers (hosts or addresses), recorded on the directors so every later apply keeps it, then wait for their connections to end; exit 1 with what is left on --timeout'))
    .option('--timeout <seconds>', 'how long to wait for connections to end', '300')
    .option('--no-wait', 'return once the weights are 0')
    .option('--wait-inactive', 'also wait for inactive TCP connections (FIN_WAIT, TIME_WAIT) to expire')
    .option('--reason <text>', 'why, stored with the drain and shown by plan, apply and verify')
    .action((names: string[], flags: DrainFlags) => run(drainCommand(names, flags)));
  drainOptions(program.command('restore <realserver...>').description('undo a drain: check that each realserver answers on its RIP, then give it its weight from the model again on every director'))
    .action((names: string[], flags: DrainFlags) => run(restoreCommand(names, flags)));

  registerLabCommands(program);
  return program;
}

/** The one place errors become exit codes and messages. */
export function main(argv: string[]): Promise<number> {
  // One secret store per command: what the files and flags reveal as secret is masked in everything it prints.
  return withSecrets(() => runMain(argv));
}

async function runMain(argv: string[]): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram((p) => (pending = p));
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return pending ? await pending : ExitCode.ok;
  } catch (e) {
    return report(e, argv.includes('--json'));
  }
}

function report(e: unknown, json = false): number {
  const err = e as { code?: string; exitCode?: number };
  if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? ExitCode.ok : ExitCode.error;
  }
  const redact = new Redactor();
  // `--json` serves machines on every path: a refused input is a document too (stdout), not only prose.
  if (json) {
    const issues = e instanceof ConfigError ? e.issues.map((i) => ({ ...i, file: displayPath(i.file), message: redact.error(i.message) })) : undefined;
    const message = e instanceof ConfigError ? 'problems in the input; nothing was changed and no host was contacted' : redact.error(e instanceof Error ? e.message : String(e));
    process.stdout.write(`${JSON.stringify({ error: { kind: e instanceof ConfigError ? 'input' : 'run', message, ...(issues ? { issues } : {}) } }, null, 2)}\n`);
  }
  if (e instanceof ConfigError) {
    const n = e.issues.length;
    process.stderr.write(`error: ${n} problem${n > 1 ? 's' : ''} in the input; nothing was changed and no host was contacted.\n`);
    for (const i of e.issues) process.stderr.write(`  ${redact.error(`${formatLocation(i)}: ${i.message}`)}\n`);
    return ExitCode.error;
  }
  process.stderr.write(`error: ${redact.error(e instanceof Error ? e.message : String(e))}\n`);
  if (process.env.LVSIBLE_DEBUG && e instanceof Error) process.stderr.write(`${redact.error(e.stack ?? '')}\n`);
  return ExitCode.error;
}
