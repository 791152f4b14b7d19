import { inventoryGraph, inventoryList } from '../inventory/index.js';
import { Redactor } from '../engine/redact.js';
import { checkInventoryExists, LAB_INVENTORY } from './common.js';
import { openInventory } from './inventory-view.js';

export async function inventoryCommand(flags: { inventory?: string[]; cluster?: string; list?: boolean; graph?: string | boolean; host?: string }): Promise<number> {
  const paths = flags.inventory?.length ? flags.inventory : [LAB_INVENTORY];
  checkInventoryExists(paths);
  const redactor = new Redactor();
  const opened = openInventory(paths, { cluster: flags.cluster, redactor });
  if (flags.host) {
    process.stdout.write(`${JSON.stringify(redactor.deep(opened.view.hostVars(flags.host)), null, 2)}\n`);
  } else if (flags.graph !== undefined && flags.graph !== false) {
    process.stdout.write(`${inventoryGraph(opened.inv, typeof flags.graph === 'string' ? flags.graph : 'all')}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(redactor.deep(inventoryList(opened.inv)), null, 2)}\n`);
  }
  return 0;
}
