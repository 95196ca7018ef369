import type { Config } from '../../config/index.js';
import { errorMessage, isAccessError, isTransient, PromobotError } from '../../errors/index.js';
import type { PromotionPolicy } from '../../policy/index.js';
import { verifiedApplications } from '../../policy/verified-applications.js';
import { createArgoCdClient, type ArgoCdClient } from './client.js';
import type { DoctorCheck } from '../ports/doctor-check.js';

const GROUP = 'Argo CD';

/**
 * Each Argo CD Application the policies verify through exists and promobot's token may read it
 * (`applications, get`); a failure says the RBAC line to add or the name to fix. Reads only.
 */
export async function checkArgoCd(
  config: Config,
  policies: readonly PromotionPolicy[],
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const applications = verifiedApplications(policies);
  const { url, token, caFile } = config.argocd;
  if (applications.length === 0) {
    return url === undefined
      ? [
          {
            group: GROUP,
            name: 'ARGOCD_URL',
            status: 'skip',
            detail: 'not set, and no policy verifies with Argo CD',
          },
        ]
      : [];
  }
  if (url === undefined || token === undefined) {
    return [
      {
        group: GROUP,
        name: url === undefined ? 'ARGOCD_URL' : 'ARGOCD_TOKEN',
        status: 'fail',
        detail: `not set, but the policies verify ${applications.length} Argo CD Application(s)`,
        fix: 'set ARGOCD_URL to the Argo CD API server and ARGOCD_TOKEN (or ARGOCD_TOKEN_FILE) to a token of an account allowed `applications, get`',
      },
    ];
  }
  let client: ArgoCdClient;
  try {
    client = createArgoCdClient({ url, token, caFile, timeoutMs });
  } catch (error) {
    return [failure('ARGOCD_CA_FILE', error)];
  }
  const checks: DoctorCheck[] = [];
  for (const application of applications) {
    const name = application.appNamespace
      ? `${application.appNamespace}/${application.name}`
      : application.name;
    try {
      const app = await client.getApplication(application.name, {
        appNamespace: application.appNamespace,
        project: application.project,
      });
      const sync = app.status?.sync?.status ?? 'Unknown';
      const health = app.status?.health?.status ?? 'Unknown';
      checks.push({
        group: GROUP,
        name,
        status: 'pass',
        detail: `readable (${sync}, ${health}), for ${application.source}`,
      });
    } catch (error) {
      checks.push(failure(name, error, application.source));
    }
  }
  return checks;
}

function failure(name: string, error: unknown, source?: string): DoctorCheck {
  const advice = error instanceof PromobotError ? error.advice : undefined;
  const what = isAccessError(error)
    ? 'not readable with ARGOCD_TOKEN'
    : isTransient(error)
      ? 'no answer'
      : 'not usable';
  return {
    group: GROUP,
    name,
    status: 'fail',
    detail: `${what}: ${errorMessage(error)}${source ? `, for ${source}` : ''}`,
    ...(advice !== undefined
      ? { fix: advice }
      : { fix: 'check ARGOCD_URL and that this machine can reach it' }),
  };
}
