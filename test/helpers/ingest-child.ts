/** Child process for the crash test: ingests generated notes in small group commits, reporting progress on stdout. */
import { loadConfig } from '../../src/config.js';
import { TransformersEmbedder } from '../../src/embed/transformers.js';
import { Engine } from '../../src/engine/engine.js';
import { crashCorpus } from './crash-corpus.js';
import { must } from './must.js';

const dataDir = must(process.argv[2], 'the data directory (argument 1)');
const c = loadConfig();
const embedder = await TransformersEmbedder.load({ model: c.model, modelDir: c.modelDir, maxTokens: c.chunkTokens });
const engine = await Engine.open({ dataDir, embedder, groupChunks: 6, batchSize: 4 });
process.stdout.write('ready\n');
await engine.ingest(crashCorpus(), {
  owner: 'alice',
  onProgress: (p) => process.stdout.write(`committed ${p.documents}\n`),
});
process.stdout.write('done\n');
await engine.close();
