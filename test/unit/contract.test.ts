/**
 * The route contract is the single source of the sealed endpoints: the
 * server registers from it, and docs/api.md must say the same. Error codes
 * likewise: every code has a status, a fixed message and a documented row.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../schemas/errors.js';
import { ROUTES } from '../../schemas/routes.js';

const API_DOC = readFileSync(resolve(import.meta.dirname, '../../docs/api.md'), 'utf8');

/** Rows of the markdown table whose header row is `header`. */
function tableRows(markdown: string, header: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === header);
  if (start < 0) throw new Error(`no table with header ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const code = (cell: string | undefined) => /^`([^`]+)`$/.exec(cell ?? '')?.[1];

describe('route contract', () => {
  it('docs/api.md lists exactly the sealed endpoints of the contract, with their sealed types', () => {
    const documented = tableRows(API_DOC, '| Route | Sealed type | Request | Reply | What it does |').map((r) => [
      code(r[0]),
      code(r[1]),
    ]);
    const contract = Object.values(ROUTES).map((r) => [`POST ${r.path}`, r.type]);
    expect(documented.sort()).toEqual(contract.sort());
  });

  it('paths and sealed types are unique: no two endpoints accept the same envelope', () => {
    const routes = Object.values(ROUTES);
    expect(new Set(routes.map((r) => r.path)).size).toBe(routes.length);
    expect(new Set(routes.map((r) => r.type)).size).toBe(routes.length);
  });

  it('docs/api.md documents exactly the error codes, each with its HTTP status and its fixed message', () => {
    const documented = tableRows(API_DOC, '| Code | Status | Message | When |').map((r) => [
      code(r[0]),
      Number(r[1]),
      r[2],
    ]);
    const table = Object.entries(ERRORS).map(([name, e]) => [name, e.status, e.message]);
    expect(documented.sort()).toEqual(table.sort());
  });
});
