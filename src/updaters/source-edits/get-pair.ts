import { isScalar, type Pair, type YAMLMap } from 'yaml';

/** The pair of `map` whose key is the plain string `key`, if any. */
export function getPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}
