/**
 * What the simulated model says: input-token estimates, the message JSON and the SSE frames of a
 * streamed message, shaped like the SDK's `Message` and `RawMessageStreamEvent` types.
 * @module
 */

/** What a generated message is made of. */
export interface MessagePlan {
  id: string;
  model: string;
  inputTokens: number;
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

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) {
    let n = 0;
    for (const block of value) {
      const text = (block as { text?: unknown } | null)?.text;
      n += typeof text === 'string' ? text.length : JSON.stringify(block ?? null).length;
    }
    return n;
  }
  return value === undefined ? 0 : JSON.stringify(value).length;
}

/**
 * A deterministic estimate of a request's input tokens: characters of `system`, of the messages'
 * content (text blocks by their text, other blocks by their JSON) and of `tools`, divided by 4,
 * plus 3 per message. Used for `count_tokens`, `usage.input_tokens` and the input-token bucket.
 */
export function estimateInputTokens(body: Readonly<Record<string, unknown>>): number {
  let chars = textLength(body.system) + textLength(body.tools);
  let overhead = 0;
  if (Array.isArray(body.messages)) {
    for (const entry of body.messages) {
      chars += textLength((entry as { content?: unknown } | null)?.content);
      overhead += 3;
    }
  }
  return Math.max(1, Math.ceil(chars / 4) + overhead);
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
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
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
