/**
 * Chat: the request a client seals to `POST /v1/chat`, the frames the
 * service streams back sealed to it, the citations and the signed answer
 * receipt. Signing rules and an example are in schemas/chat.md.
 */
import { z } from 'zod';
import { QueryFilters, SearchFilters } from './search.js';

export const CHAT_ROLES = ['user', 'assistant'] as const;

export const ChatMessage = z
  .object({
    role: z.enum(CHAT_ROLES),
    content: z.string().trim().min(1, 'message is empty').max(32_000),
  })
  .strict();
export type ChatMessage = z.infer<typeof ChatMessage>;

export const ConversationId = z.string().regex(/^[0-9a-f]{32}$/, 'conversation ids are 32 lower-case hex characters');

export const ChatRequest = z
  .object({
    /** The conversation so far, oldest first; the last message is the question. */
    messages: z
      .array(ChatMessage)
      .min(1)
      .max(64)
      .refine((m) => m.at(-1)?.role === 'user', "the last message must be the user's question"),
    filters: SearchFilters.default({}),
    /** Read dates, senders, recipients and kinds of document in the question as filters (see `understood`). */
    understand: z.boolean().default(true),
    /** Passages retrieved before deduplication and the context budget. */
    k: z.number().int().min(1).max(32).default(8),
    model: z.string().min(1).max(128).optional(),
    /** false: one final frame instead of streamed deltas. */
    stream: z.boolean().default(true),
    /** Stream the model's reasoning (`<think>` blocks) as `reasoning` frames; it is never part of the answer. */
    reasoning: z.boolean().default(false),
    /** Store the conversation, sealed under the requester's key, as `id` (a new id when absent). */
    conversation: z
      .object({ id: ConversationId.optional(), store: z.literal(true) })
      .strict()
      .optional(),
  })
  .strict();
export type ChatRequest = z.input<typeof ChatRequest>;

export const LLM_PROVIDERS = ['secret-ai', 'openai', 'ollama', 'extractive'] as const;
export const LlmProviderName = z.enum(LLM_PROVIDERS);
export type LlmProviderName = z.infer<typeof LlmProviderName>;

export const ATTESTATION_MODES = ['require', 'warn', 'off'] as const;
export const AttestationMode = z.enum(ATTESTATION_MODES);
export type AttestationMode = z.infer<typeof AttestationMode>;

/**
 * What PRAG established about the LLM worker before sending it context.
 * `verified`: quote, TCB, measurements and the TLS key binding all held;
 * `failed`: a check failed (only possible under `warn`: `require` sends nothing);
 * `skipped`: the policy is `off`; `not_applicable`: no remote LLM (extractive) or a provider without attestation.
 */
export const WorkerAttestation = z
  .object({
    mode: AttestationMode,
    status: z.enum(['verified', 'failed', 'skipped', 'not_applicable']),
    origin: z.string().optional(),
    check: z.string().optional(),
    message: z.string().optional(),
    tcb_status: z.string().optional(),
    platform: z.string().optional(),
    mrtd: z.string().optional(),
    rtmr3: z.string().optional(),
    /** SHA-256 of the worker's TLS certificate SubjectPublicKeyInfo (DER) that the quote binds and the inference connection presented. */
    spki_sha256: z.string().optional(),
    quote_sha256: z.string().optional(),
    verified_at: z.string().optional(),
  })
  .strict();
export type WorkerAttestation = z.infer<typeof WorkerAttestation>;

export const LlmInfo = z
  .object({ provider: LlmProviderName, model: z.string(), attestation: WorkerAttestation })
  .strict();
export type LlmInfo = z.infer<typeof LlmInfo>;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 as lower-case hex');

/** One source behind an `[n]` marker of the answer. */
export const Citation = z
  .object({
    n: z.number().int().min(1),
    doc_id: z.string(),
    chunk_id: z.string(),
    title: z.string(),
    page: z.number().int().nullable(),
    section: z.string().nullable(),
    /** SHA-256 of the passage text (UTF-8) as it was given to the model. */
    chunk_hash: sha256Hex,
    owner: z.string(),
    /** The collection's name; null for a passage another owner shared by a grant of documents. */
    collection: z.string().nullable(),
    /** True when the passage is another owner's (`owner`), shared with the requester: not their own document. */
    shared: z.boolean(),
    /** True when the passage was recognised by OCR (a scanned page, an image); absent otherwise. */
    ocr: z.boolean().optional(),
    /** For an e-mail: its thread, as on search hits (the Message-ID of the thread's first message). */
    thread: z.string().optional(),
  })
  .strict();
export type Citation = z.infer<typeof Citation>;

/** A citation of a stored answer: those stored before `shared` existed lack it (their `owner` still says whose). */
const StoredCitation = Citation.extend({ shared: z.boolean().optional() });

/** Domain-separation prefix of receipt signatures. */
export const RECEIPT_CONTEXT = 'prag-answer-receipt-v1\n';

/** What the service's attested Ed25519 key signs: Ed25519(RECEIPT_CONTEXT ‖ canonical JSON of this). */
export const ReceiptBody = z
  .object({
    v: z.literal(1),
    service_id: z.string(),
    /** The signing key (the key statement's `ed25519`). */
    signer: z.string().regex(/^[0-9a-f]{64}$/),
    /** SHA-256 of the request payload bytes the client sealed. */
    request_sha256: sha256Hex,
    /** SHA-256 of the answer text (UTF-8). */
    answer_sha256: sha256Hex,
    /** chunk_hash of each citation, in citation order. */
    cited_chunks: z.array(sha256Hex),
    provider: LlmProviderName,
    model: z.string(),
    attestation: WorkerAttestation,
    created_at: z.iso.datetime(),
  })
  .strict();
export type ReceiptBody = z.infer<typeof ReceiptBody>;

export const Receipt = ReceiptBody.extend({ signature: z.string().regex(/^[0-9a-f]{128}$/) }).strict();
export type Receipt = z.infer<typeof Receipt>;

export const ChatFinal = z
  .object({
    type: z.literal('final'),
    answer: z.string(),
    citations: z.array(Citation),
    receipt: Receipt,
    llm: LlmInfo,
    conversation_id: ConversationId.optional(),
    /** Filters read from the question, as in a search reply. */
    understood: QueryFilters.optional(),
  })
  .strict();
export type ChatFinal = z.infer<typeof ChatFinal>;

/** Frames of a chat reply, in order: start, then deltas (and reasoning), then final — or error, which ends the reply. */
export const ChatFrame = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('start'), llm: LlmInfo, sources: z.number().int(), understood: QueryFilters.optional() })
    .strict(),
  z.object({ type: z.literal('delta'), text: z.string() }).strict(),
  z.object({ type: z.literal('reasoning'), text: z.string() }).strict(),
  ChatFinal,
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }).strict() }).strict(),
]);
export type ChatFrame = z.infer<typeof ChatFrame>;

/** A stored conversation, as `POST /v1/conversations/get` returns it. */
export const Conversation = z
  .object({
    id: ConversationId,
    messages: z.array(ChatMessage.extend({ citations: z.array(StoredCitation).optional() })),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .strict();
export type Conversation = z.infer<typeof Conversation>;

export const ConversationSummary = z
  .object({ id: ConversationId, title: z.string(), messages: z.number().int(), updated_at: z.string() })
  .strict();
export type ConversationSummary = z.infer<typeof ConversationSummary>;
export const ConversationGetBody = z.object({ id: ConversationId }).strict();
