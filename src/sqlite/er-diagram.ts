// The live schema as a Mermaid erDiagram: one entity per table, one edge per foreign key. Pure.
import type { DatabaseSchema } from './introspect.js';

const mermaidWord = (text: string) => text.replace(/[^A-Za-z0-9_]/g, '_') || '_';

/** Mermaid erDiagram: one entity per table (types squeezed to one word, as Mermaid requires), one edge per FK. */
export function toMermaid(schema: DatabaseSchema): string {
  const lines = ['erDiagram'];
  for (const table of schema.tables) {
    lines.push(`  ${mermaidWord(table.name)} {`);
    const fkColumns = new Set(table.foreignKeys.flatMap((fk) => fk.columns));
    for (const column of table.columns) {
      const keys = [column.primaryKey !== undefined ? 'PK' : '', fkColumns.has(column.name) ? 'FK' : '']
        .filter(Boolean)
        .join(',');
      lines.push(
        `    ${mermaidWord(column.type.toLowerCase() || 'any')} ${mermaidWord(column.name)}${keys ? ` ${keys}` : ''}`,
      );
    }
    lines.push('  }');
  }
  for (const table of schema.tables) {
    for (const fk of table.foreignKeys) {
      const optional = fk.columns.some(
        (name) => !table.columns.find((column) => column.name === name)?.notNull,
      );
      lines.push(
        `  ${mermaidWord(fk.table)} ||--${optional ? 'o' : '|'}{ ${mermaidWord(table.name)} : "${fk.columns.join(', ')}"`,
      );
    }
  }
  return lines.join('\n');
}
