// Enforces the one-way package graph (docs/ARCHITECTURE.md): a package may import another
// workspace package only if scripts/package-graph.json lists it, only through its public entry
// (`@stella/<name>`, never a deep path), and never reaches into another package with `../`.
// `@stella/testkit` (shared test PKI) is test-only: importable solely from `packages/<x>/test/`,
// so no production code path can ever depend on throwaway keys.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const graph = JSON.parse(readFileSync(path.join(root, 'scripts', 'package-graph.json'), 'utf8'));

function owningPackage(file) {
  const rel = path.relative(path.join(root, 'packages'), file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep)[0];
}

const TEST_ONLY = new Set(['testkit']);

function isPackageTestFile(file) {
  const parts = path.relative(path.join(root, 'packages'), file).split(path.sep);
  return parts.length > 2 && parts[0] !== '..' && parts[1] === 'test';
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the workspace package graph' },
    messages: {
      notAllowed: "package '{{from}}' may not import '@stella/{{to}}' (allowed: {{allowed}})",
      deep: "import '@stella/{{to}}' through its public entry, not '{{spec}}'",
      testOnly: "'@stella/{{to}}' is test-only: import it only from packages/<name>/test/",
      escape:
        "relative import '{{spec}}' leaves package '{{from}}'; import '@stella/<name>' instead",
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = owningPackage(file);
    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (spec.startsWith('@stella/')) {
        const [, name, ...rest] = spec.split('/');
        if (rest.length > 0) {
          context.report({ node, messageId: 'deep', data: { to: name, spec } });
          return;
        }
        if (TEST_ONLY.has(name)) {
          if (!isPackageTestFile(file)) {
            context.report({ node, messageId: 'testOnly', data: { to: name } });
          }
          return;
        }
        if (from === undefined) return; // tooling outside packages/ (bench, scripts) may use any entry
        const allowed = graph[from] ?? [];
        if (name !== from && !allowed.includes(name)) {
          context.report({
            node,
            messageId: 'notAllowed',
            data: { from, to: name, allowed: allowed.join(', ') || 'none' },
          });
        }
        return;
      }
      if (from !== undefined && spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        if (owningPackage(target) !== from) {
          context.report({ node, messageId: 'escape', data: { spec, from } });
        }
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { 'package-boundaries': rule } };
