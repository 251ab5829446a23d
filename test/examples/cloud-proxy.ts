/**
 * A stand-in for Amazon Bedrock and Google Vertex AI in front of the simulator, which serves only
 * the Claude API's own paths: it maps Bedrock's `/model/{model}/invoke[-with-response-stream]` and
 * Vertex's `…/publishers/anthropic/models/{model}:[stream]rawPredict` to `POST /v1/messages` (the
 * model and `stream` back into the body, `anthropic_version` out), a SigV4 or Google credential to
 * a simulator key per account or project and region, and answers as Google's metadata server does
 * for Application Default Credentials (`GCE_METADATA_HOST`). Cloud answers carry no
 * `anthropic-organization-id`: it is dropped. Test-only, until the simulator serves these paths.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

const BEDROCK = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;
const VERTEX =
  /^(?:\/v1)*\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/;
const METADATA = '/computeMetadata/v1/';

/** A cloud model id as the simulator knows it: `us.anthropic.claude-sonnet-4-5-20250929-v1:0`,
 * `claude-sonnet-4-5@20250929` → `claude-sonnet-4-5-20250929`. */
export function simModel(id: string): string {
  return decodeURIComponent(id)
    .replace(/^(?:[a-z]{2,6}\.)?anthropic\./, '')
    .replace(/-v\d+(?::\d+)?$/, '')
    .replace('@', '-');
}

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

interface Route {
  model: string;
  stream: boolean | undefined;
  key: string;
}

function route(req: IncomingMessage, path: string): Route | undefined {
  const auth = req.headers.authorization ?? '';
  const bedrock = BEDROCK.exec(path);
  if (bedrock) {
    // SigV4: `AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/bedrock/aws4_request, …`
    const scope = /Credential=([^/]+)\/[^/]+\/([^/]+)\//.exec(auth);
    const key = scope ? `aws-${scope[1]}-${scope[2]}` : auth.replace(/^Bearer /, '');
    return { model: simModel(bedrock[1]!), stream: bedrock[2] !== 'invoke', key };
  }
  const vertex = VERTEX.exec(path);
  if (vertex) {
    return { model: simModel(vertex[3]!), stream: undefined, key: `gcp-${vertex[1]}-${vertex[2]}` };
  }
  return undefined;
}

function metadata(path: string, res: ServerResponse): void {
  const answers: Record<string, string> = {
    'instance/service-accounts/default/token': JSON.stringify({
      access_token: 'ya29.simulated-token',
      expires_in: 3600,
      token_type: 'Bearer',
    }),
    'instance/service-accounts/default/email': 'sim@sim-project.iam.gserviceaccount.com',
    'project/project-id': 'sim-project',
    'universe/universe-domain': 'googleapis.com',
  };
  const answer = answers[path.slice(METADATA.length)];
  res
    .writeHead(answer === undefined ? 404 : 200, {
      'metadata-flavor': 'Google',
      'content-type': answer?.startsWith('{') ? 'application/json' : 'text/plain',
    })
    .end(answer ?? 'not found');
}

/** Starts the stand-in in front of the simulator at `simUrl`; closed after each test. */
export async function cloudProxy(simUrl: string): Promise<{ url: string; requests: string[] }> {
  const target = new URL(simUrl);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith(METADATA)) return metadata(path, res);
    requests.push(path);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = route(req, path);
      let body = Buffer.concat(chunks);
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
      if (r) {
        const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        delete json.anthropic_version;
        const stream = r.stream ?? json.stream === true;
        body = Buffer.from(JSON.stringify({ ...json, model: r.model, ...(stream ? { stream } : {}) }));
        delete headers.authorization;
        headers['x-api-key'] = r.key;
      }
      headers['content-length'] = String(body.length);
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: r ? '/v1/messages' : req.url,
          headers,
        },
        (answer) => {
          const out = { ...answer.headers };
          delete out['anthropic-organization-id'];
          res.writeHead(answer.statusCode ?? 502, out);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
