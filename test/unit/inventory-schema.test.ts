import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { inventorySchema, varsFileSchema } from '../../src/inventory/index.js';
import { connectionVarsSchema } from '../../src/inventory/schema.js';

describe('published inventory schemas', () => {
  it('compile under strict Ajv (what editors and `lvsible schema` consumers get)', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    expect(() => ajv.compile(inventorySchema)).not.toThrow();
    expect(() => new Ajv({ strict: true, allowUnionTypes: true }).compile(varsFileSchema)).not.toThrow();
  });

  it('document every ansible_*/lvsible_* variable that connectionVars reads', () => {
    const src = readFileSync('src/inventory/connection.ts', 'utf8');
    const read = new Set([...src.matchAll(/vars\.((?:ansible|lvsible)_\w+)/g)].map((m) => m[1]!));
    const documented = new Set(Object.keys(connectionVarsSchema));
    const missing = [...read].filter((v) => !documented.has(v));
    expect(missing).toEqual([]);
    for (const [name, s] of Object.entries(connectionVarsSchema)) expect(s.description, name).toMatch(/\w/);
  });
});
