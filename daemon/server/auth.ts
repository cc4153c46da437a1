// Who may talk to the daemon: a bearer token from a file only the user can read, loopback Host names only (DNS
// rebinding), and browser Origins only when explicitly allowed.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { dirname } from "node:path";
import { HttpError } from "./route.js";

/** Reads the token, creating it (mode 0600) on first start. */
export function ensureToken(file: string): string {
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length >= 32) {
      chmodSync(file, 0o600);
      return token;
    }
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = `hp_${randomBytes(24).toString("base64url")}`;
  writeFileSync(file, token + "\n", { mode: 0o600 });
  return token;
}

// A Host header is exactly one loopback name and an optional port, nothing before or after it (RFC 9110 §7.2):
// `localhost` or a name under it (RFC 6761 reserves *.localhost for loopback), an IPv4 loopback address
// (127.0.0.0/8, RFC 1122), or `[::1]`. Anything else — `[::1].evil.com`, `evil.com#.localhost`, `localhost.` — is a
// name a DNS-rebinding page could own.
const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
// Octets in plain decimal only: `127.000.000.001` or `127.0.0.01` is how no client writes an address (WHATWG URL
// serialises it canonically), and a leading zero reads as octal to some parsers.
const OCTET = "(0|[1-9]\\d{0,2})";
const LOOPBACK_HOST = new RegExp(
  `^(?:(?:${LABEL}\\.)*localhost|127\\.${OCTET}\\.${OCTET}\\.${OCTET}|\\[::1\\])(?::(\\d{1,5}))?$`,
  "i",
);

export function hostIsLoopback(hostHeader: string | undefined): boolean {
  if (!hostHeader || hostHeader.length > 255) return false;
  const m = LOOPBACK_HOST.exec(hostHeader);
  if (!m) return false;
  const [, a, b, c, port] = m;
  if ([a, b, c].some((octet) => octet !== undefined && Number(octet) > 255)) return false;
  return port === undefined || Number(port) <= 65535;
}

export interface AuthPolicy {
  token: string;
  allowOrigins: string[];
  /** When the daemon was told to bind a non-loopback address, Host names other than loopback are accepted. */
  allowAnyHost: boolean;
}

/** Throws 403 for a foreign Host or Origin; checked before anything else, public routes included. */
export function checkHostAndOrigin(req: IncomingMessage, policy: AuthPolicy): void {
  // Node keeps the first of several Host headers and drops the rest; RFC 9112 §3.2 asks for a 400 instead.
  if (hostHeaderCount(req.rawHeaders) > 1) {
    throw new HttpError(
      400,
      "the request has more than one Host header; send exactly one",
      "invalid_request_error",
      "invalid_host",
    );
  }
  // An absolute-form target (`GET http://name/path`) names the host the request is for, and RFC 9112 §3.2.2 says it
  // wins over the Host header: it must be a loopback name too.
  const authority = absoluteFormAuthority(req.url);
  if (!policy.allowAnyHost && authority !== undefined && !hostIsLoopback(authority)) {
    throw new HttpError(
      403,
      `the request target's host "${authority}" is not a loopback name; Hotpath only answers requests addressed to localhost / 127.0.0.1`,
      "permission_error",
      "forbidden_host",
    );
  }
  if (!policy.allowAnyHost && !hostIsLoopback(req.headers.host)) {
    throw new HttpError(
      403,
      `Host "${req.headers.host ?? ""}" is not a loopback name; Hotpath only answers requests addressed to localhost / 127.0.0.1`,
      "permission_error",
      "forbidden_host",
    );
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !policy.allowOrigins.includes(origin)) {
    throw new HttpError(
      403,
      `Origin "${origin}" is not allowed; start the daemon with --allow-origin ${origin} to permit it`,
      "permission_error",
      "forbidden_origin",
    );
  }
}

function hostHeaderCount(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === "host") n++;
  return n;
}

/** The authority of an absolute-form request target, as sent (not normalised: `0x7f.1` stays what it is). */
function absoluteFormAuthority(target: string | undefined): string | undefined {
  if (!target || target.startsWith("/") || target === "*") return undefined;
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(target);
  return m?.[1];
}

/** Bearer token, or `x-api-key` as Anthropic clients send it. Constant-time comparison. */
export function checkToken(req: IncomingMessage, policy: AuthPolicy): void {
  const auth = req.headers.authorization;
  // The scheme name is case-insensitive (RFC 9110 §11.1): `bearer <token>` was refused as a missing token.
  const presented = /^bearer /i.test(auth ?? "")
    ? auth!.slice(7).trim()
    : (req.headers["x-api-key"] as string | undefined)?.trim();
  if (!presented) {
    throw new HttpError(
      401,
      "missing bearer token; send 'Authorization: Bearer <token>' with the token from the daemon's token file",
      "authentication_error",
      "missing_token",
    );
  }
  const a = Buffer.from(presented);
  const b = Buffer.from(policy.token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new HttpError(
      401,
      "invalid bearer token; read it again from the daemon's token file",
      "authentication_error",
      "invalid_token",
    );
  }
}
