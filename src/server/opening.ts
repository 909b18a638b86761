/**
 * What opens a spooled upload again after a restart: the exchange keys of its
 * envelope (not the service key it was sealed to, which is an epoch key that
 * a restart forgets). Kept sealed under the owner's key in the upload's row
 * and erased when the upload is done.
 */
import { z } from 'zod';
import { bytesToHex, equalBytes, hexToBytes } from '../crypto/bytes.js';
import type { ExchangeKeys, OpenedEnvelope, RecipientKeys } from '../crypto/envelope.js';
import { ReplyKeys } from '../crypto/reply.js';

const hex = z.string().regex(/^(?:[0-9a-f]{2})+$/);
const Opening = z
  .object({
    kid: hex,
    ephemeral: hex,
    header: hex,
    payload: hex,
    payload_nonce: hex,
    reply: hex,
    reply_nonce: hex,
  })
  .strict();

export function openingOf(envelope: OpenedEnvelope): string {
  const { kid, ephemeral, exchange } = envelope;
  return JSON.stringify({
    kid: bytesToHex(kid),
    ephemeral: bytesToHex(ephemeral),
    header: bytesToHex(exchange.header),
    payload: bytesToHex(exchange.payload),
    payload_nonce: bytesToHex(exchange.payloadNonce),
    reply: bytesToHex(exchange.reply.key),
    reply_nonce: bytesToHex(exchange.reply.noncePrefix),
  });
}

/** The recipient keys of exactly the spooled envelope (any other preamble is refused as misaddressed). */
export function spooledKeys(opening: string): RecipientKeys {
  const o = Opening.parse(JSON.parse(opening));
  const keys: ExchangeKeys = {
    header: hexToBytes(o.header),
    payload: hexToBytes(o.payload),
    payloadNonce: hexToBytes(o.payload_nonce),
    reply: new ReplyKeys(hexToBytes(o.reply), hexToBytes(o.reply_nonce)),
  };
  return (kid, ephemeral) =>
    equalBytes(kid, hexToBytes(o.kid)) && equalBytes(ephemeral, hexToBytes(o.ephemeral)) ? keys : undefined;
}
