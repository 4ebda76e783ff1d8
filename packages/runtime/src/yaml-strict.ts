import { isAlias, isCollection, isMap, isScalar, parseDocument, visit } from 'yaml';

/**
 * Reads a configuration document (YAML 1.2; JSON is valid YAML) with the features that make a
 * file mean something other than what a reviewer sees refused: duplicate keys (the yaml package
 * reports them with `uniqueKeys`), anchors and aliases (also "billion laughs" expansion), explicit
 * tags (`!custom`, `!!binary`, even `!!str`), and non-string keys. Merge keys (`<<`) are not
 * special in the YAML 1.2 core schema, so they land as an ordinary unknown key and are refused by
 * the closed schema. Returns the plain JS value, or the first problem as a message (no value).
 */
export function readYamlStrict(
  text: string,
): { ok: true; value: unknown } | { ok: false; problem: string } {
  const doc = parseDocument(text, {
    uniqueKeys: true,
    schema: 'core',
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first !== undefined)
    return {
      ok: false,
      problem: `invalid YAML (${first.code}) at line ${lineOf(text, first.pos[0])}`,
    };
  let problem: string | undefined;
  visit(doc, {
    Alias(_key, node) {
      problem ??= `YAML aliases are not allowed (line ${lineOf(text, node.range?.[0] ?? 0)})`;
      return visit.BREAK;
    },
    Node(_key, node) {
      if (isAlias(node)) return undefined;
      const at = lineOf(text, node.range?.[0] ?? 0);
      if (node.anchor !== undefined) problem ??= `YAML anchors are not allowed (line ${at})`;
      else if (node.tag !== undefined) problem ??= `YAML tags are not allowed (line ${at})`;
      return problem === undefined ? undefined : visit.BREAK;
    },
    Pair(_key, pair) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
        const range = isScalar(pair.key) || isCollection(pair.key) ? pair.key.range : undefined;
        problem ??= `YAML keys must be strings (line ${lineOf(text, range?.[0] ?? 0)})`;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (problem !== undefined) return { ok: false, problem };
  if (doc.contents !== null && !isMap(doc.contents) && !isScalar(doc.contents)) {
    return { ok: false, problem: 'the configuration must be a mapping' };
  }
  return { ok: true, value: doc.contents === null ? {} : doc.toJS({ maxAliasCount: 0 }) };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}
