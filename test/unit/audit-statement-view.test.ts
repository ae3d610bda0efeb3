// How a raw statement and its values are recorded (issue 11 classes 7 and 9): the effective text, the column each
// placeholder feeds, and which names are secrets.
import { describe, expect, it } from 'vitest';
import { auditedStatement } from '../../src/audit/statement-view.js';
import { isSecretName } from '../../src/audit/secrets.js';
import { effectiveStatement } from '../../src/sql/effective-text.js';
import { placeholders } from '../../src/sql/placeholders.js';

describe('effectiveStatement', () => {
  const cases: Array<[string, string, string]> = [
    [
      'drops comments of both kinds',
      '-- hi\n/* there */ DELETE /* x */ FROM t -- tail\nWHERE id = 1',
      'DELETE FROM t WHERE id = 1',
    ],
    [
      'collapses whitespace and keeps punctuation tight',
      'SELECT  a ,b\n\tFROM  t ( x )',
      'SELECT a, b FROM t (x)',
    ],
    [
      'keeps quoted names and short literals',
      `UPDATE "my t" SET [c] = 'it''s' WHERE \`k\` = x'0A'`,
      `UPDATE "my t" SET [c] = 'it''s' WHERE \`k\` = x'0A'`,
    ],
    [
      'shortens a long string literal with a count',
      `SELECT '${'a'.repeat(100)}'`,
      `SELECT '${'a'.repeat(59)}…[+41 chars]'`,
    ],
    [
      'shortens a long blob literal',
      `SELECT x'${'ab'.repeat(50)}'`,
      `SELECT x'${'ab'.repeat(29)}…[+42 chars]'`,
    ],
    [
      'keeps three VALUES rows of many',
      'INSERT INTO t VALUES (1), (2), (3), (4), (5)',
      'INSERT INTO t VALUES (1), (2), (3), … (+2 more rows)',
    ],
    ['keeps a short VALUES list whole', 'INSERT INTO t VALUES (1), (2)', 'INSERT INTO t VALUES (1), (2)'],
    [
      'keeps what follows a VALUES list',
      'INSERT INTO t VALUES (1), (2), (3), (4) ON CONFLICT DO NOTHING',
      'INSERT INTO t VALUES (1), (2), (3), … (+1 more rows) ON CONFLICT DO NOTHING',
    ],
    [
      'does not treat a nested VALUES as the statement’s',
      'SELECT * FROM (VALUES (1), (2), (3), (4))',
      'SELECT * FROM (VALUES (1), (2), (3), (4))',
    ],
  ];
  for (const [name, sql, expected] of cases) it(name, () => expect(effectiveStatement(sql)).toBe(expected));
});

describe('placeholders', () => {
  const cases: Array<[string, string, Array<{ key: number | string; column?: string }>]> = [
    [
      'SET and WHERE by position',
      'UPDATE t SET a = ?, b = ? WHERE id = ?',
      [
        { key: 0, column: 'a' },
        { key: 1, column: 'b' },
        { key: 2, column: 'id' },
      ],
    ],
    [
      'named, with the column on either side',
      'SELECT * FROM t WHERE :v = token AND x = @w',
      [
        { key: 'v', column: 'token' },
        { key: 'w', column: 'x' },
      ],
    ],
    [
      'INSERT rows by column position',
      'INSERT INTO t (a, "b c") VALUES (?, ?), (?, ?)',
      [
        { key: 0, column: 'a' },
        { key: 1, column: 'b c' },
        { key: 2, column: 'a' },
        { key: 3, column: 'b c' },
      ],
    ],
    [
      'numbered placeholders keep their number',
      'UPDATE t SET a = ?2 WHERE id = ?1',
      [
        { key: 1, column: 'a' },
        { key: 0, column: 'id' },
      ],
    ],
    [
      'an expression leaves the column unknown',
      'UPDATE t SET a = upper(?) WHERE id IN (?)',
      [{ key: 0 }, { key: 1 }],
    ],
  ];
  for (const [name, sql, expected] of cases)
    it(name, () =>
      expect(
        placeholders(sql).map(({ key, column }) => (column === undefined ? { key } : { key, column })),
      ).toEqual(expected),
    );
});

describe('isSecretName', () => {
  const secret = [
    'password',
    'password_hash',
    'passwordHash',
    'api_key',
    'apiKey',
    'token',
    'refresh_token',
    'authToken',
    'private_key',
    'session_key',
    'client_secret',
    'auth',
  ];
  const plain = ['author_id', 'authorName', 'tokenizer', 'keyboard', 'passenger', 'monkey', 'id', 'email'];
  for (const name of secret) it(`treats ${name} as a secret`, () => expect(isSecretName(name)).toBe(true));
  for (const name of plain) it(`treats ${name} as plain`, () => expect(isSecretName(name)).toBe(false));
});

describe('auditedStatement', () => {
  it('records the text as sent by length and hash when it differs from the effective statement', () => {
    const view = auditedStatement('/* pad */ DELETE FROM t', undefined);
    expect(view).toEqual({
      statement: 'DELETE FROM t',
      sent: { length: 23, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(auditedStatement('DELETE FROM t')).toEqual({ statement: 'DELETE FROM t' });
  });
});
