/**
 * Handler shapes, one per route kind of the contract (schemas/routes.ts).
 * A handler gets the verified caller and the parsed request; it knows no HTTP.
 */
import type { z } from 'zod';
import type { UploadMeta } from '../../../schemas/api.js';
import type { ROUTES, JsonRoute, RouteName, StreamRoute, UploadRoute } from '../../../schemas/routes.js';
import type { OpenedEnvelope } from '../../crypto/envelope.js';
import type { Caller } from '../env.js';
import type { Spool } from '../uploads.js';

export type JsonHandler<R extends JsonRoute> = (
  caller: Caller,
  body: z.output<R['request']>,
) => Promise<z.input<R['reply']>> | z.input<R['reply']>;

/** A frame of a streamed reply; exactly the last one has `last`. */
export interface StreamFrame<T> {
  value: T;
  last: boolean;
}

export type StreamHandler<R extends StreamRoute> = (
  caller: Caller,
  body: z.output<R['request']>,
  /** The exact request bytes, and a signal aborted when the requester goes away. */
  context: { bodyBytes: Uint8Array; signal: AbortSignal },
) => Promise<AsyncIterable<StreamFrame<z.input<R['frame']>>>>;

export interface UploadRequest {
  envelope: OpenedEnvelope;
  meta: UploadMeta;
  spool: Spool;
}

export type UploadHandler<R extends UploadRoute> = (
  caller: Caller,
  upload: UploadRequest,
) => Promise<z.input<R['reply']>>;

type HandlerOf<R> = R extends JsonRoute
  ? JsonHandler<R>
  : R extends StreamRoute
    ? StreamHandler<R>
    : R extends UploadRoute
      ? UploadHandler<R>
      : never;

/** One handler for every route of the contract: a route without one does not compile. */
export type Handlers = { [K in RouteName]: HandlerOf<(typeof ROUTES)[K]> };
export type HandlersFor<K extends RouteName> = Pick<Handlers, K>;
