/**
 * Strict `application/x-www-form-urlencoded` parsing of attacker-controlled request bodies
 * (RFC 6749 §3.2 / WHATWG URL "application/x-www-form-urlencoded"). Runs before any crypto work:
 * non-UTF-8 bytes, malformed percent-escapes, empty names and repeated parameters are refused
 * (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once").
 */
import { authorityError } from './errors.ts';

export type FormParams = Readonly<Record<string, string>>;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_PARAMETERS = 32;
// Names are OAuth parameter names; anything else is refused rather than guessed at.
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function decodeComponent(raw: string): string {
  // Fast path: without `%` there is nothing for decodeURIComponent to decode or refuse (it copies
  // every other code unit), so the result is the input with `+` as space. Base64url values
  // (assertions, tokens) take this path and skip a regex pass and the decoder.
  if (!raw.includes('%')) return raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  // `+` is a space in this media type; decodeURIComponent throws on bad escapes and on escapes
  // that form invalid UTF-8, which is what we want.
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw authorityError('invalid_request', { detail: 'form: malformed percent-encoding' });
  }
}

/** Parses a form body; returns a null-prototype map of unique parameters. */
export function parseFormBody(body: Uint8Array): FormParams {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw authorityError('invalid_request', { detail: 'form: body is not UTF-8' });
  }
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  if (text === '') return params;
  const pairs = text.split('&');
  if (pairs.length > MAX_PARAMETERS) {
    throw authorityError('invalid_request', { detail: 'form: too many parameters' });
  }
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    if (!NAME.test(name)) {
      throw authorityError('invalid_request', { detail: 'form: invalid parameter name' });
    }
    if (Object.hasOwn(params, name)) {
      throw authorityError('invalid_request', {
        description: `parameter ${name} is repeated`,
        detail: `form: repeated ${name}`,
      });
    }
    // Control characters have no place in any OAuth parameter value.
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    if (/[\x00-\x1f\x7f]/.test(value)) {
      throw authorityError('invalid_request', { detail: `form: control character in ${name}` });
    }
    params[name] = value;
  }
  return params;
}

/** RFC 6749 §3.2: empty parameters are treated as omitted. */
export function optionalParam(params: FormParams, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

export function requiredParam(params: FormParams, name: string): string {
  const value = optionalParam(params, name);
  if (value === undefined) {
    throw authorityError('invalid_request', { description: `parameter ${name} is required` });
  }
  return value;
}
