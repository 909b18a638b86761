/** What the sealed-request pipeline leaves in a request's context for the next step and the handler. */
import type { RequestMeta } from '../../schemas/api.js';
import type { Identity } from '../auth/permits.js';
import type { OpenedEnvelope } from '../crypto/envelope.js';
import type { Spool } from './uploads.js';

/** The verified sender of a sealed request. */
export interface Caller {
  identity: Identity;
  /** The id the stores know the sender by (a keyed hash of the address). */
  owner: string;
}

export interface SealedEnv {
  Variables: {
    /** The request body as it arrives (an upload's is teed into its spool first). */
    source: AsyncIterable<Uint8Array>;
    envelope: OpenedEnvelope;
    meta: RequestMeta;
    caller: Caller;
    /** The parsed JSON request and its exact bytes (a receipt's request hash covers them). */
    body: unknown;
    bodyBytes: Uint8Array;
    /** Upload routes: the spool file the body is teed into. */
    spool: Spool;
  };
}
