import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../logger/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { createAccessCheck, SESSION_COOKIE, type UiAccess } from './access.js';
import { namedBoards } from './board-figures.js';
import type { BoardStore } from './board-store.js';
import { boardOpenApiDocument } from './openapi.js';
import { createLoginLimiter, type LoginLimiter } from './login-limiter.js';
import { BOARD_CSS, BOARD_SCRIPT, boardPage, loginPage } from './page.js';
import type { BoardEvent } from './schema.js';
import {
  AppBoard,
  AppsResponse,
  EnvironmentsResponse,
  HistoryResponse,
  Promotion,
  PromotionsResponse,
} from './schema.js';

/** Event-stream clients one `serve` keeps at most; more are answered 503. */
export const MAX_STREAMS = 1_000;
const HEARTBEAT_MS = 25_000;

export interface BoardFeed {
  /**
   * Calls `listener` with each event the worker publishes until the returned function is called; `end` when the feed
   * closes (the process stops), so open streams end and the HTTP server can close.
   */
  subscribe(listener: (event: BoardEvent) => void, end: () => void): () => void;
}

export interface BoardRoutesDeps {
  readonly store: Pick<BoardStore, 'readAll' | 'read'>;
  readonly feed: BoardFeed;
  readonly access: UiAccess;
  /** The policies in force: a snapshot of an app no policy names any more is not shown. */
  readonly policies: () => readonly PromotionPolicy[];
  readonly logger: Logger;
  /** The sign-in form's limiter; one per router when absent. */
  readonly loginLimiter?: LoginLimiter;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const one = (value: unknown) => (typeof value === 'string' && value.length <= 200 ? value : undefined);

/**
 * The release board on `serve`: `GET /` (the page, its script and style), the read-only JSON API under `/api/v1`
 * with its OpenAPI document, and `/api/v1/events` (Server-Sent Events relayed from the worker's Redis channel).
 * Everything but `/login` needs a token, a trusted proxy's user, or `PROMOBOT_UI_ANONYMOUS=true`.
 */
export function createBoardRoutes(deps: BoardRoutesDeps): Router {
  const router = express.Router();
  const check = createAccessCheck(deps.access);
  const limiter = deps.loginLimiter ?? createLoginLimiter();
  const streams = new Set<Response>();
  const openapi = boardOpenApiDocument();
  // uPlot (npm `uplot`) draws the per-gate charts; served from the installed package, never from a CDN.
  const require = createRequire(import.meta.url);
  const uplot = {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };

  router.use(['/', '/board.js', '/board.css', '/assets', '/login', '/api/v1'], (req, res, next) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.set(name, value);
    next();
  });

  router.post(
    '/login',
    express.urlencoded({ extended: false, limit: '4kb' }),
    (req: Request, res: Response) => {
      // Per client as the socket sees it: a forwarded-for header is the sender's to write.
      const client = req.socket.remoteAddress ?? 'unknown';
      const limit = limiter.check(client);
      if (!limit.allowed) {
        deps.logger.warn({ client }, 'board sign-in refused: too many refused tokens');
        res
          .status(429)
          .set('Retry-After', String(limit.retryAfterSeconds))
          .type('html')
          .send(loginPage('Too many refused tokens from here; try again later.'));
        return;
      }
      const token = one((req.body as Record<string, unknown> | undefined)?.token) ?? '';
      const decision = check({
        authorization: `Bearer ${token}`,
        cookieToken: undefined,
        remoteAddress: undefined,
        forwardedUser: undefined,
        forwardedEmail: undefined,
      });
      if (!decision.allowed || decision.via !== 'token') {
        limiter.fail(client);
        res.status(401).type('html').send(loginPage('That token is not accepted.'));
        return;
      }
      const secure = req.secure || req.get('x-forwarded-proto') === 'https' ? '; Secure' : '';
      res.set(
        'Set-Cookie',
        `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200${secure}`,
      );
      res.redirect(303, '/');
    },
  );

  const guard = (req: Request, res: Response, next: () => void) => {
    const decision = check({
      authorization: req.get('authorization'),
      cookieToken: cookieValue(req.get('cookie'), SESSION_COOKIE),
      remoteAddress: req.socket.remoteAddress,
      forwardedUser: req.get('x-forwarded-user'),
      forwardedEmail: req.get('x-forwarded-email'),
    });
    if (decision.allowed) {
      next();
      return;
    }
    deps.logger.info({ path: req.path, why: decision.why }, 'board request refused');
    res.set('WWW-Authenticate', 'Bearer realm="promobot"');
    if (req.path === '/' && req.accepts(['json', 'html']) === 'html')
      res.status(401).type('html').send(loginPage(null));
    else res.status(401).json({ error: 'unauthorized' });
  };
  router.use(['/api/v1', '/board.js', '/board.css', '/assets'], guard);
  router.get('/assets/uplot.js', (_req, res) => {
    res.type('text/javascript').send(uplot.js);
  });
  router.get('/assets/uplot.css', (_req, res) => {
    res.type('text/css').send(uplot.css);
  });
  router.get('/', guard, (_req, res) => {
    res.type('html').send(boardPage());
  });
  router.get('/board.js', (_req, res) => {
    res.type('text/javascript').send(BOARD_SCRIPT);
  });
  router.get('/board.css', (_req, res) => {
    res.type('text/css').send(BOARD_CSS);
  });

  /** Snapshots of apps the policies in force still name. */
  const boards = async (): Promise<AppBoard[]> => namedBoards(await deps.store.readAll(), deps.policies());
  const filtered = async (req: Request) => {
    const policy = one(req.query.policy);
    const app = one(req.query.app);
    return (await boards()).filter((b) => (!policy || b.policy === policy) && (!app || b.app === app));
  };
  const environmentNames = () => {
    const names: string[] = [];
    for (const policy of deps.policies())
      for (const env of policy.spec.environments) if (!names.includes(env.name)) names.push(env.name);
    return names;
  };
  const findApp = async (req: Request) => {
    const policy = one(req.params.policy);
    const app = one(req.params.app);
    if (!policy || !app) return null;
    const named = deps
      .policies()
      .some((p) => p.metadata.name === policy && p.spec.apps.some((a) => a.name === app));
    return named ? deps.store.read(policy, app) : null;
  };

  router.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  router.get('/api/v1/apps', async (req, res) => {
    const env = one(req.query.env);
    const apps = (await filtered(req)).map(({ history: _history, journeys: _journeys, ...rest }) => ({
      ...rest,
      environments: env ? rest.environments.filter((e) => e.env === env) : rest.environments,
      promotions: env ? rest.promotions.filter((p) => p.env === env) : rest.promotions,
    }));
    const names = environmentNames();
    res.json(
      AppsResponse.parse({
        environments: env ? names.filter((n) => n === env) : names,
        apps,
        generatedAt: Date.now(),
      }),
    );
  });
  router.get('/api/v1/apps/:policy/:app', async (req, res) => {
    const board = await findApp(req);
    if (!board) res.status(404).json({ error: 'no such app on the board' });
    else res.json(AppBoard.parse(board));
  });
  router.get('/api/v1/apps/:policy/:app/history', async (req, res) => {
    const board = await findApp(req);
    if (!board) res.status(404).json({ error: 'no such app on the board' });
    else res.json(HistoryResponse.parse({ policy: board.policy, app: board.app, history: board.history }));
  });
  router.get('/api/v1/apps/:policy/:app/promotions/:env', async (req, res) => {
    const board = await findApp(req);
    const promotion = board?.promotions.find((p) => p.env === req.params.env);
    if (!promotion) res.status(404).json({ error: 'no open promotion of this app into that environment' });
    else res.json(Promotion.parse(promotion));
  });
  router.get('/api/v1/environments', async (_req, res) => {
    const all = await boards();
    res.json(
      EnvironmentsResponse.parse({
        environments: environmentNames().map((env) => ({
          env,
          apps: all.flatMap((b) =>
            b.environments.filter((e) => e.env === env).map((e) => ({ ...e, policy: b.policy, app: b.app })),
          ),
        })),
        generatedAt: Date.now(),
      }),
    );
  });
  router.get('/api/v1/promotions', async (req, res) => {
    const env = one(req.query.env);
    const promotions = (await filtered(req))
      .flatMap((b) => b.promotions)
      .filter((p) => !env || p.env === env);
    res.json(PromotionsResponse.parse({ promotions, generatedAt: Date.now() }));
  });
  router.get('/api/v1/events', (req, res) => {
    if (streams.size >= MAX_STREAMS) {
      res.status(503).json({ error: 'too many event streams' });
      return;
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 2000\n: connected\n\n');
    streams.add(res);
    const unsubscribe = deps.feed.subscribe(
      (event) => {
        res.write(`event: board\ndata: ${JSON.stringify(event)}\n\n`);
      },
      () => res.end(),
    );
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  });
  return router;
}
