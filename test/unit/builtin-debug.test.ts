/**
 * `debug: var=NAME` of an undefined name prints what Ansible prints (`VARIABLE IS NOT DEFINED!`) and does not
 * fail (checked against ansible-playbook 2.x, connection local): it was corpus case 404, removed as valid Ansible.
 */
import { describe, expect, it } from 'vitest';
import { runBuiltin } from '../../src/engine/builtin.js';
import type { Invocation } from '../../src/engine/invocation.js';

const debug = (params: Record<string, unknown>, vars: Record<string, unknown> = {}) =>
  runBuiltin({ task: { module: 'debug' }, params, vars } as unknown as Invocation);

describe('debug var=', () => {
  it.each([
    ['fwd_valeu', {}],
    ['fwd_valeu.x', {}],
  ])('%s undefined: VARIABLE IS NOT DEFINED!, not a failure', (name, vars) => {
    expect(debug({ var: name }, vars)).toEqual({ failed: false, output: `${name} = VARIABLE IS NOT DEFINED!` });
  });
  it('a defined one is printed', () => {
    expect(debug({ var: 'x' }, { x: 'one' })).toEqual({ failed: false, output: 'x = one' });
  });
  it('a template error that is not an undefined name is still an error', () => {
    expect(() => debug({ var: 'x +' }, { x: 'one' })).toThrow();
  });
});
