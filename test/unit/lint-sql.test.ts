import { describe, expect, it } from 'vitest';
import { classifyStatement } from '../../src/migrations/lint-sql.js';
import {
  normalizeExpression,
  parseCreateIndex,
  parseCreateTable,
  splitStatements,
  tokenize,
} from '../../src/sql/ddl.js';

describe('splitStatements', () => {
  it.each([
    { sql: 'SELECT 1; SELECT 2;', want: ['SELECT 1', 'SELECT 2'] },
    {
      sql: 'INSERT INTO t VALUES (\'a;b\'); SELECT "x;y" FROM `z;w`',
      want: ["INSERT INTO t VALUES ('a;b')", 'SELECT "x;y" FROM `z;w`'],
    },
    { sql: 'SELECT [a;b] -- c;d\n; /* e;f */ SELECT 2', want: ['SELECT [a;b]', 'SELECT 2'] },
    { sql: '-- only a comment\n/* and another; */\n', want: [] },
    { sql: ';;  ;', want: [] },
    {
      sql: 'CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 ELSE 3 END; DELETE FROM c; END; SELECT 1',
      want: [
        'CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 ELSE 3 END; DELETE FROM c; END',
        'SELECT 1',
      ],
    },
    {
      sql: 'CREATE TEMP TRIGGER t BEFORE DELETE ON a BEGIN SELECT 1; END',
      want: ['CREATE TEMP TRIGGER t BEFORE DELETE ON a BEGIN SELECT 1; END'],
    },
    { sql: "SELECT 'it''s; fine'; SELECT x'00ff'", want: ["SELECT 'it''s; fine'", "SELECT x'00ff'"] },
    { sql: "SELECT 'unterminated; still one", want: ["SELECT 'unterminated; still one"] },
  ])('splits $sql', ({ sql, want }) => {
    expect(splitStatements(sql).map((s) => s.text)).toEqual(want);
  });
});

describe('tokenize', () => {
  it('unquotes identifiers of every style and keeps strings apart from them', () => {
    const tokens = tokenize('"a""b" `c``d` [e f] \'g\'\'h\' BEGIN');
    expect(tokens.map((t) => [t.kind, t.value])).toEqual([
      ['ident', 'a"b'],
      ['ident', 'c`d'],
      ['ident', 'e f'],
      ['string', "g'h"],
      ['word', 'BEGIN'],
    ]);
  });
});

describe('classifyStatement', () => {
  const classify = (sql: string) => classifyStatement(splitStatements(sql)[0]!);
  it.each([
    { sql: 'BEGIN TRANSACTION', kind: 'transaction' },
    { sql: 'end', kind: 'transaction' },
    { sql: 'SAVEPOINT a', kind: 'transaction' },
    { sql: "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 'COMMIT'; END", kind: 'create_trigger' },
    { sql: 'PRAGMA main.foreign_keys = OFF', kind: 'pragma' },
    { sql: 'VACUUM', kind: 'outside_transaction' },
    { sql: 'DROP TABLE IF EXISTS main.`t`', kind: 'drop' },
    { sql: 'ALTER TABLE "t" RENAME TO "u"', kind: 'rename_table' },
    { sql: 'ALTER TABLE t RENAME a TO b', kind: 'rename_column' },
    { sql: 'ALTER TABLE t ADD COLUMN a text NOT NULL DEFAULT 1', kind: 'add_column' },
    { sql: 'ALTER TABLE t DROP a', kind: 'drop_column' },
    { sql: 'INSERT INTO `__new_t`("a", "b") SELECT "a", "b" FROM `t`', kind: 'insert_select' },
    { sql: 'INSERT INTO t VALUES (1)', kind: 'write' },
    { sql: 'UPDATE OR IGNORE t SET a = 1', kind: 'write' },
    { sql: 'SELECT 1', kind: 'other' },
  ])('classifies $sql as $kind', ({ sql, kind }) => {
    expect(classify(sql).kind).toBe(kind);
  });

  it('reads the parts of the statements the linter acts on', () => {
    expect(classify('PRAGMA foreign_keys=OFF')).toEqual({
      kind: 'pragma',
      name: 'foreign_keys',
      value: 'OFF',
    });
    expect(classify('ALTER TABLE t RENAME COLUMN "a" TO `b`')).toEqual({
      kind: 'rename_column',
      table: 't',
      from: 'a',
      to: 'b',
    });
    expect(classify('DROP INDEX IF EXISTS i')).toEqual({ kind: 'drop', object: 'INDEX', name: 'i' });
    const insert = classify('INSERT INTO `__new_t`("a", "b") SELECT "a", coalesce("b", 0) FROM `t`');
    expect(
      insert.kind === 'insert_select' && {
        table: insert.table,
        from: insert.from,
        n: insert.selectItems.length,
      },
    ).toEqual({ table: '__new_t', from: 't', n: 2 });
    const join = classify('INSERT INTO x(a) SELECT t.a FROM t JOIN u ON u.id = t.id');
    expect(join.kind === 'insert_select' && join.from).toBeUndefined();
    const add = classify('ALTER TABLE `j` ADD `r` text REFERENCES p(id) ON DELETE SET NULL');
    expect(add.kind === 'add_column' && add.column.references).toMatchObject({
      table: 'p',
      columns: ['id'],
      onDelete: 'set null',
    });
  });
});

describe('parseCreateTable', () => {
  it('reads columns, defaults, keys, generated columns and table constraints', () => {
    const parsed = parseCreateTable(`CREATE TABLE IF NOT EXISTS main."t" (
      id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
      name varchar(20) COLLATE NOCASE DEFAULT ('x') UNIQUE CHECK (length(name) > 0),
      n numeric DEFAULT -1,
      g text GENERATED ALWAYS AS (upper(name)) STORED,
      p integer REFERENCES parent ON DELETE CASCADE ON UPDATE SET DEFAULT,
      CONSTRAINT "pos" CHECK (n >= 0 AND (n < 10)),
      FOREIGN KEY (n, p) REFERENCES other(a, b) ON DELETE NO ACTION
    ) WITHOUT ROWID, STRICT`)!;
    expect(parsed.table).toBe('t');
    expect(parsed.withoutRowid && parsed.strict).toBe(true);
    expect(
      parsed.columns.map((c) => [
        c.name,
        c.type,
        c.notNull,
        c.primaryKey,
        c.autoincrement,
        c.default ?? null,
      ]),
    ).toEqual([
      ['id', 'integer', true, true, true, null],
      ['name', 'varchar(20)', false, false, false, "('x')"],
      ['n', 'numeric', false, false, false, '-1'],
      ['g', 'text', false, false, false, null],
      ['p', 'integer', false, false, false, null],
    ]);
    expect(parsed.columns[1]!.checks).toEqual(['length(name) > 0']);
    expect(parsed.columns[3]!.generated).toEqual({ expression: 'upper(name)', stored: true });
    expect(parsed.columns[4]!.references).toMatchObject({
      table: 'parent',
      columns: [],
      onDelete: 'cascade',
      onUpdate: 'set default',
    });
    expect(parsed.constraints).toEqual([
      { name: 'pos', kind: 'check', columns: [], expression: 'n >= 0 AND (n < 10)' },
      {
        kind: 'foreignKey',
        columns: ['n', 'p'],
        references: expect.objectContaining({ table: 'other', columns: ['a', 'b'], onDelete: 'no action' }),
      },
    ]);
  });

  it('recognises virtual tables without reading their arguments', () => {
    expect(parseCreateTable('CREATE VIRTUAL TABLE docs USING fts5(title, body)')).toMatchObject({
      table: 'docs',
      virtual: true,
      columns: [],
    });
  });
});

describe('parseCreateIndex', () => {
  it('reads expression columns, sort order and the partial WHERE', () => {
    expect(
      parseCreateIndex(
        'CREATE UNIQUE INDEX IF NOT EXISTS "i" ON `t` (lower(a) DESC, "b" COLLATE NOCASE ASC) WHERE a IS NOT NULL',
      ),
    ).toEqual({
      name: 'i',
      table: 't',
      unique: true,
      columns: ['lower(a)', 'b'],
      plain: [false, true],
      where: 'a IS NOT NULL',
    });
  });
});

describe('normalizeExpression', () => {
  it.each([
    ['(CURRENT_TIMESTAMP)', 'CURRENT_TIMESTAMP'],
    ['((1))', '1'],
    ['true', '1'],
    ['"users"."is_active" = 1', 'users.is_active=1'],
    ["'Member'", "'Member'"],
  ])('treats %s like %s', (a, b) => {
    expect(normalizeExpression(a)).toBe(normalizeExpression(b));
  });

  it('tells string literals apart by case', () => {
    expect(normalizeExpression("'member'")).not.toBe(normalizeExpression("'Member'"));
  });

  it('removes only parentheses that wrap the whole expression', () => {
    expect(normalizeExpression('(a) + (b)')).toBe('( a ) + ( b )');
  });
});
