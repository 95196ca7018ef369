export { createHttpApp, type HttpAppDeps } from './create-http-app.js';
export { createProbeApp, type ProbeAppDeps } from './create-probe-app.js';
export { createWebhookRoute, type WebhookQueue, type WebhookRouteDeps } from './create-webhook-route.js';
export { startHttpServer, type HttpServer } from './start-http-server.js';
