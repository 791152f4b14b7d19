import { execFileSync } from 'node:child_process';
import type { TestContext } from 'vitest';

/** The account made by test/helpers/setup-test-user.sh (password auth, sudo that asks for a password). */
export const TEST_USER = 'lvsible-test';
export const TEST_PASSWORD = 'lvsible-test-pw';

export function testUserExists(): boolean {
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * True when the test user is there. Otherwise skips the test on a developer machine, and FAILS under CI:
 * a CI run that silently skipped password and sudo tests would prove nothing about them.
 */
export function requireTestUser(t: TestContext): boolean {
  if (testUserExists()) return true;
  const how = `user ${TEST_USER} is missing: run test/helpers/setup-test-user.sh as root`;
  if (process.env.CI) throw new Error(how);
  t.skip(how);
  return false;
}

/**
 * The user for tests that kill commands mid-way (timeouts, dropped links). A login shell killed while it
 * runs the user's rc files can leave that user's state broken: on a machine whose root .bashrc runs
 * `pyenv init` (rehash takes a lock file), a SIGKILL there leaves a stale lock and every later root login
 * waits 60 s for it. The test user's rc is Debian's default, which does nothing for non-interactive shells.
 */
export function killableUser(fallback: string): string {
  return testUserExists() ? TEST_USER : fallback;
}
