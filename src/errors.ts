/** Errors the gateway itself raises. API failures stay the SDK's own typed errors. */
import { AnthropicError } from '@anthropic-ai/sdk';

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
