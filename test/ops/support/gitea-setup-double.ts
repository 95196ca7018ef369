import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createContract, type OpenApiDocument } from '../../doubles/openapi-contract.js';
import { serveGit } from '../../doubles/serve-git.js';
import { CONTRACTS_DIR } from '../../support/fixtures.js';

export interface SetupUser {
  name: string;
  admin: boolean;
  password?: string;
}
export interface SetupHook {
  id: number;
  active: boolean;
  events: string[];
  branchFilter: string;
  config: { url: string; content_type: string; secret: string };
}
export interface SetupRepo {
  owner: string;
  name: string;
  bare: string;
  collaborators: Map<string, string>;
  hooks: SetupHook[];
}

/** What the double holds, open to the test for assertions and for simulating drift. */
export interface GiteaSetupState {
  users: Map<string, SetupUser>;
  orgs: Set<string>;
  teams: { id: number; org: string; name: string; permission: string; members: Set<string> }[];
  repos: Map<string, SetupRepo>;
  tokens: Map<string, { user: string; name: string; scopes: string[] }>;
  /** Requests the Gitea API contract does not allow. */
  violations: string[];
  /** `METHOD /path status` of every request, for counting. */
  log: string[];
}

export interface GiteaSetupDouble {
  readonly url: string;
  readonly state: GiteaSetupState;
  close(): Promise<void>;
}

/**
 * A Gitea double for the compose stack's init script: the slice of the API the script uses (checked against
 * Gitea's OpenAPI contract), git smart HTTP for the seed push, and `POST /__cli` where a fake `gitea` binary sends
 * its arguments (NUL-separated; the answer is the exit code on a line, then the output) (`admin user list | create | generate-access-token`), standing in for the CLI on the database.
 */
export async function startGiteaSetupDouble(dir: string): Promise<GiteaSetupDouble> {
  const document = JSON.parse(
    readFileSync(join(CONTRACTS_DIR, 'gitea-openapi3.v1.json'), 'utf8'),
  ) as OpenApiDocument;
  const contract = createContract(document);
  const state: GiteaSetupState = {
    users: new Map(),
    orgs: new Set(),
    teams: [],
    repos: new Map(),
    tokens: new Map(),
    violations: [],
    log: [],
  };
  let nextId = 1;

  const json = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const basicUser = (req: IncomingMessage): SetupUser | undefined => {
    const match = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (!match?.[1]) return undefined;
    const [name, password] = Buffer.from(match[1], 'base64').toString('utf8').split(':');
    const user = state.users.get(name ?? '');
    return user?.password !== undefined && user.password === password ? user : undefined;
  };
  const hookJson = (h: SetupHook) => ({
    id: h.id,
    type: 'gitea',
    branch_filter: h.branchFilter,
    // Go encodes a map with its keys sorted.
    config: { content_type: h.config.content_type, url: h.config.url },
    events: h.events,
    authorization_header: '',
    active: h.active,
    updated_at: new Date().toISOString(),
    created_at: new Date().toISOString(),
  });

  const cli = (args: string[]): { code: number; out: string } => {
    const flag = (name: string) => {
      const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
      if (i < 0) return undefined;
      const arg = args[i] ?? '';
      return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (args[i + 1] ?? '');
    };
    const command = args
      .filter((a) => !a.startsWith('-'))
      .slice(0, 3)
      .join(' ');
    if (command === 'admin user list') {
      const rows = [...state.users.values()].map(
        (u, i) => `${i + 1}\t${u.name}\t${u.name}@x\ttrue\t${u.admin}\tfalse`,
      );
      return { code: 0, out: ['ID\tUsername\tEmail\tIsActive\tIsAdmin\t2FA', ...rows].join('\n') + '\n' };
    }
    if (command === 'admin user create') {
      const name = flag('username') ?? '';
      if (state.users.has(name)) return { code: 1, out: `user already exists [name: ${name}]\n` };
      const password = args.includes('--random-password') ? randomBytes(8).toString('hex') : flag('password');
      state.users.set(name, { name, admin: args.includes('--admin'), ...(password ? { password } : {}) });
      return { code: 0, out: `New user '${name}' has been successfully created!\n` };
    }
    if (command === 'admin user generate-access-token') {
      const user = flag('username') ?? '';
      if (!state.users.has(user)) return { code: 1, out: 'user does not exist\n' };
      const token = randomBytes(20).toString('hex');
      state.tokens.set(token, {
        user,
        name: flag('token-name') ?? '',
        scopes: (flag('scopes') ?? '').split(','),
      });
      return {
        code: 0,
        out: args.includes('--raw') ? `${token}\n` : `Access token was successfully created: ${token}\n`,
      };
    }
    return { code: 1, out: `unknown command ${command}\n` };
  };

  const api = (req: IncomingMessage, res: ServerResponse, path: string, url: URL, raw: string) => {
    const check = contract.checkRequest({
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      body: raw,
    });
    if (!check.ok) {
      state.violations.push(`${req.method} ${path}: ${check.problem}`);
      return json(res, 400, { message: check.problem });
    }
    const { operationId, params } = check.operation;
    const body = (check.operation.body ?? {}) as Record<string, unknown>;
    if (operationId === 'userGetCurrent') {
      const token = /^token (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const owner = state.tokens.get(token);
      return owner
        ? json(res, 200, { id: 1, login: owner.user })
        : json(res, 401, { message: 'token is required' });
    }
    const user = basicUser(req);
    if (user === undefined) return json(res, 401, { message: 'token is required' });
    const repo = state.repos.get(`${params.owner}/${params.repo}`);
    switch (operationId) {
      case 'orgCreate': {
        const name = String(body.username);
        if (state.orgs.has(name)) return json(res, 422, { message: 'user already exists' });
        state.orgs.add(name);
        return json(res, 201, {
          id: nextId++,
          name,
          username: name,
          visibility: String(body.visibility ?? 'public'),
        });
      }
      case 'teamSearch': {
        const teams = state.teams.filter(
          (t) => t.org === params.org && t.name.includes(url.searchParams.get('q') ?? ''),
        );
        return json(res, 200, {
          data: teams.map((t) => ({ id: t.id, name: t.name, permission: t.permission })),
          ok: true,
        });
      }
      case 'orgCreateTeam': {
        const team = {
          id: nextId++,
          org: params.org ?? '',
          name: String(body.name),
          permission: String(body.permission),
          members: new Set<string>(),
        };
        state.teams.push(team);
        return json(res, 201, { id: team.id, name: team.name, permission: team.permission });
      }
      case 'orgAddTeamMember': {
        const team = state.teams.find((t) => String(t.id) === params.id);
        if (!team || !state.users.has(params.username ?? '')) return json(res, 404, { message: 'not found' });
        team.members.add(params.username ?? '');
        return json(res, 204);
      }
      case 'createOrgRepo': {
        const key = `${params.org}/${String(body.name)}`;
        if (state.repos.has(key))
          return json(res, 409, { message: 'The repository with the same name already exists.' });
        const bare = join(dir, `${key.replace('/', '__')}.git`);
        mkdirSync(bare, { recursive: true });
        execFileSync('git', ['init', '-q', '--bare', '-b', String(body.default_branch ?? 'main'), bare]);
        state.repos.set(key, {
          owner: params.org ?? '',
          name: String(body.name),
          bare,
          collaborators: new Map(),
          hooks: [],
        });
        return json(res, 201, { id: nextId++, name: body.name, full_name: key, empty: true });
      }
      case 'repoGet': {
        if (!repo) return json(res, 404, { message: 'not found' });
        const refs = execFileSync('git', ['-C', repo.bare, 'for-each-ref'], { encoding: 'utf8' });
        return json(res, 200, {
          id: 1,
          name: repo.name,
          full_name: `${repo.owner}/${repo.name}`,
          empty: refs.trim() === '',
        });
      }
      case 'repoAddCollaborator': {
        if (!repo || !state.users.has(params.collaborator ?? ''))
          return json(res, 404, { message: 'not found' });
        repo.collaborators.set(params.collaborator ?? '', String(body.permission ?? 'write'));
        return json(res, 204);
      }
      case 'repoListHooks':
        return repo ? json(res, 200, repo.hooks.map(hookJson)) : json(res, 404, { message: 'not found' });
      case 'repoCreateHook': {
        if (!repo) return json(res, 404, { message: 'not found' });
        const config = body.config as SetupHook['config'];
        // As Gitea: inactive unless `active: true` is sent, events default to push.
        const hook: SetupHook = {
          id: nextId++,
          active: body.active === true,
          events: (body.events as string[] | undefined) ?? ['push'],
          branchFilter: String(body.branch_filter ?? ''),
          config: { url: config.url, content_type: config.content_type, secret: config.secret ?? '' },
        };
        repo.hooks.push(hook);
        return json(res, 201, hookJson(hook));
      }
      case 'repoEditHook': {
        const hook = repo?.hooks.find((h) => String(h.id) === params.id);
        if (!hook) return json(res, 404, { message: 'not found' });
        const config = (body.config ?? {}) as Partial<SetupHook['config']>;
        Object.assign(hook.config, config);
        hook.events = (body.events as string[] | undefined) ?? ['push'];
        hook.branchFilter = String(body.branch_filter ?? '');
        if (typeof body.active === 'boolean') hook.active = body.active;
        return json(res, 200, hookJson(hook));
      }
      default:
        return json(res, 501, { message: `the double does not answer ${operationId}` });
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://double');
      res.once('finish', () => state.log.push(`${req.method} ${url.pathname} ${res.statusCode}`));
      if (url.pathname === '/__cli') {
        const { code, out } = cli(raw.toString('utf8').split('\0').slice(0, -1));
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`${code}\n${out}`);
      }
      if (url.pathname === '/api/healthz') return json(res, 200, { status: 'pass' });
      if (url.pathname.startsWith('/api/v1/'))
        return api(req, res, url.pathname.slice('/api/v1'.length), url, raw.toString('utf8'));
      const git = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(url.pathname);
      const repo = git ? state.repos.get(`${git[1]}/${git[2]}`) : undefined;
      if (git && repo) {
        const pusher = basicUser(req);
        if (!pusher) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="Gitea"' });
          return res.end();
        }
        const access = { login: pusher.name, canPush: true };
        return void serveGit(req, res, raw, repo.bare, git[3] ?? '/', url.search.slice(1), access);
      }
      return json(res, 404, { message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
