import { defineConfig } from 'vitest/config';

// Integration and e2e tests start real sshd processes and qemu VMs: give them room, and run files
// one by one so that two lab suites never fight over the same VMs.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
