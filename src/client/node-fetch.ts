/**
 * Node only: fetch for streamed request bodies. Node 20's fetch (undici)
 * keeps every chunk of a ReadableStream request body in memory until the
 * request ends (nodejs/undici#4058), so uploading a 2 GB archive would hold
 * 2 GB. This sends such bodies with node:http(s), with back-pressure, and
 * answers with a Web Response; everything else goes to the global fetch.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const streamingFetch: typeof fetch = async (input, init) => {
  const body = init?.body;
  if (!(body instanceof ReadableStream)) return fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Response>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: init?.method ?? 'POST',
        headers: Object.fromEntries(new Headers(init?.headers)),
        signal: init?.signal ?? undefined,
      },
      (res) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) for (const one of [v].flat()) headers.append(k, one);
        resolve(
          new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status: res.statusCode ?? 502, headers }),
        );
      },
    );
    request.on('error', reject);
    pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>), request).catch(reject);
  });
};
