/** The web root behind a REST base: api.github.com → github.com; GHES `/api/v3` → its host. */
export function webUrl(apiBase: string): string {
  const url = new URL(apiBase);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v3$/, '');
  return `${url.origin}${path}`;
}
