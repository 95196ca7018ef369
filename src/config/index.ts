export { loadConfig, type Env, type ReadFile } from './load-config.js';
export { Config, ENV_VARS, type EnvVar, type EnvVarName } from './schema.js';
export {
  renderConfigReference,
  withConfigReference,
  REFERENCE_START,
  REFERENCE_END,
} from './render-reference.js';
