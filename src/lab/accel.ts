import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './proc.js';

export type Accel = 'kvm' | 'tcg';

export interface AccelChoice {
  accel: Accel;
  why: string;
}

/**
 * KVM only counts when a Linux kernel actually runs under it: on some hosts /dev/kvm opens and the BIOS
 * even starts, then the kernel hangs or qemu aborts on an MSR. So boot the lab kernel with no root disk
 * and wait (bounded) for its panic on the serial console; anything else means TCG.
 */
export async function chooseAccel(kernel: string, timeoutMs = 10_000, env: NodeJS.ProcessEnv = process.env): Promise<AccelChoice> {
  const forced = env.LVSIBLE_LAB_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { accel: forced, why: 'LVSIBLE_LAB_ACCEL' };
  if (!existsSync('/dev/kvm')) return { accel: 'tcg', why: 'no /dev/kvm' };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', why: '/dev/kvm is not accessible to this user' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'lvsible-kvm-'));
  const con = join(dir, 'console');
  const child = spawn(
    'qemu-system-x86_64',
    ['-accel', 'kvm', '-cpu', 'host', '-m', '128', '-nodefaults', '-display', 'none', '-no-reboot', '-serial', `file:${con}`,
      '-kernel', kernel, '-append', 'console=ttyS0 panic=-1 rdinit=/nonexistent root=/dev/nonexistent'],
    { stdio: 'ignore' },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  const ok = await waitFor(() => {
    const text = existsSync(con) ? readFileSync(con, 'utf8') : '';
    if (text.includes('Kernel panic')) return true;
    return exited ? false : undefined;
  }, timeoutMs, 200);
  if (!exited) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  return ok ? { accel: 'kvm', why: 'a kernel booted under KVM' } : { accel: 'tcg', why: `a kernel did not boot under KVM within ${timeoutMs / 1000} s` };
}
