/**
 * HTTP(S) requests to LLM backends with what fetch cannot do: see the TLS
 * certificate of the connection and refuse it (before a byte of the request
 * is sent) when its key is not the pinned one. Node's checkServerIdentity
 * runs during the handshake; an error from it aborts the connection. Every
 * request gets its own connection (no agent), so the pin is checked on the
 * very connection that carries the request.
 */
import { X509Certificate } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import { sha256Hex } from '../crypto/receipt.js';

/** The peer's certificate as PRAG identifies it. */
export interface PeerKey {
  /** SHA-256 of the SubjectPublicKeyInfo (DER): what SecretVM puts in report_data[0:32]. */
  spkiSha256: string;
  /** SHA-256 of the whole certificate (DER): SecretVM's legacy binding. */
  certSha256: string;
}

export function peerKeyOf(certDer: Uint8Array): PeerKey {
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return { spkiSha256: sha256Hex(spki), certSha256: sha256Hex(certDer) };
}

export class PinError extends Error {
  constructor(
    readonly seen: PeerKey,
    message: string,
  ) {
    super(message);
    this.name = 'PinError';
  }
}

export interface TlsOptions {
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  ca?: string;
  /** Called with the peer's key during the handshake; a returned error refuses the connection. */
  pin?: (peer: PeerKey) => PinError | undefined;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The certificate key of the connection (https only). */
  peer?: PeerKey;
  body: AsyncIterable<Uint8Array>;
  /** The body as text, at most `limit` bytes (the rest is discarded). */
  text(limit?: number): Promise<string>;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  tls?: TlsOptions;
}

export function httpRequest(url: string, init: HttpRequest): Promise<HttpResponse> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:')
    return Promise.reject(new Error(`unsupported protocol ${target.protocol}`));
  let peer: PeerKey | undefined;
  const tlsOptions: https.RequestOptions = {
    // A custom `ca` replaces Node's bundled roots unless they are passed along.
    ca: init.tls?.ca ? [...rootCertificates, init.tls.ca] : undefined,
    checkServerIdentity(host: string, cert: PeerCertificate) {
      const error = checkServerIdentity(host, cert);
      if (error) return error;
      peer = peerKeyOf(cert.raw);
      return init.tls?.pin?.(peer);
    },
  };
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      target,
      {
        method: init.method,
        headers: {
          ...init.headers,
          ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }),
        },
        signal: init.signal,
        agent: false,
        ...(secure ? tlsOptions : {}),
      },
      (res) => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          peer,
          body: res,
          async text(limit = 64 * 1024) {
            const parts: Buffer[] = [];
            let size = 0;
            for await (const chunk of res as AsyncIterable<Buffer>) {
              if (size < limit) parts.push(chunk.subarray(0, limit - size));
              size += chunk.length;
            }
            return Buffer.concat(parts).toString('utf8');
          },
        });
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}
