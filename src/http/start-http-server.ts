import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Express } from 'express';

export interface HttpServer {
  /** `http://host:port` as bound (port 0 becomes the real port). */
  readonly url: string;
  readonly server: Server;
  /** Stops accepting, lets open requests finish, closes idle keep-alive sockets. Safe to call more than once. */
  close(): Promise<void>;
}

/** Listens with the app and resolves once bound. */
export async function startHttpServer(app: Express, port: number, host: string): Promise<HttpServer> {
  const server = app.listen(port, host);
  await once(server, 'listening');
  // Senders (and load generators) keep connections open; keep-alive longer than theirs avoids reset races.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound}`,
    server,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
