/**
 * The queue an SDK client's calls join before the SDK builds them (the gateway's end of
 * `gateway/sdk-seams.ts` `queueFirst`): a call waits as a {@link QueuedCall}, then the SDK builds
 * its request and the gateway's middleware (or fetch) runs it, its first attempt on the slot it
 * waited for. A call that ends while it waits (the caller aborts) is recorded here: the SDK stops
 * it before the gateway would see it again.
 */
import { credentialId } from '../admit/limiter-key.js';
import type { Admission } from '../admit/admission.js';
import {
  clientSecret,
  markQueued,
  sdkCallSpan,
  type AnthropicLikeClient,
  type CallQueue,
  type RequestLoop,
  type RequestOptions,
} from '../gateway/sdk-seams.js';
import { bodyObject, Call, type GatewayCore } from './call.js';
import { QueuedCall } from './queued-call.js';

/** A call of an SDK client waiting before the SDK builds it; its turn, once the wait ends. */
class SdkQueuedCall extends QueuedCall {
  constructor(
    private readonly core: GatewayCore,
    private readonly client: AnthropicLikeClient,
    private readonly given: RequestOptions,
    private readonly send: RequestLoop,
    admission: Admission,
    credential: string,
  ) {
    super(admission, credential, core.config.timeoutMs, given.signal ?? undefined);
  }

  /** The wait ended: the SDK builds the request from the call's options, marked with its place. */
  proceed(): Promise<unknown> {
    let sent: unknown;
    try {
      sent = this.send.run(markQueued(this.given, this));
    } catch (error) {
      sent = Promise.reject(error);
    }
    return Promise.resolve(sent).finally(() => this.done());
  }

  override done(): boolean {
    const unseen = super.done();
    // The SDK stops an aborted call before the gateway would see it again: record it here.
    if (unseen && this.end === 'aborted') endedInQueue(this.core, this, this.client, this.given);
    return unseen;
  }
}

/** One function for every call (a closure per queued call would cost it more). */
const proceed = (queued: QueuedCall) => (queued as SdkQueuedCall).proceed();

/** The queue of the calls of clients joined to `core`; `credential`, as for the middleware. */
export function callQueue(core: GatewayCore, credential: string | undefined): CallQueue {
  return {
    enter(client: AnthropicLikeClient, options: RequestOptions, send: RequestLoop) {
      if (core.closed) return undefined; // the gateway refuses the call once it is built
      const secret = credential ?? clientSecret(client);
      if (secret === undefined) return undefined; // no fixed credential: queued once built
      const who = credential ?? credentialId(secret);
      const model = bodyObject(options.body)?.model;
      const admission = core.admissionFor(who, typeof model === 'string' ? model : '*');
      return new SdkQueuedCall(core, client, options, send, admission, who).turn.then(proceed);
    },
  };
}

/** Records a call the caller aborted while it waited: its span and metrics, outcome `aborted`. */
function endedInQueue(
  core: GatewayCore,
  queued: QueuedCall,
  client: AnthropicLikeClient,
  options: RequestOptions,
): void {
  const sdkCall = sdkCallSpan(options);
  const path = options.path;
  const call = new Call(core, {
    // Never sent: the request as far as the call's telemetry needs it.
    request: {
      url: `${client.baseURL.replace(/\/$/, '')}${path}`,
      method: options.method,
      headers: new Headers(),
    },
    path,
    route: sdkCall?.route ?? path,
    body: bodyObject(options.body),
    signal: undefined,
    attemptTimeoutMs: 0,
    maxRetries: 0,
    sdkSpan: sdkCall?.span,
    queued,
    parse: () => Promise.resolve(undefined),
  });
  call.finish({ outcome: 'aborted' });
}
