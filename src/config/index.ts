export { loadConfig, type Env, type ReadFile } from './load-config.js';
export { Config, ENV_VARS, type EnvVar, type EnvVarName } from './schema.js';
