// Statement boundaries, decided on tokens from `tokenize` — never on raw text — so a semicolon inside a string, a
// quoted name or a comment never ends a statement. Invariant: the only place that decides where one statement ends.
import type { Token } from './tokenizer.js';

export interface SplitOptions {
  /**
   * Keep a `CREATE [TEMP] TRIGGER … BEGIN … END` body (with `CASE … END` inside it) in one statement, as SQLite
   * does. The query guard leaves this off: it accepts one statement per call, and a trigger body split at its inner
   * semicolons is refused just as surely as a whole one.
   */
  triggerBodies?: boolean;
}

/** Splits tokens into statements at top-level semicolons, dropping empty statements (`;;`, trailing `;`). */
export function splitStatements(tokens: readonly Token[], options: SplitOptions = {}): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let inTriggerBody = false;
  let caseDepth = 0;
  for (const token of tokens) {
    if (token.kind === 'semicolon' && !inTriggerBody) {
      if (current.length > 0) statements.push(current);
      current = [];
      continue;
    }
    current.push(token);
    if (options.triggerBodies !== true || token.kind !== 'word') continue;
    if (!inTriggerBody && token.value === 'BEGIN' && isCreateTrigger(current)) {
      inTriggerBody = true;
    } else if (inTriggerBody && token.value === 'CASE') {
      caseDepth += 1;
    } else if (inTriggerBody && token.value === 'END') {
      if (caseDepth > 0) caseDepth -= 1;
      else inTriggerBody = false;
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

function isCreateTrigger(tokens: readonly Token[]): boolean {
  const words = tokens.slice(0, 3).map((t) => (t.kind === 'word' ? t.value : ''));
  return (
    words[0] === 'CREATE' &&
    (words[1] === 'TRIGGER' || ((words[1] === 'TEMP' || words[1] === 'TEMPORARY') && words[2] === 'TRIGGER'))
  );
}

/** The source text a statement's tokens span (comments between them kept, none before or after). */
export function statementText(sql: string, tokens: readonly Token[]): string {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  return first === undefined || last === undefined ? '' : sql.slice(first.start, last.end);
}
