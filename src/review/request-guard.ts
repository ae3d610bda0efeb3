// Who may talk to the local review server, decided for each request before anything else runs. Invariant: the only
// requests served are from this machine's loopback address, naming our exact host and port (so a DNS-rebinding page,
// whose Host is its own name, is refused), from our own origin when a browser says where it comes from, and — for
// anything past the static shell — carrying the key that only the opened URL's fragment held. The shell itself is
// static and holds no data, so it needs no key. Pure: the server passes in the request's facts.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface RequestFacts {
  method: string;
  /** The path without the query string. */
  path: string;
  remoteAddress: string | undefined;
  host: string | undefined;
  origin: string | undefined;
  /** Fetch metadata, sent by every current browser. */
  secFetchSite: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
}

export interface GuardConfig {
  port: number;
  token: string;
}

export type Route =
  | { kind: 'shell' }
  | { kind: 'view'; view: 'plans' | 'plan' | 'schema' | 'migrations' | 'audit' }
  | { kind: 'decision' };

export type Verdict = { ok: true; route: Route } | { ok: false; status: number; reason: string };

const SHELL_PATHS = /^\/(?:|schema|migrations|audit|plans\/[A-Za-z0-9_-]{1,64})$/;
const VIEW_PATHS = /^\/api\/view\/(plans|plan|schema|migrations|audit)$/;

/** Loopback as this server binds it: 127.0.0.1 (IPv4, or IPv4-mapped on a dual-stack socket). */
export function isOurLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::ffff:127.0.0.1';
}

export function checkRequest(facts: RequestFacts, config: GuardConfig): Verdict {
  const origin = `http://127.0.0.1:${config.port}`;
  // Security: the socket is bound to 127.0.0.1, so the kernel already keeps other machines out; this re-checks it.
  if (!isOurLoopback(facts.remoteAddress)) return refuse(403, 'Requests are served only from this machine.');
  // Security: DNS rebinding — a page on evil.example that re-resolves to 127.0.0.1 still sends Host: evil.example.
  if (facts.host?.toLowerCase() !== `127.0.0.1:${config.port}`) return refuse(403, 'Unexpected Host header.');
  if (facts.origin !== undefined && facts.origin !== origin)
    return refuse(403, 'Cross-origin requests are refused.');
  if (facts.secFetchSite !== undefined && !['same-origin', 'none'].includes(facts.secFetchSite)) {
    return refuse(403, 'Cross-site requests are refused.');
  }

  if (facts.method === 'GET' || facts.method === 'HEAD') {
    if (SHELL_PATHS.test(facts.path)) return { ok: true, route: { kind: 'shell' } };
    const view = VIEW_PATHS.exec(facts.path);
    if (!view) return refuse(404, 'Not found.');
    if (facts.secFetchSite === 'none') return refuse(403, 'Open the review page, not its API.');
    if (!hasToken(facts.authorization, config.token)) return refuse(401, 'Missing or wrong review key.');
    return { ok: true, route: { kind: 'view', view: view[1] as 'plans' } };
  }
  if (facts.method === 'POST') {
    if (facts.path !== '/api/decision') return refuse(404, 'Not found.');
    // Security: a decision must come from our page, which always sends its Origin with a POST.
    if (facts.origin !== origin) return refuse(403, 'A decision must come from the review page itself.');
    if (!hasToken(facts.authorization, config.token)) return refuse(401, 'Missing or wrong review key.');
    if (!/^application\/json(?:;|$)/i.test(facts.contentType ?? '')) return refuse(415, 'Send JSON.');
    return { ok: true, route: { kind: 'decision' } };
  }
  return refuse(405, 'Only GET and POST are served.');
}

function refuse(status: number, reason: string): Verdict {
  return { ok: false, status, reason };
}

function hasToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(authorization ?? '');
  if (!match) return false;
  // Digests have one length, so the comparison is constant-time whatever was sent.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}
