import { renderPromotionMeta, type PromotionMeta } from './promotion-meta.js';

/** Shortens a sha-like tag for titles (`3f9c2ab…` → 7 characters); other tags are kept whole. */
export function shortTag(tag: string | null | undefined): string {
  if (!tag) return '∅';
  return /^[0-9a-f]{8,40}$/.test(tag) ? tag.slice(0, 7) : tag;
}

export interface PullRequestContext {
  meta: PromotionMeta;
  image: string;
  /** Where reviewers can see the candidate's source commit or build, when known. */
  links?: { label: string; url: string }[];
  /** Free lines under the table (soak state, supersession notes). */
  notes?: string[];
}

/** Title of a promotion PR: `promote chat-ui to prod: 1a2b3c4 → 3f9c2ab`. */
export function renderPullRequestTitle(meta: PromotionMeta): string {
  const verb = meta.kind === 'rollback' ? 'roll back' : 'promote';
  return `${verb} ${meta.app} to ${meta.env}: ${shortTag(meta.previousTag)} → ${shortTag(meta.tag)}`;
}

/** Body of a promotion PR: a table reviewers read at a glance, then the hidden metadata block. */
export function renderPullRequestBody(context: PullRequestContext): string {
  const { meta } = context;
  const source = meta.from ?? 'image push';
  const lines = [
    meta.kind === 'rollback'
      ? `Rolls **${meta.app}** in **${meta.env}** back to an earlier tag.`
      : `Promotes **${meta.app}** into **${meta.env}** with the tag that runs in **${source}**.`,
    '',
    '| app | environment | from | to | source |',
    '|---|---|---|---|---|',
    `| ${meta.app} | ${meta.env} | \`${meta.previousTag ?? '∅'}\` | \`${meta.tag}\` | ${source} |`,
    '',
    `Image: \`${context.image}:${meta.tag}${meta.digest ? `@${meta.digest}` : ''}\``,
  ];
  for (const link of context.links ?? []) lines.push(`- ${link.label}: ${link.url}`);
  if (context.notes?.length) lines.push('', ...context.notes);
  lines.push(
    '',
    'Managed by promobot: commands go in comments (`/help`). Commits pushed here by anyone else stop the bot from updating this PR.',
    '',
    renderPromotionMeta(meta),
  );
  return lines.join('\n');
}

/**
 * Fills a commit subject template: `{{app}}`, `{{env}}`, `{{from}}`, `{{to}}`, `{{fromShort}}`, `{{toShort}}`.
 *
 * @example renderCommitSubject('promote({{app}}): {{env}} {{fromShort}} → {{toShort}}', {...}) // promote(chat-ui): dev 1a2b3c4 → 3f9c2ab
 */
export function renderCommitSubject(
  template: string,
  values: { app: string; env: string; from: string | null; to: string },
): string {
  const table: Record<string, string> = {
    app: values.app,
    env: values.env,
    from: values.from ?? '∅',
    to: values.to,
    fromShort: shortTag(values.from),
    toShort: shortTag(values.to),
  };
  // One line: a newline in a value must not start the commit body.
  return template.replace(/\{\{(\w+)\}\}/g, (m, key: string) => table[key] ?? m).replace(/[\r\n]+/g, ' ');
}
