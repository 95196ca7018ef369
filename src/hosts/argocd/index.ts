export { ArgoApplication, ArgoError } from './application.js';
export {
  createArgoCdClient,
  rbacLine,
  type ArgoCdClient,
  type ArgoCdClientOptions,
  type GetApplicationOptions,
} from './client.js';
