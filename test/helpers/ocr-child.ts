/** Child process for the offline OCR test: parses the files named on the command line in a parse sandbox and prints the outcomes as JSON. */
import { readFileSync, statSync } from 'node:fs';
import { parseSource } from '../../ingest/index.js';
import { ParseSandbox } from '../../src/engine/parse-sandbox.js';

const sandbox = new ParseSandbox({ workers: 1, timeoutMs: 120_000, maxHeapMb: 512 });
const outcomes = [];
for (const path of process.argv.slice(2)) {
  const bytes = readFileSync(path);
  const file = {
    path,
    size: statSync(path).size,
    readBytes: async () => bytes,
    stream: async function* () {
      yield bytes;
    },
  };
  for await (const o of parseSource(file, {}, sandbox.parse)) outcomes.push(o);
}
await sandbox.close();
process.stdout.write(JSON.stringify(outcomes));
