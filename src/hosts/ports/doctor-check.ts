import { z } from 'zod';

export const CheckStatus = z.enum(['pass', 'warn', 'fail', 'skip']);
export type CheckStatus = z.infer<typeof CheckStatus>;

/** One line of the `doctor` checklist: what was checked, how it went, and for a failure the exact fix. */
export interface DoctorCheck {
  /** The heading it is listed under: `Redis`, `Deploy repos`, `Gates`, ... */
  readonly group: string;
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

/** A failed check, with the exact fix. */
export function failCheck(group: string, name: string, detail: string, fix: string): DoctorCheck {
  return { group, name, status: 'fail', detail, fix };
}

const MARK: Record<CheckStatus, string> = { pass: '[ok]  ', warn: '[warn]', fail: '[FAIL]', skip: '[skip]' };

/** True when nothing failed; warnings and skipped checks pass. */
export function doctorPassed(checks: readonly DoctorCheck[]): boolean {
  return checks.every((check) => check.status !== 'fail');
}

/** The checklist as text, grouped in first-seen order, each failure followed by its fix. Pure. */
export function renderChecklist(checks: readonly DoctorCheck[]): string {
  const groups = [...new Set(checks.map((c) => c.group))];
  const out: string[] = [];
  for (const group of groups) {
    out.push(group);
    for (const check of checks.filter((c) => c.group === group)) {
      out.push(`  ${MARK[check.status]} ${check.name}: ${check.detail}`);
      if (check.fix !== undefined && check.status !== 'pass') out.push(`         fix: ${check.fix}`);
    }
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  out.push(
    '',
    failed === 0
      ? `all ${checks.length} checks passed${warned > 0 ? ` (${warned} with a warning)` : ''}`
      : `${failed} of ${checks.length} checks failed`,
  );
  return `${out.join('\n')}\n`;
}
