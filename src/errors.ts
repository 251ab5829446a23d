/** Errors the gateway itself raises. API failures stay the SDK's own typed errors. */
import { AnthropicError, APIConnectionTimeoutError } from '@anthropic-ai/sdk';

/** A setting (option or environment variable) that is missing its accepted form. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
  /** The option name, e.g. `maxRetries`. */
  readonly option: string;
  /** The environment variable, e.g. `CLAUDE_GATEWAY_MAX_RETRIES`. */
  readonly envVar: string;
  constructor(message: string, option: string, envVar: string) {
    super(message);
    this.option = option;
    this.envVar = envVar;
  }
}

/**
 * A request the gateway refused locally, before sending a byte, because the API would refuse it
 * (e.g. a body over the endpoint's documented size limit).
 */
export class GatewayRequestError extends AnthropicError {
  override readonly name = 'GatewayRequestError';
}

/**
 * The whole-call deadline (`timeoutMs`) passed: while queued, waiting, in flight or while the body
 * or stream was being read. An `APIConnectionTimeoutError`, so code that catches the SDK's timeout
 * catches it too.
 */
export class DeadlineExceededError extends APIConnectionTimeoutError {
  override readonly name = 'DeadlineExceededError';
  constructor(ms: number) {
    super({
      message: `Claude gateway: call timed out after ${ms} ms (CLAUDE_GATEWAY_TIMEOUT_MS / timeoutMs).`,
    });
  }
}

/**
 * A response body (a stream, or a JSON body after its headers) sent nothing for `idleTimeoutMs`
 * while it was being read. An `APIConnectionTimeoutError`, like the SDK's own timeouts.
 */
export class IdleTimeoutError extends APIConnectionTimeoutError {
  override readonly name = 'IdleTimeoutError';
  constructor(ms: number) {
    super({
      message: `Claude gateway: the response sent nothing for ${ms} ms while it was read (CLAUDE_GATEWAY_IDLE_TIMEOUT_MS / idleTimeoutMs).`,
    });
  }
}

/** A call through a client of a gateway that was closed (`gateway.close()`); nothing was sent. */
export class GatewayClosedError extends AnthropicError {
  override readonly name = 'GatewayClosedError';
  constructor() {
    super('Claude gateway: this gateway was closed (gateway.close()); the call was not sent.');
  }
}
