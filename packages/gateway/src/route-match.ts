/**
 * Route matching over the declared table (PLATFORM.md §4 "route match"). Input is the path as
 * already vetted by `request-hygiene.ts` (no dot segments, no encoded separators); matching is
 * exact, case-sensitive, on whole segments. `/internal/*` never matches, whatever the table says.
 */
import { isInternalPath } from './routes.ts';
import type { HttpMethod, RouteDefinition } from './routes.ts';

export type RouteMatch =
  | { kind: 'match'; route: RouteDefinition }
  /** The path exists but not for this method (405 + `Allow`, RFC 9110 §15.5.6). */
  | { kind: 'method_not_allowed'; allow: readonly HttpMethod[] }
  | { kind: 'not_found' };

function pathMatches(route: RouteDefinition, path: string): boolean {
  if (!route.prefix) return path === route.path;
  return (
    path === route.path.slice(0, -1) ||
    (path.startsWith(route.path) && path.length > route.path.length)
  );
}

const ORDERED = new WeakMap<readonly RouteDefinition[], readonly RouteDefinition[]>();

// Most specific first: an exact route beats a prefix, a longer prefix beats a shorter one
// (a stable sort, so equal routes keep table order). Sorted once per table, not per request.
function mostSpecificFirst(routes: readonly RouteDefinition[]): readonly RouteDefinition[] {
  let ordered = ORDERED.get(routes);
  if (ordered === undefined) {
    ordered = [...routes].sort(
      (a, b) => Number(a.prefix) - Number(b.prefix) || b.path.length - a.path.length,
    );
    ORDERED.set(routes, ordered);
  }
  return ordered;
}

export function matchRoute(
  routes: readonly RouteDefinition[],
  host: string,
  method: string,
  path: string,
): RouteMatch {
  if (isInternalPath(path)) return { kind: 'not_found' };
  let found = false;
  for (const r of mostSpecificFirst(routes)) {
    if ((r.host !== undefined && r.host !== host) || !pathMatches(r, path)) continue;
    found = true;
    if ((r.methods as readonly string[]).includes(method)) return { kind: 'match', route: r };
  }
  if (!found) return { kind: 'not_found' };
  const candidates = routes.filter(
    (r) => (r.host === undefined || r.host === host) && pathMatches(r, path),
  );
  const allow = [...new Set(candidates.flatMap((r) => r.methods))].sort();
  return { kind: 'method_not_allowed', allow };
}
