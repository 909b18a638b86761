// Uploads a folder to PRAG and asks a question about it, with the typed client library.
//
//   npm run build
//   node examples/upload-and-ask.mjs URL IDENTITY FOLDER "QUESTION" [--allow-insecure-dev]
//
// `connect` verifies the service's attestation before anything is sent; every file is encrypted
// here to the attested key, and the answer's receipt is verified before its final frame arrives.
import { connect, files } from 'prag/client';

const args = process.argv.slice(2);
const [url, identity, folder, question] = args.filter((a) => !a.startsWith('--'));
if (!url || !identity || !folder || !question) {
  console.error('usage: node examples/upload-and-ask.mjs URL IDENTITY FOLDER "QUESTION" [--allow-insecure-dev]');
  process.exit(2);
}

const prag = await connect(url, { identity, allowInsecureDev: args.includes('--allow-insecure-dev') });
console.log(`verified service ${prag.service.statement.service_id} as ${prag.address}`);

for (const file of await files([folder], 'example')) {
  const result = await prag.upload(file);
  console.log(`${file.path}: ${result.doc_ids.length} documents, ${result.chunks} chunks`);
}

for await (const frame of prag.ask(question, { filters: { collections: ['example'] } })) {
  if (frame.type === 'delta') process.stdout.write(frame.text);
  if (frame.type === 'final') {
    console.log('\n\nSources:');
    for (const c of frame.citations) console.log(`[${c.n}] ${c.title}`);
    console.log(`receipt verified (${frame.llm.provider}/${frame.llm.model})`);
  }
}
