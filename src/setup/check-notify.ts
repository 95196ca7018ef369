import { connect } from 'node:net';
import { errorMessage } from '../errors/index.js';
import { readSecret, redactUrl } from '../notify/deliver.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';

const GROUP = 'Notifications';

/** Opens a TCP connection to `host:port` and closes it: nothing is sent. */
function reachable(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

/**
 * Checks each notification sink without sending it anything: its URL and secret references resolve in this
 * environment, the URL is http(s), and its host accepts a TCP connection. No HTTP request is made: a POST would
 * put a message in a real channel, and a HEAD or OPTIONS proves little (Slack, Feishu and DingTalk hooks answer
 * only POST, with 4xx/405 for the rest, the same whether the token is good or revoked). So a revoked token is
 * found by the first delivery (a permanent 4xx in the log), not here.
 */
export async function checkNotify(
  policies: readonly PromotionPolicy[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const policy of policies) {
    for (const sink of policy.spec.notify ?? []) {
      const name = `${policy.metadata.name}/${sink.name} (${sink.kind})`;
      let url: URL;
      try {
        const raw = await readSecret(sink.url, env);
        if (sink.secret) await readSecret(sink.secret, env);
        url = new URL(raw);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('its URL is not http(s)');
      } catch (error) {
        checks.push({
          group: GROUP,
          name,
          status: 'fail',
          detail: errorMessage(error),
          fix: 'set the environment variable or mount the file the sink names, holding the bot’s webhook URL and secret',
        });
        continue;
      }
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
      try {
        await reachable(url.hostname, port, timeoutMs);
        checks.push({
          group: GROUP,
          name,
          status: 'pass',
          detail: `${redactUrl(url.toString())} accepts connections (nothing sent)`,
        });
      } catch (error) {
        checks.push({
          group: GROUP,
          name,
          status: 'warn',
          detail: `${redactUrl(url.toString())} is not reachable: ${errorMessage(error)}`,
          fix: 'allow the worker to reach the sink (egress, proxy, DNS); notifications wait and retry meanwhile',
        });
      }
    }
  }
  return checks;
}
