/**
 * What the simulated model says: input-token estimates, the message JSON and the SSE frames of a
 * streamed message, shaped like the SDK's `Message` and `RawMessageStreamEvent` types.
 * @module
 */

/** What a generated message is made of. */
export interface MessagePlan {
  id: string;
  model: string;
  /** Input tokens after the prompt cache's prefix (`usage.input_tokens`). */
  inputTokens: number;
  /** The prefix written to the prompt cache, or read from it (see prompt-cache.ts); 0 when none. */
  cacheCreationTokens?: number;
  cacheReadTokens?: number;
  outputTokens: number;
  stopReason: 'end_turn' | 'max_tokens';
}

/** At most this many `content_block_delta` events per message (tokens are spread over them). */
export const MAX_DELTAS = 64;

const WORDS = [
  'Simulated',
  'reply',
  'from',
  'the',
  'local',
  'Claude',
  'API',
  'simulator,',
  'one',
  'word',
  'per',
  'token.',
];

/** The API scales an image to fit these before it counts it. */
const IMAGE_MAX_EDGE = 1568;
const IMAGE_MAX_PIXELS = 1_150_000;
/** What an image costs when its size cannot be read (the API's most, about 1.15 megapixels). */
const IMAGE_TOKENS_UNREAD = 1600;
/** `IHDR`: a PNG's header chunk, after the 8-byte signature and the chunk's length. */
const PNG_IHDR = 0x49484452;

/**
 * Input tokens of a base64 image as the API counts them: (width × height) / 750 after scaling it
 * to fit {@link IMAGE_MAX_EDGE} and {@link IMAGE_MAX_PIXELS}. The size is read from a PNG's header;
 * another format costs {@link IMAGE_TOKENS_UNREAD}.
 */
export function imageTokens(data: string): number {
  const head = Buffer.from(data.slice(0, 32), 'base64');
  if (head.length < 24 || head.readUInt32BE(12) !== PNG_IHDR) return IMAGE_TOKENS_UNREAD;
  const w = head.readUInt32BE(16);
  const h = head.readUInt32BE(20);
  if (w === 0 || h === 0) return IMAGE_TOKENS_UNREAD;
  const scale = Math.min(1, IMAGE_MAX_EDGE / Math.max(w, h), Math.sqrt(IMAGE_MAX_PIXELS / (w * h)));
  return Math.max(1, Math.ceil((w * scale * h * scale) / 750));
}

/** The base64 data of an image block, when it is one. */
function imageData(block: unknown): string | undefined {
  const b = block as { type?: unknown; source?: { type?: unknown; data?: unknown } } | null;
  if (b?.type !== 'image' || b.source?.type !== 'base64') return undefined;
  return typeof b.source.data === 'string' ? b.source.data : undefined;
}

/** What content costs: characters of text (4 a token), tokens of text a character each, and of images. */
interface Size {
  chars: number;
  /** Chinese, Japanese and Korean characters: about a token each to the API's tokenizer. */
  wide: number;
  imageTokens: number;
}

/** Text other than printable ASCII and whitespace: only it can hold {@link WIDE} characters. */
const NOT_ASCII = /[^ -~\t\n\r]/;
/** Characters of the CJK scripts (ideographs, kana, hangul). */
const WIDE = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/g;

function addText(size: Size, text: string): void {
  // Most prompts are ASCII and skip the scan.
  const wide = NOT_ASCII.test(text) ? (text.match(WIDE)?.length ?? 0) : 0;
  size.chars += text.length - wide;
  size.wide += wide;
}

/** Tokens of `text` alone, as {@link estimateInputTokens} counts them (rounded down). */
export function textTokens(text: string): number {
  const size: Size = { chars: 0, wide: 0, imageTokens: 0 };
  addText(size, text);
  return Math.floor(size.chars / 4) + size.wide;
}

function addContent(size: Size, value: unknown): void {
  if (typeof value === 'string') {
    addText(size, value);
  } else if (Array.isArray(value)) {
    for (const block of value) {
      const text = (block as { text?: unknown } | null)?.text;
      const image = imageData(block);
      const inner = (block as { type?: unknown; content?: unknown } | null)?.content;
      if (typeof text === 'string') addText(size, text);
      else if (image !== undefined) size.imageTokens += imageTokens(image);
      else if ((block as { type?: unknown } | null)?.type === 'tool_result' && Array.isArray(inner))
        addContent(size, inner);
      else size.chars += JSON.stringify(block ?? null).length;
    }
  } else if (value !== undefined) {
    size.chars += JSON.stringify(value).length;
  }
}

/**
 * A deterministic estimate of a request's input tokens: characters of `system`, of the messages'
 * content (text blocks by their text, other blocks by their JSON) and of `tools`, divided by 4
 * (Chinese, Japanese and Korean characters a token each), plus 3 per message, plus base64 images as
 * the API counts them ({@link imageTokens}; in a message's content or a tool result's). Used for
 * `count_tokens`, `usage.input_tokens` and the input-token bucket.
 */
export function estimateInputTokens(body: Readonly<Record<string, unknown>>): number {
  const size: Size = { chars: 0, wide: 0, imageTokens: 0 };
  addContent(size, body.system);
  addContent(size, body.tools);
  let overhead = 0;
  if (Array.isArray(body.messages)) {
    for (const entry of body.messages) {
      addContent(size, (entry as { content?: unknown } | null)?.content);
      overhead += 3;
    }
  }
  return Math.max(1, Math.ceil(size.chars / 4) + size.wide + overhead + size.imageTokens);
}

/** The text of tokens `[from, to)`: one word per token. */
export function tokenText(from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += (i === 0 ? '' : ' ') + WORDS[i % WORDS.length];
  return text;
}

function usage(plan: MessagePlan, outputTokens: number) {
  return {
    input_tokens: plan.inputTokens,
    cache_creation_input_tokens: plan.cacheCreationTokens ?? 0,
    cache_read_input_tokens: plan.cacheReadTokens ?? 0,
    cache_creation: {
      ephemeral_5m_input_tokens: plan.cacheCreationTokens ?? 0,
      ephemeral_1h_input_tokens: 0,
    },
    output_tokens: outputTokens,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    inference_geo: null,
    speed: 'standard',
  };
}

function message(plan: MessagePlan, content: unknown[], stopReason: string | null, outputTokens: number) {
  return {
    id: plan.id,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: usage(plan, outputTokens),
  };
}

/** The JSON of a complete (non-streamed) message. */
export function messageJson(plan: MessagePlan): string {
  const text = { type: 'text', text: tokenText(0, plan.outputTokens), citations: null };
  return JSON.stringify(message(plan, [text], plan.stopReason, plan.outputTokens));
}

/** One SSE frame: `event: <type>` and `data: <json>`. */
export function sseFrame(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

/** The frames of a streamed message and when each is due (ms after the response starts). */
export interface StreamPlan {
  frames: string[];
  due: number[];
  /** Number of `content_block_delta` frames; they are `frames[PREFIX_FRAMES … PREFIX_FRAMES + deltas − 1]`. */
  deltas: number;
  /** Output tokens in all: the first `d` deltas carry `⌊d × tokens / deltas⌋`. */
  tokens: number;
}

/** Frames before the first delta: `message_start`, `content_block_start`, `ping`. */
export const PREFIX_FRAMES = 3;

/**
 * The documented event order: `message_start`, `content_block_start`, `ping`,
 * `content_block_delta`×n, `content_block_stop`, `message_delta` (usage, stop_reason),
 * `message_stop`. The prefix is due at once; delta `i` at `ttft + msPerToken × tokens before it`;
 * the end at `ttft + msPerToken × outputTokens`, the duration of the same non-streamed message.
 */
export function streamPlan(plan: MessagePlan, ttftMs: number, msPerToken: number): StreamPlan {
  const frames: string[] = [];
  const due: number[] = [];
  const push = (event: string, data: unknown, at: number) => {
    frames.push(sseFrame(event, JSON.stringify(data)));
    due.push(at);
  };
  push('message_start', { type: 'message_start', message: message(plan, [], null, 1) }, 0);
  push(
    'content_block_start',
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } },
    0,
  );
  push('ping', { type: 'ping' }, 0);
  const total = plan.outputTokens;
  const deltas = Math.min(total, MAX_DELTAS);
  for (let i = 0; i < deltas; i++) {
    const from = Math.floor((i * total) / deltas);
    const to = Math.floor(((i + 1) * total) / deltas);
    push(
      'content_block_delta',
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: tokenText(from, to) } },
      ttftMs + msPerToken * from,
    );
  }
  const end = ttftMs + msPerToken * total;
  push('content_block_stop', { type: 'content_block_stop', index: 0 }, end);
  const {
    input_tokens,
    cache_creation_input_tokens,
    cache_read_input_tokens,
    output_tokens,
    output_tokens_details,
    server_tool_use,
  } = usage(plan, total);
  push(
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: plan.stopReason, stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens,
        cache_creation_input_tokens,
        cache_read_input_tokens,
        output_tokens,
        output_tokens_details,
        server_tool_use,
      },
    },
    end,
  );
  push('message_stop', { type: 'message_stop' }, end);
  return { frames, due, deltas, tokens: total };
}
