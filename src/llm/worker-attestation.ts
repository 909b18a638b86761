/**
 * Before any retrieved context goes to a Secret AI worker: is it a SecretVM
 * running what the policy allows, and is the TLS key we talk to the one its
 * quote binds? The worker's gateway serves its SecretVM quote on the inference
 * origin (`GET /cpu`, hex) and, when not hidden, its compose
 * (`GET /docker-compose`); since SecretVM v0.0.32 report_data[0:32] =
 * SHA-256(SubjectPublicKeyInfo DER) of that TLS certificate (older images:
 * SHA-256 of the certificate DER). The quote is verified with the same code
 * that clients use to verify PRAG (src/attest). The inference
 * connection is then pinned to that key (src/llm/http.ts). Results are cached
 * per origin until the quote or the key changes; the quote is re-read after
 * `refreshMs`.
 */
import type { Collateral } from '@phala/dcap-qvl';
import type { AttestationPolicy } from '../../schemas/attestation.js';
import type { AttestationMode, WorkerAttestation } from '../../schemas/chat.js';
import { bytesToHex, equalBytes, hexToBytes } from '../crypto/bytes.js';
import { sha256Hex } from '../crypto/receipt.js';
import { checkSecretVmWorkload, matchMeasurements } from '../attest/attestation.js';
import { AttestationError } from '../attest/errors.js';
import { verifyTdQuote, type TdMeasurements } from '../attest/quote.js';
import { httpRequest, type PeerKey } from './http.js';

export interface WorkerAttestorOptions {
  policy: AttestationPolicy;
  collateral: (quote: Uint8Array) => Promise<Collateral>;
  /** Extra CA (PEM) trusted for the worker's TLS. */
  ca?: string;
  /** Re-read the quote after this long. */
  refreshMs: number;
  timeoutMs: number;
  now?: () => number;
}

export interface AttestedWorker {
  origin: string;
  peer: PeerKey;
  summary: WorkerAttestation;
}

const MAX_QUOTE_HEX = 64 * 1024;
const MAX_COMPOSE = 1024 * 1024;

// A function declaration (not an arrow) so that calling it narrows like a throw does.
function fail(check: ConstructorParameters<typeof AttestationError>[0], message: string): never {
  throw new AttestationError(check, message);
}

/** report_data[0:32] binds the TLS key (SPKI) or, on older images, the whole certificate. */
export function checkTlsBinding(reportData: Uint8Array, peer: PeerKey): void {
  const bound = reportData.subarray(0, 32);
  if (!equalBytes(bound, hexToBytes(peer.spkiSha256)) && !equalBytes(bound, hexToBytes(peer.certSha256))) {
    fail(
      'binding',
      `report_data[0:32] (${bytesToHex(bound).slice(0, 16)}…) is not the SHA-256 of the TLS key this worker presented (${peer.spkiSha256.slice(0, 16)}…)`,
    );
  }
}

/** A quote served as hex text; attest-tool pads it with zero bytes, which dcap-qvl accepts. */
function quoteFromHex(text: string): Uint8Array {
  const hex = text.trim().toLowerCase();
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) fail('quote', "the worker's /cpu is not a hex quote");
  return hexToBytes(hex);
}

export class WorkerAttestor {
  private readonly verified = new Map<string, { quoteSha256: string; attested: AttestedWorker; readAt: number }>();

  constructor(
    readonly mode: Exclude<AttestationMode, 'off'>,
    private readonly options: WorkerAttestorOptions,
  ) {}

  /** Throws AttestationError naming the failed check. */
  async attest(origin: string, signal: AbortSignal): Promise<AttestedWorker> {
    const now = this.options.now ?? Date.now;
    const cached = this.verified.get(origin);
    if (cached && now() - cached.readAt < this.options.refreshMs) return cached.attested;
    if (!origin.startsWith('https://'))
      fail('transport', `the worker ${origin} is not served over https: its TLS key is what the quote binds`);
    const cpu = await this.get(`${origin}/cpu`, signal, MAX_QUOTE_HEX);
    const quote = quoteFromHex(cpu.text);
    const quoteSha256 = sha256Hex(quote);
    if (cached && cached.quoteSha256 === quoteSha256 && cached.attested.peer.spkiSha256 === cpu.peer.spkiSha256) {
      cached.readAt = now();
      return cached.attested;
    }
    this.verified.delete(origin);
    const { policy } = this.options;
    const collateral = await this.options.collateral(quote).catch((e: Error) => fail('collateral', e.message));
    const quoteResult = verifyTdQuote(quote, collateral, Math.floor(now() / 1000));
    if (!policy.tcb_status.includes(quoteResult.status as never))
      fail('tcb_status', `TCB status ${quoteResult.status} is not accepted by the worker policy`);
    const label = await this.checkWorkload(origin, quoteResult.td, policy, signal, cpu.peer);
    checkTlsBinding(quoteResult.td.reportData, cpu.peer);
    const attested: AttestedWorker = {
      origin,
      peer: cpu.peer,
      summary: {
        mode: this.mode,
        status: 'verified',
        origin,
        tcb_status: quoteResult.status,
        ...(label ? { platform: label } : {}),
        mrtd: quoteResult.td.mrtd,
        rtmr3: quoteResult.td.rtmr3,
        spki_sha256: cpu.peer.spkiSha256,
        quote_sha256: quoteSha256,
        verified_at: new Date(now()).toISOString(),
      },
    };
    this.verified.set(origin, { quoteSha256, attested, readAt: now() });
    return attested;
  }

  /** The worker's TLS key changed (or must be looked at again): the next request re-attests. */
  invalidate(origin: string): void {
    this.verified.delete(origin);
  }

  /**
   * MRTD and RTMR0-2 name an allowed image; RTMR3 is either pinned in the
   * policy or replayed from the compose the worker serves (which must be an
   * allowed one). Returns the matched entry's label.
   */
  private async checkWorkload(
    origin: string,
    td: TdMeasurements,
    policy: AttestationPolicy,
    signal: AbortSignal,
    peer: PeerKey,
  ): Promise<string | undefined> {
    const candidates = matchMeasurements(td, policy);
    if (policy.compose_sha256.length) {
      const compose = await this.get(`${origin}/docker-compose`, signal, MAX_COMPOSE);
      if (compose.peer.spkiSha256 !== peer.spkiSha256)
        fail('binding', 'the worker presented another TLS key for its compose than for its quote');
      return checkSecretVmWorkload(td, candidates, new TextEncoder().encode(compose.text), policy).entry.label;
    }
    const pinned = candidates.filter((c) => c.rtmr3);
    if (!pinned.length) fail('measurements', 'the worker policy pins neither an RTMR3 nor a compose for this image');
    const entry =
      pinned.find((c) => c.rtmr3 === td.rtmr3) ??
      fail('rtmr3', `RTMR3 (${td.rtmr3.slice(0, 16)}…) is not a pinned worker workload`);
    return entry.label;
  }

  private async get(url: string, signal: AbortSignal, limit: number): Promise<{ text: string; peer: PeerKey }> {
    const res = await httpRequest(url, {
      method: 'GET',
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]),
      tls: { ca: this.options.ca },
    }).catch((e: Error) => fail('transport', `cannot fetch ${new URL(url).pathname} from the worker: ${e.message}`));
    if (res.status !== 200) fail('transport', `the worker answered HTTP ${res.status} for ${new URL(url).pathname}`);
    if (!res.peer) fail('transport', 'no TLS certificate seen');
    return { text: await res.text(limit), peer: res.peer };
  }
}
