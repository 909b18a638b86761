/**
 * `prag mcp`: PRAG as an MCP server over stdio, for agent hosts (Claude
 * Desktop, Cursor, any MCP client). Tools search, ask and list; every call
 * goes through the verified connection (upstream.ts) and is sealed like the
 * CLI's, and every answer's receipt is verified before the host sees it.
 *
 * Cited passages are resources, `prag://passage/{chunk_id}`. A search hit's
 * text is known; an answer's citation carries only the passage's SHA-256
 * (signed in the receipt), so reading it searches again with the question
 * and serves the hit whose text has exactly that hash — or refuses.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { CollectionName, SearchFilters, type QueryFilters, type SearchHit } from '../../schemas/search.js';
import type { ChatFinal } from '../../schemas/chat.js';
import { sha256Hex } from '../crypto/receipt.js';
import type { Prag } from '../client/index.js';
import { understoodFilters } from '../client/understood.js';
import { Upstream } from './upstream.js';

const PASSAGE = 'prag://passage/';

const filterShape = {
  collections: z.array(CollectionName).max(64).optional().describe('only these collections'),
  date_from: SearchFilters.shape.dateFrom.describe('only documents covering dates on or after (ISO date)'),
  date_to: SearchFilters.shape.dateTo.describe('only documents covering dates on or before (ISO date)'),
  from: SearchFilters.shape.from.describe('only emails from this sender address'),
  to: SearchFilters.shape.to.describe('only emails to (or cc) this address'),
};

const filtersOf = (a: { collections?: string[]; date_from?: string; date_to?: string; from?: string; to?: string }) =>
  SearchFilters.parse({ collections: a.collections, dateFrom: a.date_from, dateTo: a.date_to, from: a.from, to: a.to });

/** What is known of a passage this session has seen. */
interface Passage {
  title: string;
  text?: string;
  /** For a cited passage: the search that finds it again, and the hash its text must have. */
  refind?: { query: string; filters: SearchFilters; chunkHash: string };
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const failure = (e: unknown) => ({ ...text(`PRAG: ${(e as Error).message}`), isError: true });

/** The first line of a search's result when filters were read from the query: which, and how to undo them. */
function understoodText(u: QueryFilters): string {
  const read = understoodFilters(u);
  return u.dropped
    ? `Filters read from the query (${read}) matched nothing; these results are unfiltered.`
    : `Filters read from the query: ${read}; searched: "${u.query}". To search the words as written, call search again with literal: true.`;
}

const hitText = (h: SearchHit, i: number) =>
  `[${i + 1}] ${h.title}${h.page !== null ? ` (p. ${h.page})` : ''}${h.collection ? ` — ${h.collection}` : ''}${h.shared ? `, shared by ${h.owner}` : ''}\n${PASSAGE}${h.chunk_id}\n${h.text}`;

function answerText(final: ChatFinal): string {
  const sources = final.citations.map(
    (c) =>
      `[${c.n}] ${c.title}${c.page !== null ? ` (p. ${c.page})` : ''}${c.collection ? ` — ${c.collection}` : ''}${c.shared ? `, shared by ${c.owner}` : ''} ${PASSAGE}${c.chunk_id}`,
  );
  const { receipt, llm } = final;
  return [
    final.answer,
    sources.length ? `\nSources:\n${sources.join('\n')}` : '\n(no sources cited)',
    `\nReceipt verified: signed by service ${receipt.service_id} at ${receipt.created_at}; answered by ${llm.provider}/${llm.model}; LLM worker attestation ${llm.attestation.status}.`,
  ].join('\n');
}

function createMcpServer(upstream: Upstream): McpServer {
  // The version of this tool set (its names and arguments), which hosts may show; not the package's.
  const server = new McpServer({ name: 'prag', version: '1.0.0' });
  const passages = new Map<string, Passage>();
  const run =
    <A>(body: (prag: Prag, args: A) => Promise<{ content: Array<{ type: 'text'; text: string }> }>) =>
    async (args: A) => {
      try {
        return await body(await upstream.get(), args);
      } catch (e) {
        return failure(e);
      }
    };

  server.registerTool(
    'search',
    {
      description:
        "Search the user's private documents on PRAG (their own and those shared with them). Returns passages with their titles and a prag://passage/ resource each. Dates, senders, recipients and kinds of document named in the query are read as filters (said in the first line); literal: true searches the words as written.",
      inputSchema: {
        query: z.string().min(1).max(4000),
        k: z.number().int().min(1).max(100).optional(),
        ...filterShape,
        literal: z.boolean().optional().describe('search the query as written, reading no filters from it'),
      },
    },
    run(async (prag, { query, k, literal, ...rest }) => {
      const { hits, understood } = await prag.search(query, {
        k: k ?? 8,
        filters: filtersOf(rest),
        ...(literal ? { understand: false } : {}),
      });
      for (const h of hits) passages.set(h.chunk_id, { title: h.title, text: h.text });
      const found = hits.length ? hits.map(hitText).join('\n\n') : 'No passages found.';
      return text(understood ? `${understoodText(understood)}\n\n${found}` : found);
    }),
  );

  server.registerTool(
    'ask',
    {
      description:
        "Ask a question about the user's private documents on PRAG. The answer cites its sources as [n]; its receipt, signed by the attested service, is verified.",
      inputSchema: {
        question: z.string().min(1).max(32_000),
        k: z.number().int().min(1).max(32).optional(),
        ...filterShape,
      },
    },
    run(async (prag, { question, k, ...rest }) => {
      const filters = filtersOf(rest);
      const final = await prag.answer(question, { filters, ...(k ? { k } : {}) });
      for (const c of final.citations)
        if (!passages.get(c.chunk_id)?.text)
          passages.set(c.chunk_id, { title: c.title, refind: { query: question, filters, chunkHash: c.chunk_hash } });
      return text(answerText(final));
    }),
  );

  server.registerTool(
    'list_documents',
    {
      description: "List the user's documents on PRAG (optionally one collection).",
      inputSchema: { collection: CollectionName.optional() },
    },
    run(async (prag, { collection }) => {
      const docs = await prag.documents(collection);
      return text(
        docs.length
          ? docs
              .map(
                (d) =>
                  `${d.doc_id}  ${d.collection}  ${d.format}  ${d.date ?? ''}  ${d.title}${d.parent_id ? '  (attachment)' : ''}`,
              )
              .join('\n')
          : 'No documents.',
      );
    }),
  );

  server.registerTool(
    'list_collections',
    { description: "List the user's collections on PRAG with their document counts." },
    run(async (prag) => {
      const collections = await prag.collections();
      return text(
        collections.length
          ? collections.map((c) => `${c.name}  ${c.documents} document${c.documents === 1 ? '' : 's'}`).join('\n')
          : 'No collections.',
      );
    }),
  );

  server.registerResource(
    'passage',
    new ResourceTemplate(`${PASSAGE}{chunk_id}`, {
      list: () => ({
        resources: [...passages].map(([id, p]) => ({ uri: `${PASSAGE}${id}`, name: p.title, mimeType: 'text/plain' })),
      }),
    }),
    { description: 'A passage of a document that a search returned or an answer cited', mimeType: 'text/plain' },
    async (uri, { chunk_id }) => {
      const id = String(chunk_id);
      const known = passages.get(id);
      if (!known) throw new Error(`${uri.href}: not a passage this session has seen (search or ask first)`);
      if (known.text === undefined && known.refind) {
        const { query, filters, chunkHash } = known.refind;
        const prag = await upstream.get();
        const { hits } = await prag.search(query, { k: 32, filters });
        const hit = hits.find((h) => h.chunk_id === id && sha256Hex(h.text) === chunkHash);
        if (!hit) throw new Error(`${uri.href}: the cited passage is no longer found with that text`);
        known.text = hit.text;
      }
      return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: known.text ?? '' }] };
    },
  );
  return server;
}

/** Serves MCP on stdin/stdout until the host closes them. */
export async function serveMcp(open: () => Promise<Prag>): Promise<void> {
  const upstream = new Upstream(open);
  // Verified before the host is told about any tool; a failure is reported by every call until it verifies.
  await upstream.get().catch((e: Error) => process.stderr.write(`prag mcp: ${e.message}\n`));
  const server = createMcpServer(upstream);
  const transport = new StdioServerTransport();
  // The host ends the server by closing stdin (the transport reports only its own close).
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
}
