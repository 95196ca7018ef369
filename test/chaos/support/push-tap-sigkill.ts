/**
 * An HTTP hop between promobot and the Gitea double, as a load balancer in front of Gitea would be, that sees every
 * git push: it counts push attempts (receive-pack advertisements), pushes sent, and how Gitea answered each ref,
 * and it can SIGKILL promobot at the exact moment a push is in flight. Promobot is pointed at it with `GITEA_URL`;
 * Gitea's webhooks still go straight to promobot.
 */
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * - `before`: the push has left promobot (its whole request is here) but Gitea never sees it: killed while sending.
 * - `after`: Gitea carried the push out and answered, and promobot dies before it reads the answer: the push landed
 *   and promobot cannot know.
 */
export type KillMoment = 'before' | 'after';

export interface PushAim {
  when: KillMoment;
  /** Only a push to a ref matching this is aimed at (e.g. /^refs\/heads\/main$/); any push otherwise. */
  ref?: RegExp;
  /** Kills promobot; resolves once it is gone. */
  kill: () => Promise<void>;
}

export interface PushFigures {
  /** `GET info/refs?service=git-receive-pack`: one per push attempt, also those git refuses on its own side. */
  advertisements: number;
  /** `POST git-receive-pack`: pushes git actually sent (a non-fast-forward is refused by the client first). */
  posts: number;
  /** Refs Gitea updated (`ok <ref>`) and refused (`ng <ref> ...`, e.g. a lost race on the ref's lock). */
  refsUpdated: number;
  refsRefused: number;
  /** Pushes aimed at, by moment. */
  killedBefore: number;
  killedAfter: number;
}

export interface PushTap {
  readonly url: string;
  readonly figures: PushFigures;
  /** Refs of the pushes killed so far, with the moment, in order. */
  readonly kills: { ref: string; when: KillMoment }[];
  /**
   * Kills promobot at the next matching push. `fired` resolves with the ref once the kill is done; `disarm` stops
   * waiting (then `fired` never resolves).
   */
  arm(aim: PushAim): { fired: Promise<string>; disarm: () => void };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

function forwardHeaders(headers: IncomingHttpHeaders, length: number): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  out['content-length'] = String(length);
  return out;
}

/** The ref names a receive-pack request updates: its command pkt-lines are `<old> <new> <ref>`. */
export function pushedRefs(body: Buffer, encoding: string | undefined): string[] {
  const raw = encoding === 'gzip' ? gunzipSync(body) : body;
  // The commands come before the pack; reading the first few kilobytes as latin1 never splits a ref name.
  const head = raw.subarray(0, 16_384).toString('latin1');
  return [...head.matchAll(/[0-9a-f]{40} [0-9a-f]{40} (refs\/[^\0\n ]+)/g)].map((m) => m[1]!);
}

/** `ok <ref>` and `ng <ref> <why>` lines of a report-status (plain or inside side-band 1). */
function reportStatus(answer: Buffer): { ok: number; ng: number } {
  const text = answer.toString('latin1');
  return {
    ok: [...text.matchAll(/ok refs\//g)].length,
    ng: [...text.matchAll(/ng refs\//g)].length,
  };
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function collect(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Starts a tap in front of `upstream` (the Gitea double's root URL) on a free port. */
export async function startPushTap(upstream: string): Promise<PushTap> {
  const target = new URL(upstream);
  const figures: PushFigures = {
    advertisements: 0,
    posts: 0,
    refsUpdated: 0,
    refsRefused: 0,
    killedBefore: 0,
    killedAfter: 0,
  };
  const kills: { ref: string; when: KillMoment }[] = [];
  let armed: (PushAim & { fire: (ref: string) => void }) | undefined;

  const send = (req: IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const out = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: forwardHeaders(req.headers, body.length),
        },
        (answer) => {
          collect(answer).then(
            (data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const relay = (res: ServerResponse, answer: Upstream) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await collect(req);
    const path = req.url ?? '/';
    const pushing = req.method === 'POST' && /\/git-receive-pack$/.test(path.split('?')[0]!);
    if (!pushing) {
      const answer = await send(req, body);
      // A 401 is git asking for credentials before it tries again with them: not a push attempt of its own.
      if (answer.status === 200 && /\/info\/refs\?(.*&)?service=git-receive-pack/.test(path))
        figures.advertisements += 1;
      relay(res, answer);
      return;
    }
    figures.posts += 1;
    const refs = pushedRefs(body, req.headers['content-encoding']);
    const aim = armed && (!armed.ref || refs.some((ref) => armed!.ref!.test(ref))) ? armed : undefined;
    if (aim) armed = undefined;
    const ref = refs.join(',');
    if (aim?.when === 'before') {
      figures.killedBefore += 1;
      kills.push({ ref, when: 'before' });
      await aim.kill();
      res.destroy();
      aim.fire(ref);
      return;
    }
    const answer = await send(req, body);
    const status = reportStatus(answer.body);
    figures.refsUpdated += status.ok;
    figures.refsRefused += status.ng;
    if (aim) {
      figures.killedAfter += 1;
      kills.push({ ref, when: 'after' });
      await aim.kill();
      res.destroy();
      aim.fire(ref);
      return;
    }
    relay(res, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The client went away (killed) or Gitea did: nobody is left to answer.
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    figures,
    kills,
    arm(aim) {
      let fire: (ref: string) => void = () => undefined;
      const fired = new Promise<string>((resolve) => {
        fire = resolve;
      });
      const entry = { ...aim, fire };
      armed = entry;
      return {
        fired,
        disarm: () => {
          if (armed === entry) armed = undefined;
        },
      };
    },
    async close() {
      armed = undefined;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
