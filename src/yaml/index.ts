export {
  parseYamlDocuments,
  type ParseYamlOptions,
  type ParsedYaml,
  type YamlDocument,
  type YamlPath,
  type YamlPosition,
  type YamlProblem,
  type YamlTarget,
} from './parse-yaml-documents.js';
