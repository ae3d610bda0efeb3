// Measures the candidate libraries for edit_schema (issue 13) on one realistic edit: add a column to `users`, add an
// index to `check_ins`' `(table) => [...]`, add `blob` to the sqlite-core import. For each: are the untouched bytes
// identical (compared with the minimal hand-written splice), load time in a fresh process, parse + edit time on the
// embedded default schema and on a generated 100-table schema. The candidates are not dependencies of this package:
// install them in a scratch folder first (see /work/notes/schema-edit-library.md for the exact commands), then
//   node bench/schema-edit-libraries.mjs /tmp/libbench
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const scratch = path.resolve(process.argv[2] ?? '/tmp/libbench');
const here = path.dirname(new URL(import.meta.url).pathname);
const defaultSchema = readFileSync(path.join(here, '../src/db/schema.ts'), 'utf8');

/** A 100-table schema in the default schema's style (prettier, single quotes, array third argument). */
function bigSchema() {
  const parts = [
    "import { sql } from 'drizzle-orm';",
    "import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';",
    '',
    "export const users = sqliteTable('users', {",
    "  id: text('id').primaryKey(),",
    "  email: text('email').notNull().unique(),",
    "  updatedAt: text('updated_at'),",
    '});',
  ];
  for (let i = 0; i < 99; i++) {
    const name = i === 0 ? 'check_ins' : `table_${i}`;
    const exp = i === 0 ? 'checkIns' : `table${i}`;
    parts.push(
      '',
      `// Table ${i}: a comment that must survive.`,
      `export const ${exp} = sqliteTable(`,
      `  '${name}',`,
      '  {',
      "    id: text('id').primaryKey(),",
      "    userId: text('user_id')",
      '      .notNull()',
      "      .references(() => users.id, { onDelete: 'cascade' }),",
      "    mood: integer('mood').notNull(),",
      "    score: real('score'),",
      "    status: text('status', { enum: ['a', 'b'] }).notNull().default('a'),",
      "    createdAt: text('created_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),",
      '  },',
      `  (table) => [index('idx_${name}_user').on(table.userId)],`,
      ');',
    );
  }
  return parts.join('\n') + '\n';
}

const NEW_COLUMN = "bio: text('bio')";
const NEW_INDEX = "index('idx_check_ins_mood').on(table.mood)";

/** The ideal result: three minimal insertions, found by plain string search (valid for these two inputs only). */
function idealEdit(text) {
  let out = text.replace(
    /import \{ index, integer, real, sqliteTable, text, uniqueIndex \} from 'drizzle-orm\/sqlite-core';/,
    "import { blob, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';",
  );
  out = out.replace(
    "  updatedAt: text('updated_at'),\n});",
    `  updatedAt: text('updated_at'),\n  ${NEW_COLUMN},\n});`,
  );
  out = out.replace(
    "(table) => [index('idx_check_ins_user_created').on(table.userId, table.createdAt)]",
    `(table) => [index('idx_check_ins_user_created').on(table.userId, table.createdAt), ${NEW_INDEX}]`,
  );
  out = out.replace(
    "(table) => [index('idx_check_ins_user').on(table.userId)]",
    `(table) => [index('idx_check_ins_user').on(table.userId), ${NEW_INDEX}]`,
  );
  return out;
}

/** Lines of `a` that are not kept in `b` plus lines of `b` not in `a` (LCS on lines). */
function changedLines(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  const dp = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      dp[i][j] = x[i] === y[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  return x.length + y.length - 2 * dp[0][0];
}

const dirs = {
  typescript: 'typescript_5.9.3',
  // @babel/parser 8 needs Node >= 22.18; this package supports Node 20, so the candidate is 7.x.
  babel: 'babel7',
  oxc: 'oxc-parser_0.160.0',
  recast: 'recast_0.24.0__babel-parser_8.1.5',
  magicast: 'magicast_0.5.5',
  tsmorph: 'ts-morph_28.0.0',
};
const req = (key) => createRequire(path.join(scratch, dirs[key], 'package.json'));
const imp = async (key, name) => import(pathToFileURL(req(key).resolve(name)).href);

// ---- splice helpers shared by the three parser-only candidates ---------------------------------------------------
function applySplices(text, splices) {
  let out = text;
  for (const s of [...splices].sort((p, q) => q.at - p.at))
    out = out.slice(0, s.at) + s.text + out.slice(s.at);
  return out;
}

/** Given ESTree-ish nodes with start/end offsets (Babel, oxc), compute the three insertions. */
function estreeSplices(text, program) {
  const splices = [];
  for (const stmt of program.body) {
    if (stmt.type === 'ImportDeclaration' && stmt.source.value === 'drizzle-orm/sqlite-core') {
      splices.push({ at: stmt.specifiers[0].start, text: 'blob, ' });
    }
    if (stmt.type !== 'ExportNamedDeclaration' || stmt.declaration?.type !== 'VariableDeclaration') continue;
    const decl = stmt.declaration.declarations[0];
    const call = decl.init;
    if (call?.type !== 'CallExpression') continue;
    if (decl.id.name === 'users') {
      const obj = call.arguments[1];
      const last = obj.properties.at(-1);
      const comma = text.indexOf(',', last.end);
      const at = comma >= 0 && comma < obj.end ? comma + 1 : last.end;
      splices.push({ at, text: `\n  ${NEW_COLUMN},` });
    }
    if (decl.id.name === 'checkIns') {
      const array = call.arguments[2].body;
      splices.push({ at: array.elements.at(-1).end, text: `, ${NEW_INDEX}` });
    }
  }
  return splices;
}

const candidates = {
  async typescript() {
    const ts = (await imp('typescript', 'typescript')).default;
    return (text) => {
      const sf = ts.createSourceFile('schema.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      const splices = [];
      for (const stmt of sf.statements) {
        if (ts.isImportDeclaration(stmt) && stmt.moduleSpecifier.text === 'drizzle-orm/sqlite-core') {
          splices.push({ at: stmt.importClause.namedBindings.elements[0].getStart(sf), text: 'blob, ' });
        }
        if (!ts.isVariableStatement(stmt)) continue;
        const decl = stmt.declarationList.declarations[0];
        if (!decl.initializer || !ts.isCallExpression(decl.initializer)) continue;
        const args = decl.initializer.arguments;
        if (decl.name.text === 'users') {
          const obj = args[1];
          const at = obj.properties.hasTrailingComma ? obj.properties.end : obj.properties.at(-1).end;
          splices.push({ at, text: `${obj.properties.hasTrailingComma ? '' : ','}\n  ${NEW_COLUMN},` });
        }
        if (decl.name.text === 'checkIns') {
          splices.push({ at: args[2].body.elements.at(-1).end, text: `, ${NEW_INDEX}` });
        }
      }
      return applySplices(text, splices);
    };
  },
  async babel() {
    const { parse } = await imp('babel', '@babel/parser');
    return (text) => {
      const ast = parse(text, { sourceType: 'module', plugins: ['typescript'] });
      return applySplices(text, estreeSplices(text, ast.program));
    };
  },
  async oxc() {
    const { parseSync } = await imp('oxc', 'oxc-parser');
    return (text) => {
      const { program, errors } = parseSync('schema.ts', text);
      if (errors.length) throw new Error(errors[0].message);
      return applySplices(text, estreeSplices(text, program));
    };
  },
  async recast() {
    const recast = await imp('recast', 'recast');
    const { parse } = await imp('recast', '@babel/parser');
    const b = recast.types.builders;
    const parser = {
      parse: (src) => parse(src, { sourceType: 'module', plugins: ['typescript'], tokens: true }),
    };
    return (text) => {
      const ast = recast.parse(text, { parser });
      for (const stmt of ast.program.body) {
        if (stmt.type === 'ImportDeclaration' && stmt.source.value === 'drizzle-orm/sqlite-core') {
          stmt.specifiers.unshift(b.importSpecifier(b.identifier('blob')));
        }
        if (stmt.type !== 'ExportNamedDeclaration' || stmt.declaration?.type !== 'VariableDeclaration')
          continue;
        const decl = stmt.declaration.declarations[0];
        const call = decl.init;
        if (call?.type !== 'CallExpression') continue;
        if (decl.id.name === 'users') {
          const column = recast.parse(`x = {${NEW_COLUMN}}`, { parser }).program.body[0].expression.right
            .properties[0];
          call.arguments[1].properties.push(column);
        }
        if (decl.id.name === 'checkIns') {
          const index = recast.parse(NEW_INDEX, { parser }).program.body[0].expression;
          call.arguments[2].body.elements.push(index);
        }
      }
      return recast.print(ast, { quote: 'single', trailingComma: true }).code;
    };
  },
  async magicast() {
    const { parseModule, builders } = await imp('magicast', 'magicast');
    const babel = await imp('magicast', '@babel/parser');
    return (text) => {
      const mod = parseModule(text);
      mod.imports.$prepend({ from: 'drizzle-orm/sqlite-core', imported: 'blob' });
      mod.exports.users.$args[1].bio = builders.raw("text('bio')");
      // builders.raw(NEW_INDEX) throws "Not implemented" (a call on a member expression): go down to the AST.
      mod.exports.checkIns.$args[2].$ast.body.elements.push(
        babel.parseExpression(NEW_INDEX, { plugins: ['typescript'] }),
      );
      return mod.generate().code;
    };
  },
  async tsmorph() {
    const { Project, QuoteKind, IndentationText } = await imp('tsmorph', 'ts-morph');
    const project = new Project({
      useInMemoryFileSystem: true,
      manipulationSettings: { quoteKind: QuoteKind.Single, indentationText: IndentationText.TwoSpaces },
    });
    let n = 0;
    return (text) => {
      const sf = project.createSourceFile(`schema${n++}.ts`, text);
      sf.getImportDeclarationOrThrow('drizzle-orm/sqlite-core').insertNamedImport(0, 'blob');
      const users = sf.getVariableDeclarationOrThrow('users').getInitializer();
      users.getArguments()[1].addPropertyAssignment({ name: 'bio', initializer: "text('bio')" });
      const checkIns = sf.getVariableDeclarationOrThrow('checkIns').getInitializer();
      checkIns.getArguments()[2].getBody().addElement(NEW_INDEX);
      const out = sf.getFullText();
      project.removeSourceFile(sf);
      return out;
    };
  },
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function loadTimeMs(key) {
  const entry = {
    tsmorph: 'ts-morph',
    recast: 'recast',
    magicast: 'magicast',
    oxc: 'oxc-parser',
    babel: '@babel/parser',
    typescript: 'typescript',
  }[key];
  const url = pathToFileURL(req(key).resolve(entry)).href;
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(process.execPath, [
      '--input-type=module',
      '-e',
      `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t));`,
    ]);
    samples.push(Number(out));
  }
  return median(samples);
}

const big = bigSchema();
const rows = [];
for (const [key, make] of Object.entries(candidates)) {
  if (process.argv[3] && process.argv[3] !== key) continue;
  const t0 = performance.now();
  const edit = await make();
  const t1 = performance.now();
  const results = {};
  for (const [label, input] of [
    ['default', defaultSchema],
    ['100 tables', big],
  ]) {
    const first0 = performance.now();
    let out = edit(input);
    const first = performance.now() - first0;
    const samples = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      out = edit(input);
      samples.push(performance.now() - s);
    }
    const ideal = idealEdit(input);
    results[label] = {
      identical: out === ideal,
      extraChangedLines: changedLines(ideal, out),
      firstMs: first.toFixed(1),
      warmMs: median(samples).toFixed(2),
    };
    if (process.env.SHOW && label === 'default') console.log(`---- ${key}\n${out}`);
  }
  rows.push({
    key,
    inProcessLoadMs: (t1 - t0).toFixed(0),
    freshLoadMs: loadTimeMs(key).toFixed(0),
    ...results,
  });
}
for (const row of rows) console.log(JSON.stringify(row));
