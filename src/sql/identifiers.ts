// SQLite identifier quoting, the one way every module builds a table or column name into SQL text. It is also
// drizzle-orm's `escapeName` for SQLite, so DDL we write matches what drizzle writes.
export function quoteIdentifier(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}
