import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  AppBoard,
  AppsResponse,
  BoardEvent,
  EnvironmentsResponse,
  ErrorResponse,
  HistoryResponse,
  Promotion,
  PromotionsResponse,
} from './schema.js';

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const unauthorized = json(ErrorResponse, 'No token, a wrong one, and no trusted proxy');
const notFound = json(ErrorResponse, 'No such app (or promotion) on the board');
const Name = z.string().openapi({ description: 'a policy, app or environment name' });
const appParams = z.object({ policy: Name, app: Name });
const filters = z.object({
  policy: z.string().optional().openapi({ description: 'only apps of this policy' }),
  app: z.string().optional().openapi({ description: 'only this app' }),
  env: z.string().optional().openapi({ description: 'only this environment' }),
});

/**
 * The OpenAPI 3.1 document of `/api/v1`, generated from the zod schemas the API checks its answers with, so the
 * two cannot drift apart.
 */
export function boardOpenApiDocument(): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A value of PROMOBOT_UI_TOKEN; or a trusted proxy (PROMOBOT_UI_PROXY_CIDRS) sending X-Forwarded-User.',
  });
  const security = [{ bearer: [] }];
  const route = (
    path: string,
    summary: string,
    responses: Record<string, unknown>,
    params?: z.ZodObject,
    query?: z.ZodObject,
  ) =>
    registry.registerPath({
      method: 'get',
      path,
      summary,
      security,
      request: { ...(params ? { params } : {}), ...(query ? { query } : {}) },
      responses: { ...responses, 401: unauthorized } as never,
    });
  route(
    '/api/v1/apps',
    'Every app: what each environment runs and its open promotions',
    { 200: json(AppsResponse, 'The board') },
    undefined,
    filters,
  );
  route(
    '/api/v1/apps/{policy}/{app}',
    'One app, with its tag history per environment',
    { 200: json(AppBoard, 'The app'), 404: notFound },
    appParams,
  );
  route(
    '/api/v1/apps/{policy}/{app}/history',
    'Which tags ran in each environment, newest first, with the trailers of the commits that brought them',
    { 200: json(HistoryResponse, 'The history'), 404: notFound },
    appParams,
  );
  route(
    '/api/v1/apps/{policy}/{app}/promotions/{env}',
    'One open promotion: its gate rounds so far, approvals, holds and what keeps it from merging',
    { 200: json(Promotion, 'The promotion'), 404: notFound },
    appParams.extend({ env: Name }),
  );
  route('/api/v1/environments', 'Per environment, the tag each app runs there', {
    200: json(EnvironmentsResponse, 'The environments'),
  });
  route(
    '/api/v1/promotions',
    'Every open promotion',
    { 200: json(PromotionsResponse, 'The promotions') },
    undefined,
    filters,
  );
  route(
    '/api/v1/events',
    'Server-Sent Events: one `board` event (data: BoardEvent) each time an app changes',
    {
      200: { description: 'An event stream', content: { 'text/event-stream': { schema: BoardEvent } } },
    },
  );
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'promobot board API',
      version: '1',
      description:
        'Read-only: what runs where, open promotions and their history. Never returns tokens or secrets.',
    },
    servers: [{ url: '/' }],
  }) as unknown as Record<string, unknown>;
}
