import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AccessError, PermanentError, TransientError } from '../../errors/index.js';
import type { Logger } from '../../logger/index.js';
import { scrubSecrets } from '../../logger/index.js';
import { ArgoApplication, ArgoError } from './application.js';

export interface ArgoCdClientOptions {
  /** Base URL of the Argo CD API server, e.g. `https://argocd.example.com`. */
  url: string;
  /** An Argo CD API token (`argocd account generate-token --account promobot`). */
  token: string;
  /** PEM file of the CA that signed Argo CD's certificate, added to the system's. There is no "insecure" switch. */
  caFile?: string | undefined;
  /** Deadline of one call. Default 10 s; a `refresh` waits for Argo CD to reconcile, so give it 30 s. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

export interface GetApplicationOptions {
  /** The namespace of the Application object, when it is not Argo CD's own (apps-in-any-namespace). */
  appNamespace?: string | undefined;
  /** The Application's project: lets Argo CD answer 404 for a missing Application instead of 403 for both. */
  project?: string | undefined;
  /** Ask Argo CD to compare with git now (`?refresh=normal`); the answer comes once it has reconciled. */
  refresh?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface ArgoCdClient {
  readonly url: string;
  /** The Application, parsed; throws TransientError, AccessError or PermanentError (with advice). */
  getApplication(name: string, options?: GetApplicationOptions): Promise<ArgoApplication>;
}

/** Largest answer read: an Application with thousands of resources is a few MiB. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const REFRESH_TIMEOUT_MS = 30_000;

/** The line to add to argocd-rbac-cm's policy.csv so promobot may read the Applications of `project`. */
export function rbacLine(project: string | undefined): string {
  return `p, role:promobot, applications, get, ${project ?? '<project>'}/*, allow`;
}

/**
 * A client for the one Argo CD call verification needs, `GET /api/v1/applications/{name}`, made per use.
 *
 * @example
 * const argocd = createArgoCdClient({ url: config.argocd.url, token: config.argocd.token, caFile: config.argocd.caFile });
 * const app = await argocd.getApplication('chat-ui-staging', { project: 'apps', refresh: true });
 */
export function createArgoCdClient(options: ArgoCdClientOptions): ArgoCdClient {
  const base = options.url.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  let ca: Buffer | undefined;
  if (options.caFile !== undefined) {
    try {
      ca = readFileSync(options.caFile);
    } catch (error) {
      throw new PermanentError(`cannot read ARGOCD_CA_FILE ${options.caFile}`, {
        cause: error,
        advice: 'Point ARGOCD_CA_FILE at a readable PEM file of the CA that signed the Argo CD certificate.',
      });
    }
  }
  const secrets = [options.token];

  const getApplication = async (
    name: string,
    getOptions: GetApplicationOptions = {},
  ): Promise<ArgoApplication> => {
    const params = new URLSearchParams();
    if (getOptions.appNamespace !== undefined) params.set('appNamespace', getOptions.appNamespace);
    if (getOptions.project !== undefined) params.set('project', getOptions.project);
    if (getOptions.refresh) params.set('refresh', 'normal');
    const query = params.size > 0 ? `?${params.toString()}` : '';
    const url = `${base}/api/v1/applications/${encodeURIComponent(name)}${query}`;
    const timeoutMs = options.timeoutMs ?? (getOptions.refresh ? REFRESH_TIMEOUT_MS : DEFAULT_TIMEOUT_MS);
    const what = `Argo CD Application ${name}`;

    let answer: { status: number; headers: IncomingMessage['headers']; body: string };
    try {
      answer = await send(url, { token: options.token, ca, secure, timeoutMs, signal: getOptions.signal });
    } catch (error) {
      throw transportError(error, base, timeoutMs, secrets);
    }
    options.logger?.debug({ application: name, status: answer.status }, 'argocd get application');

    if (answer.status === 200) {
      const json = parseJson(answer.body);
      const parsed = ArgoApplication.safeParse(json);
      if (!parsed.success) {
        const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        throw new PermanentError(
          `${what}: Argo CD's answer is not an Application (${excerpt(answer.body, secrets) || why})`,
          {
            advice: 'Is ARGOCD_URL the base URL of the Argo CD API server (not the UI behind an SSO proxy)?',
          },
        );
      }
      return parsed.data;
    }
    throw statusError(answer.status, answer.headers, answer.body, { what, name, getOptions, secrets, base });
  };

  return { url: base, getApplication };
}

function send(
  url: string,
  how: {
    token: string;
    ca: Buffer | undefined;
    secure: boolean;
    timeoutMs: number;
    signal: AbortSignal | undefined;
  },
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const request = how.secure ? httpsRequest : httpRequest;
    const signal = how.signal
      ? AbortSignal.any([how.signal, AbortSignal.timeout(how.timeoutMs)])
      : AbortSignal.timeout(how.timeoutMs);
    const req = request(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json', authorization: `Bearer ${how.token}` },
        signal,
        ...(how.secure && how.ca ? { ca: how.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            res.destroy(new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function statusError(
  status: number,
  headers: IncomingMessage['headers'],
  body: string,
  context: { what: string; name: string; getOptions: GetApplicationOptions; secrets: string[]; base: string },
): Error {
  const { what, name, getOptions, secrets } = context;
  const parsed = ArgoError.safeParse(parseJson(body));
  const message = parsed.success ? (parsed.data.message ?? parsed.data.error ?? '') : excerpt(body, secrets);
  const said = `${what}: ${status}${message ? ` ${scrubSecrets(message, secrets)}` : ''}`;
  const project = getOptions.project;

  if (status === 401) {
    return new AccessError(said, {
      capability: 'argocd-token',
      advice:
        'ARGOCD_TOKEN is missing, expired or not issued by this Argo CD: create one with `argocd account generate-token --account promobot` (the account needs the apiKey capability in argocd-cm: `accounts.promobot: apiKey`).',
    });
  }
  if (status === 403) {
    const missing =
      project === undefined
        ? ` Argo CD also answers 403 when ${name} does not exist; set verify.project in the policy to tell the two apart.`
        : '';
    return new AccessError(said, {
      capability: 'argocd-applications-get',
      advice: `Let promobot's token read the Application: add \`${rbacLine(project)}\` to policy.csv in argocd-rbac-cm (and \`g, promobot, role:promobot\`).${missing}`,
    });
  }
  if (status === 404) {
    return new PermanentError(said, {
      advice: `Argo CD has no Application ${name}${project ? ` in project ${project}` : ''}${
        getOptions.appNamespace ? ` in namespace ${getOptions.appNamespace}` : ''
      }: check the verify.argocd application name template, project and appNamespace in the policy.`,
    });
  }
  if (status === 429 || status >= 500) {
    const wait = retryAfterMs(headers['retry-after']);
    return new TransientError(said, wait === undefined ? {} : { retryAfterMs: wait });
  }
  return new PermanentError(said, {
    advice: 'Argo CD refused the request; check ARGOCD_URL and the verify settings of the policy.',
  });
}

function transportError(error: unknown, base: string, timeoutMs: number, secrets: string[]): Error {
  const name = error instanceof Error ? error.name : '';
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = scrubSecrets(error instanceof Error ? error.message : String(error), secrets);
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new TransientError(`Argo CD at ${base} did not answer within ${timeoutMs} ms`, { cause: error });
  }
  if (typeof code === 'string' && TLS_TRUST_CODES.has(code)) {
    return new PermanentError(`Argo CD at ${base}: TLS: ${message}`, {
      cause: error,
      advice:
        'Set ARGOCD_CA_FILE to a PEM file of the CA that signed the Argo CD server certificate (promobot has no switch to skip verification).',
    });
  }
  return new TransientError(`Argo CD at ${base} is unreachable: ${message}`, { cause: error });
}

/** Node's codes for a certificate it does not trust: retrying cannot help, a CA file can. */
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 3600) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(date - Date.now(), 3_600_000));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function excerpt(text: string, secrets: string[]): string {
  return scrubSecrets(text.slice(0, 200).replace(/\s+/g, ' ').trim(), secrets);
}
