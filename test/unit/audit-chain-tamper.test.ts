// The audit chain against out-of-band tampering (issue 11 class 8): every edit, delete (middle, head and tail;
// before and after later appends; with sqlite_sequence rewound), insert and trigger is reported by verify, with the
// row where it broke; and what a hostile client can put in a row (a huge tool name, lone surrogates, NUL) can
// neither bloat the table nor make an honest chain look broken.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditAnchor } from '../../src/audit/anchor.js';
import { AuditLog, buildAuditDetails, ensureAuditTable, hashAuditRow } from '../../src/audit/audit-log.js';
import { fromRawAuditRow, type AuditEntry, type RawAuditRow } from '../../src/audit/entry.js';

let dir: string;
let db: Database.Database;
let anchor: AuditAnchor;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsm-tamper-'));
  db = new Database(path.join(dir, 'a.db'));
  anchor = new AuditAnchor(path.join(dir, 'backups', 'audit_log.anchor.json'));
  ensureAuditTable(db, 'audit_log');
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const entry = (tool: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  createdAt: new Date().toISOString(),
  tool,
  outcome: 'ok',
  durationMs: 2,
  client: 'test/1.0',
  details: buildAuditDetails({ n: tool }),
  ...extra,
});

/** What the server does for each call: append, then record the committed head outside the database. */
function serverAppends(log: AuditLog, count: number, prefix = 'call'): void {
  for (let i = 0; i < count; i++) {
    log.append(entry(`${prefix}_${i}`));
    log.syncAnchor();
  }
}

const rows = (): RawAuditRow[] => db.prepare('SELECT * FROM audit_log ORDER BY id').all() as RawAuditRow[];

/** Recomputes every hash from `fromId` on, as an attacker who read our source would. */
function rechain(fromId: number): void {
  let prev =
    (db.prepare('SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1').pluck().get(fromId) as
      string | undefined) ?? '';
  for (const raw of rows().filter((r) => r.id >= fromId)) {
    const row = fromRawAuditRow({ ...raw, prev_hash: prev });
    const { hash: _old, ...rest } = row;
    const hash = hashAuditRow(rest);
    db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?').run(prev, hash, raw.id);
    prev = hash;
  }
}

interface TamperCase {
  name: string;
  tamper: () => void;
  /** Calls the server answers after the tampering (appends and anchor syncs). */
  laterAppends?: number;
  brokenAt: number;
  reason: RegExp;
}

const CASES: TamperCase[] = [
  {
    name: 'an edited row',
    tamper: () => db.exec('UPDATE audit_log SET details = \'{"n":"nothing to see"}\' WHERE id = 3'),
    brokenAt: 3,
    reason: /edited/,
  },
  {
    name: 'an edited row whose own hash was recomputed',
    tamper: () => {
      db.exec("UPDATE audit_log SET outcome = 'error' WHERE id = 3");
      const raw = rows().find((r) => r.id === 3)!;
      const { hash: _h, ...rest } = fromRawAuditRow(raw);
      db.prepare('UPDATE audit_log SET hash = ? WHERE id = 3').run(hashAuditRow(rest));
    },
    brokenAt: 4,
    reason: /prev_hash/,
  },
  {
    name: 'the whole chain rewritten from row 2 with valid hashes',
    tamper: () => {
      db.exec("UPDATE audit_log SET tool = 'innocent' WHERE id = 2");
      rechain(2);
    },
    brokenAt: 5,
    reason: /rewritten/,
  },
  {
    name: 'a deleted middle row',
    tamper: () => db.exec('DELETE FROM audit_log WHERE id = 3'),
    brokenAt: 4,
    reason: /jump from 2 to 4/,
  },
  {
    name: 'a deleted middle row with the chain relinked around it',
    tamper: () => {
      db.exec('DELETE FROM audit_log WHERE id = 3');
      rechain(4);
    },
    brokenAt: 4,
    reason: /jump from 2 to 4/,
  },
  {
    name: 'a deleted middle row, ids renumbered, chain relinked and sqlite_sequence rewound',
    tamper: () => {
      db.exec('DELETE FROM audit_log WHERE id = 3; UPDATE audit_log SET id = id - 1 WHERE id > 3');
      rechain(3);
      db.exec("UPDATE sqlite_sequence SET seq = 4 WHERE name = 'audit_log'");
    },
    brokenAt: 5,
    reason: /rows after id 4 were deleted/,
  },
  {
    name: 'a deleted head row',
    tamper: () => db.exec('DELETE FROM audit_log WHERE id = 1'),
    brokenAt: 2,
    reason: /first row has id 2/,
  },
  {
    name: 'a deleted tail row',
    tamper: () => db.exec('DELETE FROM audit_log WHERE id = 5'),
    brokenAt: 5,
    reason: /ids up to 5 were issued/,
  },
  {
    name: 'a deleted tail with sqlite_sequence rewound',
    tamper: () =>
      db.exec(
        "DELETE FROM audit_log WHERE id >= 4; UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log'",
      ),
    brokenAt: 4,
    reason: /recorded outside the database/,
  },
  {
    name: 'a deleted tail with sqlite_sequence rewound, then two honest calls',
    tamper: () =>
      db.exec(
        "DELETE FROM audit_log WHERE id >= 4; UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log'",
      ),
    laterAppends: 2,
    brokenAt: 5,
    reason: /missing or changed when the server next wrote/,
  },
  {
    name: 'a deleted tail (sequence left), then two honest calls',
    tamper: () => db.exec('DELETE FROM audit_log WHERE id >= 4'),
    laterAppends: 2,
    brokenAt: 6,
    reason: /jump from 3 to 6/,
  },
  {
    name: 'a deleted middle row, then later calls',
    tamper: () => db.exec('DELETE FROM audit_log WHERE id = 2'),
    laterAppends: 3,
    brokenAt: 3,
    reason: /jump from 1 to 3/,
  },
  {
    name: 'an inserted row in a gap of ids',
    tamper: () => {
      db.exec(
        'UPDATE audit_log SET id = id + 100 WHERE id >= 3; UPDATE audit_log SET id = id - 99 WHERE id >= 100',
      );
      db.exec(
        "INSERT INTO audit_log (id, created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES (3, 'x', 'forged', 'ok', 1, '', 'x')",
      );
    },
    brokenAt: 3,
    reason: /prev_hash/,
  },
  {
    name: 'an inserted tail row that copies a plausible prev_hash',
    tamper: () => {
      const last = rows().at(-1)!;
      db.prepare(
        "INSERT INTO audit_log (created_at, tool, outcome, duration_ms, prev_hash, hash) VALUES ('x', 'forged', 'ok', 1, ?, 'x')",
      ).run(last.hash);
    },
    brokenAt: 6,
    reason: /edited/,
  },
  {
    name: 'a trigger on the audit table',
    tamper: () =>
      db.exec(
        'CREATE TRIGGER hide AFTER INSERT ON audit_log BEGIN DELETE FROM audit_log WHERE id = new.id; END',
      ),
    brokenAt: 0,
    reason: /trigger "hide"/,
  },
];

describe('verify catches out-of-band tampering', () => {
  for (const kase of CASES) {
    it(`catches ${kase.name}`, () => {
      const log = new AuditLog(db, 'audit_log', { anchor });
      serverAppends(log, 5);
      expect(log.verify()).toEqual({ ok: true, checkedRows: 5 });
      kase.tamper();
      if (kase.laterAppends) serverAppends(log, kase.laterAppends, 'later');
      const result = log.verify();
      expect(result.ok).toBe(false);
      expect(result.firstBroken?.id).toBe(kase.brokenAt);
      expect(result.firstBroken?.reason).toMatch(kase.reason);
    });
  }

  it('refuses to append while a foreign trigger is on the audit table, naming it', () => {
    const log = new AuditLog(db, 'audit_log', { anchor });
    serverAppends(log, 2);
    db.exec(
      "CREATE TRIGGER spy AFTER INSERT ON audit_log BEGIN UPDATE audit_log SET details = 'x' WHERE id = new.id; END",
    );
    expect(() => log.append(entry('next'))).toThrow(
      expect.objectContaining({ code: 'AUDIT_WRITE_FAILED', message: expect.stringMatching(/"spy"/) }),
    );
    expect(rows()).toHaveLength(2);
    db.exec('DROP TRIGGER spy');
    serverAppends(log, 1);
    expect(log.verify()).toEqual({ ok: true, checkedRows: 3 });
  });

  it('moves the anchor only forward and keeps it when the chain is intact', () => {
    const log = new AuditLog(db, 'audit_log', { anchor });
    serverAppends(log, 3);
    expect(anchor.read()).toMatchObject({ table: 'audit_log', id: 3 });
    log.syncAnchor();
    expect(anchor.read()).toMatchObject({ id: 3 });
    expect(anchor.read()?.mismatch).toBeUndefined();
  });
});

describe('what a client puts in a row is stored, and hashed, exactly as it comes back', () => {
  const strange: Array<[string, Partial<AuditEntry>]> = [
    ['a lone high surrogate in the tool name', { tool: 'bad\ud800name' }],
    [
      'a lone low surrogate in the details',
      { details: JSON.stringify({ x: 'a\udc00b' }).replace('\\udc00', '\udc00') },
    ],
    ['a surrogate pair cut by the details cap', { details: `${'x'.repeat(70_000)}😀` }],
    ['a NUL inside the target', { targetType: 'table', targetId: 'us\u0000ers' }],
    ['a 5 MB unknown tool name', { tool: 'z'.repeat(5 * 1024 * 1024) }],
    ['a 1 MB client name', { client: 'c'.repeat(1024 * 1024) }],
  ];
  for (const [name, extra] of strange) {
    it(`keeps an honest chain whole with ${name}, within bounds`, () => {
      const log = new AuditLog(db, 'audit_log', { anchor });
      serverAppends(log, 2);
      log.append(entry('x', extra));
      log.syncAnchor();
      serverAppends(log, 1, 'after');
      expect(log.verify()).toEqual({ ok: true, checkedRows: 4 });
      const stored = rows()[2]!;
      const size = Object.values(stored).reduce<number>(
        (n, v) => n + (typeof v === 'string' ? v.length : 0),
        0,
      );
      expect(size).toBeLessThan(70 * 1024);
    });
  }

  it('bounds a huge argument in the details to a few kilobytes, with the hash of what was sent', () => {
    const details = buildAuditDetails({
      sql: 'x'.repeat(3_000_000),
      rows: Array.from({ length: 5000 }, (_, i) => ({ i })),
    });
    expect(details!.length).toBeLessThan(10 * 1024);
    expect(JSON.parse(details!)).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
