import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';

/**
 * Serves a bare repo over git's smart HTTP protocol with the real `git http-backend` (CGI), so clients clone and
 * push through the double's URL. Credentials are accepted as given: the doubles check tokens on their APIs only.
 */
export function serveGit(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  bare: string,
  rest: string,
  queryString: string,
): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_PROJECT_ROOT: dirname(bare),
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${basename(bare)}${rest}`,
        REQUEST_METHOD: req.method ?? 'GET',
        QUERY_STRING: queryString,
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        CONTENT_LENGTH: String(body.length),
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        // A REMOTE_USER turns receive-pack (push) on.
        REMOTE_USER: 'double',
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.resume();
    child.on('close', () => {
      const all = Buffer.concat(out);
      const split = all.indexOf('\r\n\r\n');
      const sep = split >= 0 ? 4 : 2;
      const end = split >= 0 ? split : all.indexOf('\n\n');
      const head = end >= 0 ? all.subarray(0, end).toString('utf8') : '';
      const payload = end >= 0 ? all.subarray(end + sep) : all;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(payload);
      resolve();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
  });
}
