// Types for ./jaeger-check.mjs (plain JS so that the script runs on Node without a build step).

export declare const DEFAULT_URL: string;
export declare const DEFAULT_SERVICE: string;
export declare const DEFAULT_SINCE: string;
export declare const DEFAULT_LIMIT: number;
export declare const EXIT: Readonly<{ OK: 0; NOTHING_RETRIED: 1; UNREACHABLE: 2; USAGE: 64 }>;
export declare const ATTR: Readonly<{
  ATTEMPTS: 'claude_gateway.attempts';
  RESEND_COUNT: 'http.request.resend_count';
  METHOD: 'http.request.method';
  STATUS: 'http.response.status_code';
  ERROR_TYPE: 'error.type';
}>;
export declare const USAGE: string;

export interface Options {
  help: boolean;
  url: string;
  service: string;
  since: string;
  sinceMs: number;
  limit: number;
}

/** OTLP JSON AnyValue. */
export type AnyValue =
  | { stringValue: string }
  | { intValue: string | number }
  | { doubleValue: number | string }
  | { boolValue: boolean }
  | { arrayValue: { values?: AnyValue[] } }
  | { kvlistValue: { values?: KeyValue[] } }
  | { bytesValue: string };
export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  start: bigint;
  attributes: Record<string, unknown>;
  error: boolean;
  service: string;
}

export interface Call {
  traceId: string;
  name: string;
  /** claude_gateway.attempts on the logical span. */
  attempts: number;
  attemptSpans: number;
  /** Attempt spans with http.request.resend_count >= 1. */
  resends: number;
  /** Per attempt, in start order: the HTTP status, else error.type, else "?". */
  outcomes: string[];
  retried: boolean;
}

export interface Analysis {
  traceCount: number;
  spanCount: number;
  callCount: number;
  attemptCount: number;
  attemptsByStatus: Record<string, number>;
  errorTypes: string[];
  errorSpanCount: number;
  retried: Call[];
  retriedTraceIds: string[];
  incomplete: Call[];
}

export declare function parseDuration(text: string): number;
export declare function parseArgs(argv: string[], env?: Record<string, string | undefined>): Options;
export declare function buildTracesUrl(
  baseUrl: string,
  query: { service: string; start: number | Date; end: number | Date; limit?: number },
): string;
export declare function buildServicesUrl(baseUrl: string): string;
export declare function traceLink(baseUrl: string, traceId: string): string;
export declare function attributeValue(value: unknown): unknown;
export declare function attributesToObject(list: unknown): Record<string, unknown>;
export declare function normalizeId(id: unknown): string;
export declare function collectSpans(body: unknown): Span[];
export declare function analyzeTraces(body: unknown): Analysis;
export declare function formatReport(
  analysis: Analysis,
  context: { url: string; service: string; since: string; shown?: number },
): string;
export declare function run(
  argv: string[],
  io?: {
    env?: Record<string, string | undefined>;
    out?: (line: string) => void;
    err?: (line: string) => void;
    fetch?: typeof fetch;
    now?: () => number;
  },
): Promise<number>;
