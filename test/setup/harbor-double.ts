import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * A small Harbor (API v2.0) for the webhook policy endpoints `webhooks sync` and `doctor` use, written from
 * Harbor's swagger (api/v2.0/swagger.yaml: `WebhookPolicy`, `WebhookTargetObject`): list, create (201 with
 * `Location`, empty body), update (PUT, 200 empty), and `GET /ping` and `GET /users/current`. Requests with a body the schema does not
 * allow, or without Basic auth, are refused and recorded in `violations`.
 */
export interface HarborDouble {
  readonly url: string;
  readonly violations: string[];
  policies(project: string): HarborPolicy[];
  close(): Promise<void>;
}

const Target = z
  .object({
    type: z.enum(['http', 'slack']),
    address: z.string().min(1),
    auth_header: z.string().optional(),
    skip_cert_verify: z.boolean().optional(),
    payload_format: z.enum(['Default', 'CloudEvents']).optional(),
  })
  .strict();

const PolicyBody = z
  .object({
    id: z.number().int().optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    project_id: z.number().int().optional(),
    targets: z.array(Target).min(1),
    event_types: z.array(z.string()).min(1),
    creator: z.string().optional(),
    creation_time: z.string().optional(),
    update_time: z.string().optional(),
    enabled: z.boolean(),
  })
  .strict();

export type HarborPolicy = z.infer<typeof PolicyBody> & { id: number; projectName: string };

export async function startHarborDouble(options: {
  projects: string[];
  users: Record<string, string>;
}): Promise<HarborDouble> {
  const violations: string[] = [];
  const policies: HarborPolicy[] = [];
  let nextId = 1;

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const errors = (code: string, message: string) => ({ errors: [{ code, message }] });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://harbor');
    if (req.method === 'GET' && url.pathname === '/api/v2.0/ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Pong');
      return;
    }
    const [user, password] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    const signedIn = user !== undefined && user !== '' && options.users[user] === password;
    if (req.method === 'GET' && url.pathname === '/api/v2.0/users/current') {
      return signedIn
        ? send(res, 200, { user_id: 3, username: user })
        : send(res, 401, errors('UNAUTHORIZED', 'unauthorized'));
    }
    const match = /^\/api\/v2\.0\/projects\/([^/]+)\/webhook\/policies(?:\/(\d+))?$/.exec(url.pathname);
    if (!match) return send(res, 404, errors('NOT_FOUND', `no route ${req.method} ${url.pathname}`));
    if (!signedIn) return send(res, 401, errors('UNAUTHORIZED', 'unauthorized'));
    const project = decodeURIComponent(match[1]!);
    if (req.headers['x-is-resource-name'] !== 'true' && !/^\d+$/.test(project)) {
      violations.push(`${req.method} ${url.pathname}: a project name needs X-Is-Resource-Name: true`);
      return send(res, 400, errors('BAD_REQUEST', 'project id expected'));
    }
    if (!options.projects.includes(project)) return send(res, 404, errors('NOT_FOUND', 'project not found'));
    const id = match[2] === undefined ? undefined : Number(match[2]);

    if (req.method === 'GET' && id === undefined) {
      const page = Number(url.searchParams.get('page') ?? 1);
      const size = Number(url.searchParams.get('page_size') ?? 10);
      const mine = policies.filter((p) => p.projectName === project);
      return send(
        res,
        200,
        mine.slice((page - 1) * size, page * size).map(({ projectName: _, ...p }) => p),
        { 'X-Total-Count': String(mine.length) },
      );
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      const parsed = PolicyBody.safeParse(JSON.parse(Buffer.concat(chunks).toString() || 'null'));
      if (!parsed.success) {
        violations.push(`${req.method} ${url.pathname}: ${parsed.error.message}`);
        return send(res, 400, errors('BAD_REQUEST', parsed.error.message));
      }
      if (req.method === 'POST' && id === undefined) {
        if (policies.some((p) => p.projectName === project && p.name === parsed.data.name))
          return send(res, 409, errors('CONFLICT', `policy ${parsed.data.name} exists`));
        const policy = { ...parsed.data, id: nextId++, projectName: project };
        policies.push(policy);
        return send(res, 201, undefined, {
          Location: `/api/v2.0/projects/${project}/webhook/policies/${policy.id}`,
        });
      }
      if (req.method === 'PUT' && id !== undefined) {
        const at = policies.findIndex((p) => p.projectName === project && p.id === id);
        if (at < 0) return send(res, 404, errors('NOT_FOUND', 'policy not found'));
        policies[at] = { ...parsed.data, id, projectName: project };
        return send(res, 200);
      }
    }
    violations.push(`${req.method} ${url.pathname}: not in the contract`);
    return send(res, 405, errors('METHOD_NOT_ALLOWED', 'method not allowed'));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, errors('INTERNAL', String(error))));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    violations,
    policies: (project) => policies.filter((p) => p.projectName === project),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
