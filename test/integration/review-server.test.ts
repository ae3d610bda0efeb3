// The local review server over real sockets: what it binds, what it serves without the key, and every way a
// decision can be refused — no key, a wrong Origin, a rebinding Host, another source address — before one made
// from the page is recorded with its channel.
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentRoom } from '../../src/app/consent-room.js';
import type { Plan } from '../../src/consent/plan.js';
import { pageBackend } from '../../src/review/desk.js';
import { startReviewServer, type ReviewServer } from '../../src/review/review-server.js';
import { testConsentRoom } from '../helpers/consent-room.js';
import { samplePlan } from '../helpers/plans.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  server: ReviewServer,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('review server', () => {
  let world: ConsentRoom;
  const clock = { t: 0 };
  let server: ReviewServer;
  let opened: string[];
  let plan: Plan;
  let token: string;
  const replies: Reply[] = [];

  beforeEach(async () => {
    clock.t = Date.UTC(2026, 10, 1, 10);
    world = testConsentRoom({ now: () => clock.t });
    opened = [];
    server = await startReviewServer({
      backend: pageBackend(world.desk),
      open: async (url) => {
        opened.push(url);
      },
    });
    plan = world.ledger.propose(samplePlan(), ['review_page']);
    await server.open(`/plans/${plan.id}`);
    token = new URL(opened[0]!).hash.slice(1);
  });
  afterEach(async () => {
    await server.close();
    // Security: the key went only to the opener; no answer ever carried it.
    for (const reply of replies.splice(0)) expect(reply.body).not.toContain(token);
  });

  const send = async (options: Parameters<typeof request>[1]) => {
    const reply = await request(server, options);
    replies.push(reply);
    return reply;
  };
  const decisionRequest = (
    overrides: { headers?: Record<string, string>; body?: unknown; localAddress?: string } = {},
  ) => ({
    method: 'POST',
    path: '/api/decision',
    headers: {
      host: `127.0.0.1:${server.port}`,
      origin: server.origin,
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...overrides.headers,
    },
    body: JSON.stringify(overrides.body ?? { planId: plan.id, planHash: plan.hash, decision: 'approve' }),
    ...(overrides.localAddress ? { localAddress: overrides.localAddress } : {}),
  });

  it('listens on 127.0.0.1 at an OS-chosen port, and opens the plan with a 256-bit key in the fragment only', () => {
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(1023);
    expect(opened).toEqual([`${server.origin}/plans/${plan.id}#${token}`]);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('serves the static shell without the key, with a nonce CSP and no data in it', async () => {
    const reply = await send({ path: `/plans/${plan.id}`, headers: { host: `127.0.0.1:${server.port}` } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(reply.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([0-9a-f]{32})'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(reply.body).toContain(`<script nonce="${nonce}">`);
    expect(reply.body).not.toContain(plan.hash);
    expect(reply.body).not.toContain('legacy_email');
    expect(reply.body).not.toMatch(/(?:src|href)="https?:/);
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it('serves a view only with the key', async () => {
    const headers = { host: `127.0.0.1:${server.port}` };
    expect((await send({ path: `/api/view/plan?plan=${plan.id}`, headers })).status).toBe(401);
    const reply = await send({
      path: `/api/view/plan?plan=${plan.id}`,
      headers: { ...headers, authorization: `Bearer ${token}` },
    });
    expect(reply.status).toBe(200);
    const json = JSON.parse(reply.body) as { title: string; html: string };
    expect(json.title).toBe(plan.title);
    expect(json.html).toContain(plan.hash);
    const missing = await send({
      path: '/api/view/plan?plan=plan_nope',
      headers: { ...headers, authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
  });

  describe('refuses a decision', () => {
    it.each<[string, () => ReturnType<typeof decisionRequest>, number]>([
      ['without the key', () => decisionRequest({ headers: { authorization: '' } }), 401],
      [
        'with a wrong key',
        () => decisionRequest({ headers: { authorization: `Bearer ${'A'.repeat(43)}` } }),
        401,
      ],
      ['with a wrong Origin', () => decisionRequest({ headers: { origin: 'http://evil.example' } }), 403],
      [
        'with the Origin of another local port',
        () => decisionRequest({ headers: { origin: 'http://127.0.0.1:1' } }),
        403,
      ],
      [
        'with a non-loopback Host (DNS rebinding)',
        () => decisionRequest({ headers: { host: `rebind.evil.example:${server.port}` } }),
        403,
      ],
      ['with Host: localhost', () => decisionRequest({ headers: { host: `localhost:${server.port}` } }), 403],
      [
        'from a source address other than 127.0.0.1',
        () => decisionRequest({ localAddress: '127.0.0.2' }),
        403,
      ],
      [
        'sent as a form',
        () => decisionRequest({ headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
      ],
      [
        "for a hash other than the plan's",
        () => decisionRequest({ body: { planId: plan.id, planHash: '0'.repeat(64), decision: 'approve' } }),
        409,
      ],
      [
        'for an unknown plan',
        () => decisionRequest({ body: { planId: 'plan_nope', planHash: plan.hash, decision: 'approve' } }),
        404,
      ],
      ['with a malformed body', () => decisionRequest({ body: { planId: plan.id, decision: 'yes' } }), 400],
    ])('%s', async (_name, build, status) => {
      const reply = await send(build());
      expect(reply.status).toBe(status);
      expect(JSON.parse(reply.body)).toHaveProperty('error');
      expect(world.ledger.get(plan.id)?.state).toBe('waiting');
    });
  });

  it('records a decision made from the page, with the review_page channel, once', async () => {
    const reply = await send(decisionRequest());
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).html).toContain('Approved');
    expect(world.ledger.get(plan.id)?.record).toMatchObject({
      channel: 'review_page',
      decision: 'approve',
      planHash: plan.hash,
    });
    const again = await send(
      decisionRequest({ body: { planId: plan.id, planHash: plan.hash, decision: 'decline' } }),
    );
    expect(again.status).toBe(409);
    expect(world.ledger.consume({ planId: plan.id, planHash: plan.hash }).ok).toBe(true);
  });

  it('refuses a decision on an expired plan', async () => {
    clock.t += 11 * 60_000;
    const reply = await send(decisionRequest());
    expect(reply.status).toBe(410);
  });

  it('stops listening when closed', async () => {
    await server.close();
    await expect(request(server, { path: '/' })).rejects.toThrow(/ECONNREFUSED/);
    server = { ...server, close: async () => {} };
  });
});
