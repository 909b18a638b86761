/**
 * Upload: files, folders and mbox archives, each encrypted in the page to the
 * attested key as it is read, one at a time; per-file progress, then the
 * service's durable queue is followed until each is ingested or failed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Prag, UploadDone, UploadStatus } from '../../../src/client/index.js';
import { fromDrop, fromFileList, type PickedFile } from '../files.js';
import { errorInfo, formatBytes, formatDate, type ErrorInfo } from '../format.js';
import { ErrorNote, useAction } from '../ui.js';

interface Item {
  key: number;
  path: string;
  file: File;
  collection: string | undefined;
  /** Plaintext bytes read and sealed so far. */
  sent: number;
  state: 'waiting' | 'sending' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  uploadId?: string;
  progress?: UploadStatus['progress'];
  result?: UploadDone;
  error?: ErrorInfo;
}

let nextKey = 0;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** Progress is redrawn at most this often while a file is read. */
const PROGRESS_MS = 100;

export function UploadScreen({ prag, onUploaded }: { prag: Prag; onUploaded: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [collection, setCollection] = useState('');
  const [dragging, setDragging] = useState(false);
  const [queue, setQueue] = useState<UploadStatus[]>([]);
  const refresh = useAction();
  const running = useRef(false);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  const update = (key: number, change: Partial<Item>) =>
    setItems((all) => all.map((item) => (item.key === key ? { ...item, ...change } : item)));

  /** The service's queue; uploads still in flight (from this page or an earlier one) are followed live. */
  const loadQueue = () =>
    refresh.run(async () => {
      const uploads = await prag.uploads(50);
      setQueue(uploads);
      const active = uploads.filter((u) => u.state === 'queued' || u.state === 'running').map((u) => u.upload_id);
      if (!active.length) return;
      for await (const status of prag.followUploads(active))
        setQueue((all) => all.map((u) => (u.upload_id === status.upload_id ? status : u)));
    });

  useEffect(loadQueue, [prag]);

  /** Follows one upload of this page through parse, embed and store to its result. */
  const follow = async (key: number, uploadId: string) => {
    try {
      let last: UploadStatus | undefined;
      for await (const status of prag.followUploads([uploadId])) {
        last = status;
        update(key, { state: status.state === 'queued' ? 'queued' : 'running', progress: status.progress });
      }
      if (last?.state === 'done' && last.result) update(key, { state: 'done', result: last.result });
      else
        update(key, {
          state: last?.state === 'cancelled' ? 'cancelled' : 'failed',
          error: last?.error ?? { code: 'upload_failed', message: 'the upload ended without a result' },
        });
    } catch (e) {
      update(key, { state: 'failed', error: errorInfo(e) });
    }
    onUploaded();
  };

  /**
   * Sends the waiting files one after another (one file's bytes in flight at a
   * time keeps the tab's memory flat); each is followed on the service once
   * it is queued there, while the next one is sent.
   */
  const drain = async () => {
    if (running.current) return;
    running.current = true;
    const following: Array<Promise<void>> = [];
    try {
      for (let next = itemsRef.current.find((i) => i.state === 'waiting'); next;) {
        const uploadId = await send(next);
        if (uploadId) following.push(follow(next.key, uploadId));
        next = itemsRef.current.find((i) => i.state === 'waiting');
      }
    } finally {
      running.current = false;
    }
    await Promise.all(following);
    loadQueue();
  };

  const send = async (item: Item): Promise<string | undefined> => {
    update(item.key, { state: 'sending' });
    let shown = 0;
    try {
      const queued = await prag.enqueue(
        { file: item.file, name: item.path, collection: item.collection },
        {
          onProgress: (sent) => {
            if (Date.now() - shown < PROGRESS_MS) return;
            shown = Date.now();
            update(item.key, { sent });
          },
        },
      );
      update(item.key, { state: 'queued', sent: item.file.size, uploadId: queued.upload_id });
      return queued.upload_id;
    } catch (e) {
      update(item.key, { state: 'failed', error: errorInfo(e) });
      return undefined;
    }
  };

  const cancel = (item: Item) =>
    refresh.run(async () => {
      if (item.uploadId) await prag.cancelUpload(item.uploadId);
    });

  const add = (picked: PickedFile[]) => {
    const target = collection.trim() || undefined;
    const added = picked.map<Item>((p) => ({
      key: nextKey++,
      path: p.path,
      file: p.file,
      collection: target,
      sent: 0,
      state: 'waiting',
    }));
    itemsRef.current = [...itemsRef.current, ...added];
    setItems(itemsRef.current);
    void drain();
  };

  return (
    <div class="layout upload">
      <section class="panel" aria-labelledby="upload-title">
        <h2 id="upload-title">Upload</h2>
        <p class="hint">
          Each file is encrypted here, to the attested key, as it is read; the service decrypts it only inside the
          verified VM. Mail archives (.mbox) are split into messages there.
        </p>
        <div class="row">
          <label for="upload-collection">Collection</label>
          <input
            id="upload-collection"
            value={collection}
            placeholder="default"
            onInput={(e) => setCollection(e.currentTarget.value)}
          />
        </div>
        <div
          class={dragging ? 'dropzone dragging' : 'dropzone'}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            if (e.dataTransfer) void fromDrop(e.dataTransfer).then(add);
          }}
        >
          <p>Drop files, folders or mbox archives here, or choose them:</p>
          <div class="row">
            <label class="button" for="upload-files">
              Choose files
            </label>
            <input
              id="upload-files"
              class="visually-hidden"
              type="file"
              multiple
              onChange={(e) => {
                add(fromFileList(e.currentTarget.files));
                e.currentTarget.value = '';
              }}
            />
            <label class="button secondary" for="upload-folder">
              Choose a folder
            </label>
            <input
              id="upload-folder"
              class="visually-hidden"
              type="file"
              // @ts-expect-error webkitdirectory is not in Preact's attribute types; every current browser supports it
              webkitdirectory=""
              onChange={(e) => {
                add(fromFileList(e.currentTarget.files));
                e.currentTarget.value = '';
              }}
            />
          </div>
        </div>
        {items.length > 0 && (
          <table class="table" data-testid="upload-table">
            <caption class="visually-hidden">Files in this session</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Collection</th>
                <th scope="col">Progress</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <UploadRow key={item.key} item={item} onCancel={() => cancel(item)} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="panel" aria-labelledby="queue-title">
        <h2 id="queue-title">On the service</h2>
        <p class="hint">The service's upload queue: uploads continue there if this page is closed.</p>
        <button type="button" class="secondary" onClick={loadQueue} disabled={refresh.busy}>
          Refresh
        </button>
        <ErrorNote error={refresh.error} />
        <table class="table" data-testid="queue-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Size</th>
              <th scope="col">State</th>
              <th scope="col">Started</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {queue.map((u) => (
              <tr key={u.upload_id}>
                <td>{u.name}</td>
                <td>{formatBytes(u.size)}</td>
                <td>
                  <span class={`badge ${u.state}`}>{u.state}</span>
                </td>
                <td>{formatDate(u.created_at, true)}</td>
                <td>
                  {u.result && `${plural(u.result.doc_ids.length, 'document')}, ${plural(u.result.chunks, 'passage')}`}
                  {u.error && (
                    <>
                      <code>{u.error.code}</code> {u.error.message}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function UploadRow({ item, onCancel }: { item: Item; onCancel: () => void }) {
  const label = `${item.path}: ${item.state}`;
  const p = item.progress;
  return (
    <tr data-state={item.state}>
      <td>
        {item.path} <span class="small">{formatBytes(item.file.size)}</span>
      </td>
      <td>{item.collection ?? 'default'}</td>
      <td>
        <progress max={item.file.size || 1} value={item.sent} aria-label={label} />{' '}
        <span class={`badge ${item.state}`}>{item.state}</span>
        {p && (item.state === 'queued' || item.state === 'running') && (
          <span class="small">
            {' '}
            {p.stage}: {plural(p.documents.parsed, 'document')}, {p.chunks.embedded}/{p.chunks.queued} passages embedded
            {p.eta_s !== null && `, about ${Math.ceil(p.eta_s)} s left`}
          </span>
        )}
        {(item.state === 'queued' || item.state === 'running') && (
          <button type="button" class="secondary small-button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </td>
      <td>
        {item.result && (
          <>
            {plural(item.result.doc_ids.length, 'document')}, {plural(item.result.chunks, 'passage')}
            {item.result.skipped > 0 && `, ${item.result.skipped} already stored`}
            {item.result.failed.length > 0 && (
              <ul class="failures">
                {item.result.failed.map((f) => (
                  <li key={f.source}>
                    {f.source}: <code>{f.error}</code>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
        {item.error && (
          <span class="error">
            <code>{item.error.code}</code> {item.error.message}
          </span>
        )}
      </td>
    </tr>
  );
}
