/**
 * `prag mcp` as an MCP host runs it: spawned over stdio and driven by the
 * official SDK's client. Its tools answer from the user's documents on a
 * real service (sealed, verified), and a cited passage reads back as a
 * resource whose text has the hash the signed receipt names.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createIdentity } from '../../src/client/identity.js';
import { connect, type Prag } from '../../src/client/node.js';
import { PRAG_BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/index.js';
import { startTestService, type TestService } from '../helpers/service.js';

const textOf = (result: unknown) =>
  (result as { content: Array<{ type: string; text?: string }> }).content.map((c) => c.text ?? '').join('');

describe('prag mcp over stdio', () => {
  const dir = tempDir();
  let svc: TestService;
  let prag: Prag;
  let identity: string;

  const mcp = async (...extra: string[]) => {
    const client = new Client({ name: 'prag-test', version: '1.0.0' });
    const args = [PRAG_BIN, 'mcp', '--url', svc.url, '--identity', identity, ...extra];
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args,
        env: process.env as Record<string, string>,
        stderr: 'pipe',
      }),
    );
    return client;
  };

  beforeAll(async () => {
    svc = await startTestService(join(dir.path, 'service'));
    identity = join(dir.path, 'me.json');
    await createIdentity(identity);
    prag = await connect(svc.url, { identity, allowInsecureDev: true });
    const upload = (name: string, text: string, collection: string) => {
      const bytes = new TextEncoder().encode(text);
      return prag.upload({ name, size: bytes.length, bytes, collection });
    };
    await upload('allergies.txt', 'Allergy record: the patient is allergic to penicillin since 2009.', 'medical');
    await upload('garden.txt', 'The tomatoes in the garden need watering every second day in July.', 'home');
    await upload(
      'boiler.eml',
      'From: Harbour Lettings <landlord@harbour-lettings.example>\nTo: me@example.org\nSubject: Boiler repair\n' +
        'Date: Tue, 12 Mar 2024 10:00:00 +0000\nMessage-ID: <boiler-1@harbour-lettings.example>\n\n' +
        'The plumber replaced the boiler pump; the heating works again.\n',
      'mail',
    );
  });

  afterAll(async () => {
    await svc?.close();
    dir.cleanup();
  });

  test('tools search, ask, list_documents and list_collections; a cited passage as a resource', async () => {
    const client = await mcp('--allow-insecure-dev');
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['ask', 'list_collections', 'list_documents', 'search']);

      const collections = textOf(await client.callTool({ name: 'list_collections', arguments: {} }));
      expect(collections).toContain('medical  1 document');
      expect(collections).toContain('home  1 document');
      const docs = textOf(await client.callTool({ name: 'list_documents', arguments: { collection: 'home' } }));
      expect(docs).toContain('garden.txt');
      expect(docs).not.toContain('allergies.txt');

      const found = textOf(
        await client.callTool({
          name: 'search',
          arguments: { query: 'penicillin allergy', k: 3, collections: ['medical'] },
        }),
      );
      expect(found).toContain('[1] allergies.txt — medical');
      expect(found).toContain('allergic to penicillin');
      expect(found).not.toContain('tomatoes');

      const answer = textOf(
        await client.callTool({ name: 'ask', arguments: { question: 'Which allergy is recorded?' } }),
      );
      expect(answer).toMatch(/penicillin/);
      expect(answer).toMatch(/Sources:\n\[1\] allergies\.txt — medical prag:\/\/passage\/[0-9a-f]+/);
      expect(answer).toMatch(/Receipt verified: signed by service /);

      const uri = /prag:\/\/passage\/[0-9a-f]+/.exec(answer)?.[0] ?? '';
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri)).toContain(uri);
      const read = await client.readResource({ uri });
      expect((read.contents[0] as { text: string }).text).toContain('allergic to penicillin');

      const bad = await client.callTool({ name: 'search', arguments: { query: 'x', date_from: 'yesterday' } });
      expect(bad.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  test('search says which filters it read from the query and how to undo them, or that they matched nothing', async () => {
    const client = await mcp('--allow-insecure-dev');
    try {
      const search = async (args: Record<string, unknown>) =>
        textOf(await client.callTool({ name: 'search', arguments: { k: 3, ...args } }));
      const read = await search({ query: 'boiler repair in March 2024' });
      expect(read.split('\n')[0]).toBe(
        'Filters read from the query: dates 2024-03-01 to 2024-03-31 ("in March 2024"); searched: "boiler repair". ' +
          'To search the words as written, call search again with literal: true.',
      );
      expect(read).toContain('boiler pump');
      const literal = await search({ query: 'boiler repair in March 2024', literal: true });
      expect(literal).not.toContain('Filters read');
      expect(literal).toContain('boiler pump');
      // No document is dated in 2023: the date is dropped and the results are the whole question's.
      const dropped = await search({ query: 'penicillin allergy in 2023' });
      expect(dropped.split('\n')[0]).toBe(
        'Filters read from the query (dates 2023-01-01 to 2023-12-31 ("in 2023")) matched nothing; these results are unfiltered.',
      );
      expect(dropped).toContain('allergic to penicillin');
    } finally {
      await client.close();
    }
  });

  test('a service that does not verify: every tool call fails with the check that failed', async () => {
    const client = await mcp(); // no --allow-insecure-dev: the dev provider's evidence is refused
    try {
      const result = await client.callTool({ name: 'search', arguments: { query: 'penicillin' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/attestation check "dev_evidence" failed/);
    } finally {
      await client.close();
    }
  });
});
