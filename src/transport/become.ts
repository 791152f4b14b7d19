import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { sh } from './quote.js';

/**
 * Privilege escalation with sudo. Every command runs as `sh -c <quoted>` so the remote login shell (bash,
 * zsh, fish...) never interprets it. With a password, sudo reads it from stdin (`-S`); a random prompt
 * and a random "became" marker tell the transport when sudo wants the password and when the command
 * itself starts, so the payload on stdin is never swallowed by sudo and the password never reaches the
 * command, even when sudo does not ask (NOPASSWD, cached credentials).
 */

export interface BecomeConfig {
  method: 'sudo';
  /** Default root. */
  user?: string;
  password?: string;
}

export interface BecomeLine {
  /** What goes into the SSH exec request. */
  line: string;
  /** Present when a password is to be sent: sudo prints this on stderr when it wants it. */
  prompt?: string;
  /** Present with `prompt`: the first stdout line once sudo has let the command run. */
  marker?: string;
}

export function commandLine(cmd: string, opts: { loginUser: string; become?: { user: string; password?: string } }): BecomeLine {
  const b = opts.become;
  // Becoming who we already are needs no sudo (root -> root is the common case: no sudo installed is fine).
  if (!b || b.user === opts.loginUser) return { line: sh`sh -c ${cmd}` };
  if (b.password === undefined) return { line: sh`sudo -H -n -u ${b.user} -- sh -c ${cmd}` };
  const nonce = randomBytes(8).toString('hex');
  const prompt = `[lvsible-sudo-password-${nonce}]`;
  const marker = `lvsible-became-${nonce}`;
  return {
    line: sh`sudo -H -S -p ${prompt} -u ${b.user} -- sh -c ${`echo ${marker}\n${cmd}`}`,
    prompt,
    marker,
  };
}

/**
 * Follows sudo's conversation on the streams of one exec. Feed it stdout/stderr chunks; it says when to
 * send the password, when the command has started (time for the payload), and returns the output with the
 * prompt and marker taken out.
 */
export class SudoConversation {
  private out = Buffer.alloc(0);
  private errText = '';
  private readonly decoder = new StringDecoder('utf8');
  private started = false;
  private prompts = 0;

  constructor(private readonly b: Required<Pick<BecomeLine, 'prompt' | 'marker'>>) {}

  /** Returns 'started' once the marker line has been seen (the rest of stdout is the command's). */
  onStdout(chunk: Buffer): { started: boolean; data: Buffer } {
    if (this.started) return { started: false, data: chunk };
    this.out = Buffer.concat([this.out, chunk]);
    const want = Buffer.from(`${this.b.marker}\n`);
    const at = this.out.indexOf(want);
    if (at < 0) return { started: false, data: Buffer.alloc(0) };
    this.started = true;
    const data = Buffer.concat([this.out.subarray(0, at), this.out.subarray(at + want.length)]);
    this.out = Buffer.alloc(0);
    return { started: true, data };
  }

  /** Returns how many new password prompts appeared (a second one means the password was wrong). */
  onStderr(chunk: Buffer): { prompts: number; data: string } {
    this.errText += this.decoder.write(chunk);
    let prompts = 0;
    let at: number;
    while ((at = this.errText.indexOf(this.b.prompt)) >= 0) {
      this.errText = this.errText.slice(0, at) + this.errText.slice(at + this.b.prompt.length);
      prompts++;
    }
    this.prompts += prompts;
    // Hold back a tail that could be the start of a prompt split across chunks.
    const keep = Math.min(this.errText.length, this.b.prompt.length - 1);
    const data = this.errText.slice(0, this.errText.length - keep);
    this.errText = this.errText.slice(this.errText.length - keep);
    return { prompts, data };
  }

  get promptsSeen(): number {
    return this.prompts;
  }

  get hasStarted(): boolean {
    return this.started;
  }

  /** Whatever is still held back when the channel closes. */
  flush(): { stdout: Buffer; stderr: string } {
    const r = { stdout: this.out, stderr: this.errText + this.decoder.end() };
    this.out = Buffer.alloc(0);
    this.errText = '';
    return r;
  }
}
