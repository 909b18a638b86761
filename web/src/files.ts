/** Files from a drop or a picker, folders walked; hidden files (dot files) are left out, as the CLI does. */

export interface PickedFile {
  /** The path inside a dropped or picked folder, else the file name. */
  path: string;
  file: File;
}

const hidden = (path: string) => path.split('/').some((part) => part.startsWith('.'));

export function fromFileList(list: FileList | null): PickedFile[] {
  return Array.from(list ?? [])
    .map((file) => ({ path: file.webkitRelativePath || file.name, file }))
    .filter((f) => !hidden(f.path));
}

const fileOf = (entry: FileSystemFileEntry) => new Promise<File>((resolve, reject) => entry.file(resolve, reject));

/** One directory's entries: readEntries answers in batches until it answers none. */
async function entriesOf(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return all;
    all.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.name.startsWith('.')) return;
  if (entry.isFile) {
    out.push({ path: entry.fullPath.replace(/^\//, ''), file: await fileOf(entry as FileSystemFileEntry) });
    return;
  }
  for (const child of await entriesOf(entry as FileSystemDirectoryEntry)) await walk(child, out);
}

/** Everything dropped: files, and the files of dropped folders in order. */
export async function fromDrop(data: DataTransfer): Promise<PickedFile[]> {
  const entries = Array.from(data.items)
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  if (!entries.length) return fromFileList(data.files);
  const out: PickedFile[] = [];
  for (const entry of entries) await walk(entry, out);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
