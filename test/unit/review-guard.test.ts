import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandFor, systemOpener } from '../../src/review/open-browser.js';
import { checkRequest, type RequestFacts } from '../../src/review/request-guard.js';

const PORT = 41234;
const TOKEN = 'k'.repeat(43);
const ORIGIN = `http://127.0.0.1:${PORT}`;

const decision: RequestFacts = {
  method: 'POST',
  path: '/api/decision',
  remoteAddress: '127.0.0.1',
  host: `127.0.0.1:${PORT}`,
  origin: ORIGIN,
  secFetchSite: 'same-origin',
  authorization: `Bearer ${TOKEN}`,
  contentType: 'application/json',
};
const view: RequestFacts = { ...decision, method: 'GET', path: '/api/view/plan', contentType: undefined };
const shell: RequestFacts = {
  ...view,
  path: '/plans/plan_abc',
  origin: undefined,
  secFetchSite: 'none',
  authorization: undefined,
};

describe('review request guard', () => {
  it.each<[string, RequestFacts, number | 'ok']>([
    ['a decision from our page', decision, 'ok'],
    [
      'a decision over an IPv4-mapped socket address',
      { ...decision, remoteAddress: '::ffff:127.0.0.1' },
      'ok',
    ],
    ['a decision without the key', { ...decision, authorization: undefined }, 401],
    ['a decision with a wrong key', { ...decision, authorization: `Bearer ${'x'.repeat(43)}` }, 401],
    ['a decision with the key in another scheme', { ...decision, authorization: `Basic ${TOKEN}` }, 401],
    ['a decision with the key as a prefix', { ...decision, authorization: `Bearer ${TOKEN}x` }, 401],
    ['a decision from another origin', { ...decision, origin: 'http://evil.example' }, 403],
    [
      'a decision from localhost by name (not our origin)',
      { ...decision, origin: `http://localhost:${PORT}` },
      403,
    ],
    ['a decision with no Origin (not a browser page of ours)', { ...decision, origin: undefined }, 403],
    ['a decision marked cross-site', { ...decision, secFetchSite: 'cross-site' }, 403],
    [
      "a decision through DNS rebinding (Host is the attacker's name)",
      { ...decision, host: `evil.example:${PORT}` },
      403,
    ],
    ['a decision naming another port', { ...decision, host: '127.0.0.1:80' }, 403],
    ['a decision with no Host', { ...decision, host: undefined }, 403],
    ['a decision from a LAN address', { ...decision, remoteAddress: '192.168.1.5' }, 403],
    ['a decision from another loopback address', { ...decision, remoteAddress: '127.0.0.2' }, 403],
    ['a decision from IPv6 loopback (we bind IPv4 only)', { ...decision, remoteAddress: '::1' }, 403],
    ['a decision sent as a form', { ...decision, contentType: 'application/x-www-form-urlencoded' }, 415],
    [
      'a decision as text/plain (a "simple" cross-site request)',
      { ...decision, contentType: 'text/plain' },
      415,
    ],
    ['a view with the key', view, 'ok'],
    ['a view without the key', { ...view, authorization: undefined }, 401],
    ['a view opened directly in the address bar', { ...view, secFetchSite: 'none' }, 403],
    ['the shell, without any key', shell, 'ok'],
    ['the home page', { ...shell, path: '/' }, 'ok'],
    ['the shell from a rebinding host', { ...shell, host: 'evil.example' }, 403],
    ['an unknown path', { ...shell, path: '/etc/passwd' }, 404],
    ['a decision path with GET', { ...view, path: '/api/decision' }, 404],
    ['a PUT', { ...decision, method: 'PUT' }, 405],
    ['a DELETE', { ...decision, method: 'DELETE' }, 405],
  ])('%s → %s', (_name, facts, expected) => {
    const verdict = checkRequest(facts, { port: PORT, token: TOKEN });
    expect(verdict.ok ? 'ok' : verdict.status).toBe(expected);
  });
});

describe('system opener', () => {
  const url = `http://127.0.0.1:${PORT}/plans/plan_abc#${TOKEN}`;

  function fakeSpawn(exitCode: number | null) {
    const calls: Array<{ command: string; args: string[]; options: unknown }> = [];
    const spawn = (command: string, args: string[], options: unknown) => {
      calls.push({ command, args, options });
      const child = new EventEmitter() as ChildProcess;
      child.unref = () => child;
      if (exitCode !== null) setImmediate(() => child.emit('exit', exitCode));
      return child;
    };
    return { calls, spawn };
  }

  it.each([
    ['linux', 'xdg-open', [url]],
    ['darwin', 'open', [url]],
    ['win32', 'cmd.exe', ['/d', '/s', '/c', `start "" "${url}"`]],
  ] as const)('uses the platform opener on %s', (platform, command, args) => {
    expect(commandFor(platform, url)).toMatchObject({ command, args });
  });

  it('starts the opener detached, with its output discarded (our stdout is JSON-RPC)', async () => {
    const { calls, spawn } = fakeSpawn(0);
    await systemOpener({ platform: 'linux', env: { DISPLAY: ':0' }, spawn })(url);
    expect(calls).toEqual([
      {
        command: 'xdg-open',
        args: [url],
        options: { stdio: 'ignore', detached: true, windowsVerbatimArguments: false },
      },
    ]);
  });

  it.each([
    ['another host', `http://evil.example:${PORT}/#${TOKEN}`],
    ['no key', `http://127.0.0.1:${PORT}/`],
    ['a shell metacharacter', `http://127.0.0.1:${PORT}/&calc#${TOKEN}`],
    ['a quote', `http://127.0.0.1:${PORT}/"#${TOKEN}`],
    ['a file URL', `file:///etc/passwd#${TOKEN}`],
  ])('refuses to open a URL with %s, starting nothing', async (_name, bad) => {
    const { calls, spawn } = fakeSpawn(0);
    await expect(systemOpener({ platform: 'win32', env: {}, spawn })(bad)).rejects.toThrow(
      'not a local review page',
    );
    expect(calls).toEqual([]);
  });

  it('says there is no graphical session on Linux without DISPLAY or WAYLAND_DISPLAY', async () => {
    const { calls, spawn } = fakeSpawn(0);
    await expect(systemOpener({ platform: 'linux', env: {}, spawn })(url)).rejects.toThrow(
      'No graphical session',
    );
    expect(calls).toEqual([]);
  });

  it('reports an opener that fails, and counts one still running after the settle time as started', async () => {
    await expect(
      systemOpener({ platform: 'darwin', env: {}, spawn: fakeSpawn(3).spawn })(url),
    ).rejects.toThrow('exited with code 3');
    await expect(
      systemOpener({ platform: 'darwin', env: {}, spawn: fakeSpawn(null).spawn, settleMs: 10 })(url),
    ).resolves.toBeUndefined();
  });
});
