import type { Module } from '../types.js';
import { command } from './command.js';
import { copyModule } from './copy.js';
import { fileModule } from './file.js';
import { ipAddressModule } from './ip_address.js';
import { ipvs } from './ipvs.js';
import { kernel_module } from './kernel_module.js';
import { pkg } from './package.js';
import { routeModule } from './route.js';
import { service } from './service.js';
import { shell } from './shell.js';
import { sysctl } from './sysctl.js';
import { templateModule } from './template.js';

/**
 * The module registry: task keys -> modules. Each module adds one import and one entry here.
 * `package` is a reserved word in ES modules, hence the `pkg` binding.
 */
export const modules: Record<string, Module> = {
  package: pkg,
  sysctl,
  kernel_module,
  service,
  command,
  shell,
  file: fileModule,
  copy: copyModule,
  template: templateModule,
  ip_address: ipAddressModule,
  route: routeModule,
  ipvs,
};
