/**
 * Command-line paths → files to ingest. Files named on the command line are taken as given; folders are
 * walked, and what the walk leaves out is reported with its reason: hidden entries (a name starting with a
 * dot; hidden folders are not entered), symbolic links (not followed), kinds of file PRAG does not read, and
 * whatever a `.pragignore` file or the default rules match. A `.pragignore` holds gitignore patterns and applies
 * to its folder and everything below it; a deeper one adds to (and may `!`-negate) the rules of the ones above,
 * the default rules (a dataset's or repository's own notes: README, PROVENANCE, LICENSE, CHANGELOG) included.
 */
import { createReadStream, type Dirent } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { formatOf, type SourceFile } from '../../ingest/index.js';
import { UsageError } from './errors.js';

const IGNORE_FILE = '.pragignore';
const DEFAULT_PATTERNS = ['README*', 'PROVENANCE*', 'LICENSE*', 'CHANGELOG*'];
/** `rule` of what the default rules ignore. */
const DEFAULT_RULE = 'default';

export interface FoundFile {
  path: string;
  size: number;
}

type SkipReason = 'hidden' | 'symlink' | 'unsupported' | 'ignored' | 'unreadable';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  /** For `ignored`: the `.pragignore` whose rules matched, or `default` for the default rules. */
  rule?: string;
}

export interface FoundFiles {
  files: FoundFile[];
  skipped: SkippedFile[];
}

/** Why an entry was left out, in words. */
export function skipReason(s: SkippedFile): string {
  switch (s.reason) {
    case 'hidden':
      return 'hidden (its name starts with a dot)';
    case 'symlink':
      return 'a symbolic link (not followed)';
    case 'unsupported':
      return 'not a kind of file PRAG reads';
    case 'ignored':
      return s.rule === DEFAULT_RULE
        ? `a folder's own notes, left out by default (${DEFAULT_PATTERNS.join(', ')}; take one back with !NAME in a ${IGNORE_FILE})`
        : `matched by ${s.rule ?? IGNORE_FILE}`;
    case 'unreadable':
      return 'a folder you may not read (permission denied)';
  }
}

interface Rules {
  dir: string;
  file: string;
  ignore: Ignore;
}

/** Whether the `.pragignore` rules in force ignore `path`, the outermost first so deeper files may negate. */
function ignoredBy(rules: readonly Rules[], path: string, isDir: boolean): string | undefined {
  let by: string | undefined;
  for (const r of rules) {
    const rel = relative(r.dir, path).split(sep).join('/') + (isDir ? '/' : '');
    const { ignored, unignored } = r.ignore.test(rel);
    if (ignored) by = r.file;
    else if (unignored) by = undefined;
  }
  return by;
}

async function rulesOf(dir: string): Promise<Rules | undefined> {
  const file = join(dir, IGNORE_FILE);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  return text === undefined ? undefined : { dir, file, ignore: ignore().add(text) };
}

export async function findFiles(paths: readonly string[]): Promise<FoundFiles> {
  const files: FoundFile[] = [];
  const skipped: SkippedFile[] = [];
  const walk = async (dir: string, inherited: readonly Rules[], top = false) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (top) throw e; // a folder named on the command line: the user's mistake to hear about
      skipped.push({ path: dir, reason: 'unreadable' });
      return;
    }
    const own = await rulesOf(dir);
    const rules = own ? [...inherited, own] : inherited;
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.name === IGNORE_FILE) continue;
      const rule = ignoredBy(rules, path, e.isDirectory());
      if (rule) skipped.push({ path, reason: 'ignored', rule });
      else if (e.name.startsWith('.')) skipped.push({ path, reason: 'hidden' });
      else if (e.isSymbolicLink()) skipped.push({ path, reason: 'symlink' });
      else if (e.isDirectory()) await walk(path, rules);
      else if (!e.isFile())
        continue; // sockets, fifos, devices: not files anyone uploads
      else if (!formatOf(e.name)) skipped.push({ path, reason: 'unsupported' });
      else files.push({ path, size: (await stat(path)).size });
    }
  };
  for (const p of paths) {
    const s = await lstat(p).catch(() => undefined);
    if (!s) throw new UsageError(`${p} does not exist: name a file or a folder`);
    if (s.isDirectory()) await walk(p, [{ dir: p, file: DEFAULT_RULE, ignore: ignore().add(DEFAULT_PATTERNS) }], true);
    else files.push({ path: p, size: (await stat(p)).size });
  }
  return { files, skipped };
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
