import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../src/sql/statements.js';
import { asciiUpper, tokenize } from '../../src/sql/tokenizer.js';

const kinds = (sql: string) => tokenize(sql).map((t) => `${t.kind}:${t.value}`);

describe('tokenize', () => {
  it('reads every parameter form', () => {
    expect(kinds('? ?12 :name @n $v')).toEqual([
      'param:?',
      'param:?12',
      'param::name',
      'param:@n',
      'param:$v',
    ]);
  });

  it('unescapes doubled quotes in names and strings, and keeps [brackets] literal', () => {
    expect(kinds(`"a""b" \`c\`\`d\` [e"f] 'g''h'`)).toEqual([
      'quoted:a"b',
      'quoted:c`d',
      'quoted:e"f',
      "string:g'h",
    ]);
  });

  it('reads blob literals and numbers with exponents', () => {
    expect(kinds("x'0aFF' X'' 1.5e-3 .5 0x1F 1_000")).toEqual([
      'blob:0aFF',
      'blob:',
      'number:1.5e-3',
      'number:.5',
      'number:0x1F',
      'number:1_000',
    ]);
  });

  it('treats a word starting with x as a word unless a quote follows at once', () => {
    expect(kinds("xray x 'y'")).toEqual(['word:XRAY', 'word:X', 'string:y']);
  });

  it('drops comments, including a line comment that runs to the end of input', () => {
    expect(kinds('a /* b; */ c -- d; e')).toEqual(['word:A', 'word:C']);
  });

  it('keeps a $ inside a name as part of the name, as SQLite does', () => {
    expect(kinds('a$b')).toEqual(['word:A$B']);
  });

  it('splits statements only at top-level semicolons outside quotes and comments', () => {
    const statements = splitStatements(tokenize("SELECT ';' ; /* ; */ SELECT [;] ;;"));
    expect(statements.map((s) => s.map((t) => t.text).join(' '))).toEqual(["SELECT ';'", 'SELECT [;]']);
  });

  it('folds only ASCII letters, as SQLite does', () => {
    expect(asciiUpper('select İ ß')).toBe('SELECT İ ß');
  });

  it('refuses unterminated quoted identifiers and brackets', () => {
    expect(() => tokenize('SELECT "a')).toThrow(/unterminated/);
    expect(() => tokenize('SELECT [a')).toThrow(/unterminated/);
    expect(() => tokenize("SELECT x'00")).toThrow(/unterminated/);
  });

  it('refuses DEL and other C0 controls but accepts tab, CR and LF', () => {
    expect(() => tokenize('SELECT 1\u007f')).toThrow(/control character/);
    expect(() => tokenize('SELECT 1\u001b')).toThrow(/control character/);
    expect(kinds('SELECT\t1\r\n')).toEqual(['word:SELECT', 'number:1']);
  });
});

describe('tokenize for migration text (tolerant)', () => {
  it('reads what the guard refuses, without changing what the guard refuses', () => {
    const sql = "SELECT 1\f# 'open";
    expect(() => tokenize(sql)).toThrow(/control character/);
    expect(tokenize(sql, { tolerant: true }).map((t) => `${t.kind}:${t.value}`)).toEqual([
      'word:SELECT',
      'number:1',
      'op:#',
      'string:open',
    ]);
  });

  it('keeps a trigger body whole only when asked to', () => {
    const tokens = tokenize(
      'CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT CASE WHEN 1 THEN 2 END; END; SELECT 1',
    );
    expect(splitStatements(tokens)).toHaveLength(3);
    expect(splitStatements(tokens, { triggerBodies: true }).map((s) => s.at(-1)?.text)).toEqual(['END', '1']);
  });
});
