/**
 * Parser for one `WWW-Authenticate` challenge as sent by OCI registries (RFC 9110 §11.6.1,
 * RFC 6750 §3): `Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"`.
 * ATTACKER-CONTROLLED input (any registry on the allow-list can send anything): the parser is
 * strict, bounded, and returns undefined rather than guessing.
 */
export interface AuthChallenge {
  /** Lowercased auth-scheme (RFC 9110 §11.1: case-insensitive). */
  readonly scheme: string;
  /** auth-param names lowercased (case-insensitive); values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const MAX_HEADER = 4096;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

export function parseWwwAuthenticate(header: string): AuthChallenge | undefined {
  if (header.length === 0 || header.length > MAX_HEADER) return undefined;
  const scheme = TOKEN.exec(header);
  if (scheme === null) return undefined;
  let rest = header.slice(scheme[0].length);
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  if (rest.length === 0) return { scheme: scheme[0].toLowerCase(), params };
  if (!/^ +/.test(rest)) return undefined;
  rest = rest.replace(/^ +/, '');
  for (;;) {
    const name = TOKEN.exec(rest);
    if (name === null) return undefined;
    rest = rest.slice(name[0].length);
    const equals = /^[ \t]*=[ \t]*/.exec(rest);
    if (equals === null) return undefined;
    rest = rest.slice(equals[0].length);
    let value: string;
    if (rest.startsWith('"')) {
      // RFC 9110 §5.6.4 quoted-string with quoted-pair.
      // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; quoted-pair = "\" VCHAR etc.
      const m = /^"((?:[\t !#-[\]-~\x80-\uffff]|\\[\t !-~\x80-\uffff])*)"/.exec(rest);
      if (m === null) return undefined;
      value = (m[1] ?? '').replace(/\\(.)/g, '$1');
      rest = rest.slice(m[0].length);
    } else {
      const m = TOKEN.exec(rest);
      if (m === null) return undefined;
      value = m[0];
      rest = rest.slice(m[0].length);
    }
    const key = name[0].toLowerCase();
    if (Object.hasOwn(params, key)) return undefined; // RFC 9110 §11.2: each param once
    params[key] = value;
    rest = rest.replace(/^[ \t]*/, '');
    if (rest.length === 0) return { scheme: scheme[0].toLowerCase(), params };
    if (!rest.startsWith(',')) return undefined;
    rest = rest.slice(1).replace(/^[ \t]*/, '');
  }
}
