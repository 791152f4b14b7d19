import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_VARS, connectionVars, hostVars, isSecretVar, loadInventory, redactVars } from '../../src/inventory/index.js';

const FIX = resolve('test/fixtures/inventories');

describe('connectionVars', () => {
  it('defaults to the inventory name and port 22, and leaves the user to the caller', () => {
    expect(connectionVars({ inventory_hostname: 'lb1' })).toEqual({ host: 'lb1', port: 22 });
  });

  it('reads the Ansible names from merged host vars (INI: ansible_become=true is text, still true)', () => {
    const inv = loadInventory([join(FIX, 'ini/hosts.ini')]);
    expect(connectionVars(hostVars(inv, 'lb2.example.com'))).toEqual({
      host: '192.168.56.12',
      port: 2222,
      user: 'deploy',
      become: true,
      becomePassword: 's3cret',
    });
  });

  it('takes host key settings from lvsible_* vars, else from -o options in ansible_ssh_common_args', () => {
    const inv = loadInventory([join(FIX, 'dir')]);
    const args = '-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/lab_known_hosts';
    expect(connectionVars(hostVars(inv, 'rs1'))).toEqual({
      host: 'rs1',
      port: 2201,
      user: 'lab2',
      sshCommonArgs: args,
      hostKeyChecking: 'strict',
      knownHostsFile: '/tmp/rs1_known_hosts',
    });
    expect(connectionVars(hostVars(inv, 'rs2'))).toMatchObject({ hostKeyChecking: 'accept-new', knownHostsFile: '/tmp/lab_known_hosts' });
  });

  it('understands the older and alternative names', () => {
    expect(
      connectionVars({
        inventory_hostname: 'h',
        ansible_ssh_host: '10.0.0.9',
        ansible_ssh_port: '2022',
        ansible_ssh_user: 'ops',
        ansible_ssh_pass: 'pw1',
        ansible_private_key_file: '~/.ssh/lab',
        ansible_become: 'yes',
        ansible_become_user: 'postgres',
        ansible_become_pass: 'pw2',
        ansible_ssh_extra_args: '-o StrictHostKeyChecking=no',
        ansible_connection: 'local',
      }),
    ).toEqual({
      host: '10.0.0.9',
      port: 2022,
      user: 'ops',
      password: 'pw1',
      privateKeyPath: '~/.ssh/lab',
      become: true,
      becomeUser: 'postgres',
      becomePassword: 'pw2',
      sshExtraArgs: '-o StrictHostKeyChecking=no',
      hostKeyChecking: 'off',
      local: true,
    });
    expect(connectionVars({ inventory_hostname: 'h', ansible_host_key_checking: false }).hostKeyChecking).toBe('off');
    expect(connectionVars({ inventory_hostname: 'h', ansible_become: 'no' }).become).toBe(false);
  });

  it('refuses a bad port or host key mode, without echoing secrets', () => {
    expect(() => connectionVars({ inventory_hostname: 'h', ansible_port: 'ssh' })).toThrow(/h: ansible_port must be a number from 1 to 65535, got "ssh"/);
    expect(() => connectionVars({ inventory_hostname: 'h', ansible_port: 0 })).toThrow(/1 to 65535/);
    expect(() => connectionVars({ inventory_hostname: 'h', lvsible_host_key_checking: 'yes' })).toThrow(/strict, accept-new or off/);
  });
});

describe('secrets', () => {
  it('lists the password variables and recognises secret-looking names', () => {
    for (const v of ['ansible_password', 'ansible_ssh_pass', 'ansible_become_password', 'ansible_become_pass', 'auth_pass']) {
      expect(SECRET_VARS).toContain(v);
    }
    expect(isSecretVar('keepalived_auth_pass')).toBe(true);
    expect(isSecretVar('vault_db_password')).toBe(true);
    expect(isSecretVar('api_token')).toBe(true);
    expect(isSecretVar('ansible_ssh_private_key_file')).toBe(false);
    expect(isSecretVar('bypass')).toBe(false);
    expect(isSecretVar('passive')).toBe(false);
  });

  it('redacts at any depth and leaves the input alone', () => {
    const input = { a: 1, ansible_password: 'x', nested: { list: [{ auth_pass: 'y', ok: 2 }] }, empty_password: null };
    expect(redactVars(input)).toEqual({
      a: 1,
      ansible_password: '********',
      nested: { list: [{ auth_pass: '********', ok: 2 }] },
      empty_password: null,
    });
    expect(input.ansible_password).toBe('x');
  });
});
