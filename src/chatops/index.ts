export * from './command.js';
export * from './command-lines.js';
export * from './damerau-levenshtein.js';
export * from './parse-commands.js';
export * from './authorize.js';
export * from './promotion-state.js';
export * from './decide-merge.js';
export * from './render.js';
