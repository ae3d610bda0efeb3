// Who refers to a table or a column in the schema files: `users.id` in another table's `.references(() => …)`,
// `table.userId` in a third-argument callback, `relations(users, …)`, imports of a table from another schema file.
// Used to carry a property or export rename through, and to refuse a drop that would leave a dangling reference.
// Scope is approximated by name: the schema files are flat modules of table definitions, and a name that shadows
// a table inside a function is not an idiom they use.
import type { Node } from '@babel/types';
import type { ParsedFile, Pos, SourceTable } from './source.js';

type AnyNode = Node & Pos;

const SKIP = new Set([
  'loc',
  'start',
  'end',
  'leadingComments',
  'trailingComments',
  'innerComments',
  'extra',
  'range',
]);

export function walk(
  node: Node,
  visit: (node: AnyNode, parent: AnyNode | undefined, key: string) => void,
): void {
  const go = (current: AnyNode, parent: AnyNode | undefined, key: string) => {
    visit(current, parent, key);
    for (const [childKey, value] of Object.entries(current)) {
      if (SKIP.has(childKey) || value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (const child of value)
          if (child && typeof child.type === 'string') go(child as AnyNode, current, childKey);
      } else if (typeof (value as { type?: unknown }).type === 'string') {
        go(value as AnyNode, current, childKey);
      }
    }
  };
  go(node as AnyNode, undefined, '');
}

export interface ColumnRef {
  file: string;
  /** The property identifier (`userId` in `table.userId`). */
  property: AnyNode & { name: string };
  line: number;
}

/** The names a table goes by in `file`: its own binding, imports of its export, and (in its own callback) the param. */
export function namesOf(table: SourceTable, file: ParsedFile): Set<string> {
  const names = new Set<string>();
  if (table.file === file.path) names.add(table.localName);
  else {
    for (const info of file.imports) {
      if (!info.source.startsWith('.')) continue;
      for (const spec of info.specifiers) if (spec.imported === table.exportName) names.add(spec.local);
    }
  }
  return names;
}

/** Every `X.<property>` in `file` where X names `table` (or is the param of `table`'s third-argument callback). */
export function columnRefs(table: SourceTable, file: ParsedFile, property: string): ColumnRef[] {
  const names = namesOf(table, file);
  const own = table.file === file.path ? table.extra : undefined;
  const otherParams = file.tables
    .filter((t) => t !== table && t.extra?.param)
    .map((t) => ({ fn: t.extra!.fn, param: t.extra!.param! }));
  const refs: ColumnRef[] = [];
  for (const statement of file.statements) {
    walk(statement, (node) => {
      if (node.type !== 'MemberExpression' || node.computed) return;
      const object = node.object as AnyNode;
      const prop = node.property as AnyNode;
      if (object.type !== 'Identifier' || prop.type !== 'Identifier' || prop.name !== property) return;
      const inOwnCallback = own?.param === object.name && within(node, own.fn);
      const shadowed = otherParams.some((p) => p.param === object.name && within(node, p.fn));
      if (inOwnCallback || (names.has(object.name) && !shadowed)) {
        refs.push({
          file: file.path,
          property: prop as AnyNode & { name: string },
          line: lineOf(file.text, prop.start),
        });
      }
    });
  }
  return refs;
}

/** Identifiers in `file` that refer to the top-level binding `name` (not property keys or member names). */
export function bindingRefs(file: ParsedFile, name: string): Array<{ node: AnyNode; shorthand: boolean }> {
  const refs: Array<{ node: AnyNode; shorthand: boolean }> = [];
  for (const statement of file.statements) {
    walk(statement, (node, parent, key) => {
      if (node.type !== 'Identifier' || node.name !== name) return;
      if (parent?.type === 'MemberExpression' && key === 'property' && !parent.computed) return;
      if (parent?.type === 'OptionalMemberExpression' && key === 'property' && !parent.computed) return;
      if (parent?.type === 'ObjectProperty' && key === 'key' && !parent.computed) {
        if (parent.shorthand) refs.push({ node, shorthand: true });
        return;
      }
      if (parent?.type === 'ObjectProperty' && key === 'value' && parent.shorthand) return;
      // Import and export specifiers are renamed by the caller, which knows which side (imported/local) to change.
      if (parent?.type === 'ImportSpecifier' || parent?.type === 'ExportSpecifier') return;
      if (parent?.type === 'TSPropertySignature' || parent?.type === 'ClassProperty') return;
      refs.push({ node, shorthand: false });
    });
  }
  return refs;
}

function within(node: Pos, outer: Pos): boolean {
  return node.start >= outer.start && node.end <= outer.end;
}

export function lineOf(text: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
