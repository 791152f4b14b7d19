import { execFileSync } from 'node:child_process';
import type { Connection, ExecOptions, ExecResult } from '../../src/types.js';
import { LocalConnection } from '../../src/transport/local.js';
import { sh } from '../../src/transport/quote.js';

/**
 * A network namespace the test owns: modules that change addresses and routes run in it for real, and
 * nothing reaches the machine's own interfaces. Veth pairs stand in for NICs (this kernel has no `dummy`).
 */
export class Netns {
  readonly name: string;
  constructor(tag: string) {
    this.name = `lvsible-${tag}-${process.pid}`;
    execFileSync('ip', ['netns', 'add', this.name]);
  }

  /** Run a setup script inside the namespace; throws with its stderr when it fails. */
  run(script: string): string {
    return execFileSync('ip', ['netns', 'exec', this.name, 'sh', '-ec', script], { encoding: 'utf8', timeout: 10_000 });
  }

  connection(): Connection {
    const local = new LocalConnection(this.name);
    const ns = this.name;
    return {
      host: ns,
      exec: (cmd: string, opts?: ExecOptions): Promise<ExecResult> => local.exec(sh`ip netns exec ${ns} sh -c ${cmd}`, { timeoutMs: 10_000, ...opts }),
      close: async () => undefined,
    };
  }

  destroy(): void {
    execFileSync('ip', ['netns', 'del', this.name]);
  }
}
