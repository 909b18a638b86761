#!/usr/bin/env node
// Runs the compiled CLI (`npm run build`, which `npm ci` runs through the `prepare` script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('prag: the CLI is not built; run `npm run build` in the PRAG checkout\n');
  process.exit(1);
}
await import(main.href);
