import { describe, expect, it } from 'vitest';
import { isEmptyChunk, scanStatements } from '../../src/migrations/sql-text.js';

describe('scanStatements', () => {
  it.each([
    ['CREATE TABLE a (x);', ['CREATE']],
    ['  -- why\nCREATE TABLE a (x); INSERT INTO a VALUES (1)', ['CREATE', 'INSERT']],
    ["INSERT INTO a VALUES ('x; -- not a comment'); COMMIT", ['INSERT', 'COMMIT']],
    ['/* BEGIN; */ UPDATE a SET x = 1', ['UPDATE']],
    ['UPDATE "we;ird" SET [x;y] = `z;` ', ['UPDATE']],
    [
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = CASE WHEN new.x > 1 THEN 'a;' ELSE 'b' END; DELETE FROM b; END; ROLLBACK;",
      ['CREATE', 'ROLLBACK'],
    ],
    ['create temp trigger t after delete on a begin select 1; end', ['CREATE']],
    ["SELECT 'it''s'; END", ['SELECT', 'END']],
  ])('finds the statements of %j', (sql, keywords) => {
    expect(scanStatements(sql).map((s) => s.keyword)).toEqual(keywords);
  });

  it('keeps a trigger body in one statement', () => {
    const [trigger] = scanStatements('CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;');
    expect(trigger?.text).toBe('CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END');
  });
});

describe('isEmptyChunk', () => {
  it.each([
    ['', true],
    ['\n  \n', true],
    ['-- Custom SQL migration file, put your code below! --', true],
    ['/* only */ -- comments\n;', true],
    ['SELECT 1', false],
    ["-- x\n'a'", false],
  ])('%j → %s', (sql, empty) => {
    expect(isEmptyChunk(sql)).toBe(empty);
  });
});
