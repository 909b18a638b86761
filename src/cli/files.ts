/** Command-line paths → SourceFiles: files as given, folders walked (hidden entries and symlinked folders skipped). */
import { createReadStream, type Dirent } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFile } from '../../ingest/index.js';

export interface FoundFile {
  path: string;
  size: number;
}

export async function findFiles(paths: readonly string[]): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  const walk = async (dir: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push({ path: p, size: (await stat(p)).size });
    }
  };
  for (const p of paths) {
    const s = await lstat(p).catch(() => undefined);
    if (!s) throw new Error(`no such file or folder: ${p}`);
    if (s.isDirectory()) await walk(p);
    else out.push({ path: p, size: (await stat(p)).size });
  }
  return out;
}

/** A SourceFile that reports every byte read, for progress. */
export function sourceFile(f: FoundFile, onBytes: (n: number) => void = () => {}): SourceFile {
  return {
    path: f.path,
    size: f.size,
    async readBytes() {
      const b = await readFile(f.path);
      onBytes(b.length);
      return b;
    },
    async *stream() {
      for await (const chunk of createReadStream(f.path, { highWaterMark: 1024 * 1024 })) {
        onBytes((chunk as Buffer).length);
        yield chunk as Buffer;
      }
    },
  };
}
