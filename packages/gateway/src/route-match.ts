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

export function matchRoute(
  routes: readonly RouteDefinition[],
  host: string,
  method: string,
  path: string,
): RouteMatch {
  if (isInternalPath(path)) return { kind: 'not_found' };
  const candidates = routes.filter(
    (r) => (r.host === undefined || r.host === host) && pathMatches(r, path),
  );
  if (candidates.length === 0) return { kind: 'not_found' };
  // Most specific first: an exact route beats a prefix, a longer prefix beats a shorter one.
  const ordered = [...candidates].sort(
    (a, b) => Number(a.prefix) - Number(b.prefix) || b.path.length - a.path.length,
  );
  const route = ordered.find((r) => (r.methods as readonly string[]).includes(method));
  if (route !== undefined) return { kind: 'match', route };
  const allow = [...new Set(candidates.flatMap((r) => r.methods))].sort();
  return { kind: 'method_not_allowed', allow };
}
