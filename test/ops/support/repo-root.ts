import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where the Dockerfile, docker-compose.yml and manifests/ live. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
