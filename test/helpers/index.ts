import { mkdtempSync, readFileSync, rmSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ParsedDocument } from '../../schemas/document.js';
import { parseSource, type ParseOutcome, type SourceFile } from '../../ingest/index.js';
import { loadConfig } from '../../src/config.js';
import { TransformersEmbedder } from '../../src/embed/transformers.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';

export const SHARED = resolve(import.meta.dirname, '../../../shared');
export const fixture = (...parts: string[]) => join(SHARED, 'fixtures', ...parts);

export function fileSource(path: string): SourceFile {
  return {
    path,
    size: statSync(path).size,
    readBytes: async () => readFileSync(path),
    stream: () => createReadStream(path),
  };
}

export function bytesSource(path: string, bytes: Uint8Array | string): SourceFile {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return {
    path,
    size: data.length,
    readBytes: async () => data,
    stream: async function* () {
      yield data;
    },
  };
}

/** Every item of `items`, in order, once it ends. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export async function parseAll(src: SourceFile): Promise<ParseOutcome[]> {
  const out: ParseOutcome[] = [];
  for await (const o of parseSource(src)) out.push(o);
  return out;
}

/** Parses a source that must yield exactly the documents (no errors); returns them. */
export async function parseOk(src: SourceFile): Promise<ParsedDocument[]> {
  const out = await parseAll(src);
  const errors = out.filter((o) => !o.ok);
  if (errors.length) throw new Error(`unexpected parse errors: ${JSON.stringify(errors)}`);
  return out.map((o) => (o as { doc: ParsedDocument }).doc);
}

export const fullText = (doc: ParsedDocument) => doc.sections.map((s) => s.text).join('\n');

let embedder: Promise<TransformersEmbedder> | undefined;
export function testEmbedder(): Promise<TransformersEmbedder> {
  const c = loadConfig();
  embedder ??= TransformersEmbedder.load({ model: c.model, modelDir: c.modelDir, maxTokens: c.chunkTokens });
  return embedder;
}

export function tempDir(prefix = 'prag-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export async function openTestEngine(dataDir: string, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  return Engine.open({ dataDir, embedder: await testEmbedder(), ...extra });
}
