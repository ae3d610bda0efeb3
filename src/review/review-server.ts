// The local review server: a page in the person's own browser that shows what the assistant wants to do, for
// clients that cannot show it themselves. Invariant: it listens on 127.0.0.1 only, at a port the OS picks; every
// request passes the request guard first; its key is random per server, handed only to the opener inside the
// URL's fragment (which browsers never send), and never returned to the caller as text for an MCP message. It is
// read-only except for one action — a decision on a plan — which the backend carries out.
import { randomBytes as nodeRandomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Html } from '../views/html.js';
import { renderReviewShell } from '../views/shell.js';
import { checkRequest, type Route } from './request-guard.js';

export type ReviewViewName = Extract<Route, { kind: 'view' }>['view'];

export interface ReviewBackend {
  /** Renders a view; `undefined` when it names something that is not there (an unknown plan). */
  view(name: ReviewViewName, params: { planId?: string }): Promise<{ title: string; html: Html } | undefined>;
  /** Records the person's decision; on success, the plan's card in its new state. */
  decide(input: {
    planId: string;
    planHash: string;
    decision: 'approve' | 'decline';
  }): Promise<{ ok: true; title: string; html: Html } | { ok: false; status: number; message: string }>;
}

export interface ReviewServerOptions {
  backend: ReviewBackend;
  /** Opens a URL in the person's browser (see open-browser.ts); tests pass their own. */
  open: (url: string) => Promise<void>;
  randomBytes?: (size: number) => Uint8Array;
  /** Called with a short line for the server's log (never the key). */
  log?: (line: string) => void;
}

export interface ReviewServer {
  readonly port: number;
  /** The page's origin, without the key: safe to show anyone. */
  readonly origin: string;
  /** Opens a page (e.g. "/plans/plan_x") in the person's browser, the key in the fragment. */
  open(path: string): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;
const PLAN_ID = /^plan_[A-Za-z0-9_-]{1,64}$/;

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const token = Buffer.from((options.randomBytes ?? nodeRandomBytes)(32)).toString('base64url');
  let port = 0;
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'The review server failed; see the server log.' });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const verdict = checkRequest(
      {
        method: req.method ?? '',
        path: url.pathname,
        remoteAddress: req.socket.remoteAddress,
        host: req.headers.host,
        origin: req.headers.origin,
        secFetchSite: header(req.headers['sec-fetch-site']),
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
      },
      { port, token },
    );
    if (!verdict.ok) {
      options.log?.(
        `review page: refused ${req.method} ${url.pathname} (${verdict.status}: ${verdict.reason})`,
      );
      req.resume();
      return send(res, verdict.status, { error: verdict.reason });
    }
    switch (verdict.route.kind) {
      case 'shell': {
        const nonce = randomUUID().replaceAll('-', '');
        res.writeHead(200, {
          ...COMMON_HEADERS,
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        });
        res.end(req.method === 'HEAD' ? undefined : renderReviewShell(nonce));
        return;
      }
      case 'view': {
        const planId = url.searchParams.get('plan') ?? undefined;
        if (planId !== undefined && !PLAN_ID.test(planId)) return send(res, 400, { error: 'Not a plan id.' });
        const view = await options.backend.view(verdict.route.view, planId ? { planId } : {});
        if (!view)
          return send(res, 404, { error: 'There is no such plan (it may have expired or been decided).' });
        return send(res, 200, { title: view.title, html: view.html.text });
      }
      case 'decision': {
        const body = await readJson(req);
        const input = decisionInput(body);
        if (!input)
          return send(res, 400, {
            error: 'Expected {"planId", "planHash", "decision": "approve"|"decline"}.',
          });
        const result = await options.backend.decide(input);
        if (!result.ok) return send(res, result.status, { error: result.message });
        options.log?.(`review page: ${input.decision} recorded for ${input.planId}`);
        return send(res, 200, { title: result.title, html: result.html.text });
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Security: loopback only, and a port the OS picks, so nothing else on the network can reach the page.
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    port,
    origin,
    open(path: string) {
      if (!/^\/[A-Za-z0-9_/-]*$/.test(path))
        return Promise.reject(new Error(`Not a review page path: ${path}`));
      return options.open(`${origin}${path}#${token}`);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function decisionInput(body: unknown): Parameters<ReviewBackend['decide']>[0] | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { planId, planHash, decision } = body as Record<string, unknown>;
  if (typeof planId !== 'string' || !PLAN_ID.test(planId)) return undefined;
  if (typeof planHash !== 'string' || !/^[0-9a-f]{64}$/.test(planHash)) return undefined;
  if (decision !== 'approve' && decision !== 'decline') return undefined;
  return { planId, planHash, decision };
}
