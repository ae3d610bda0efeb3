// Everything the bench measures against, generated deterministically (seeded PRNG) and cached under
// os.tmpdir()/dsm-bench, one folder per content hash: a change to a generator, a count or the audit hashing
// gives a new folder, never a stale one. Each folder is built under a temporary name and renamed when complete,
// so an interrupted build is never mistaken for a cache hit.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { build } from 'esbuild';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_ROOT = path.join(os.tmpdir(), 'dsm-bench');
const DRIZZLE_KIT_BIN = path.join(REPO_ROOT, 'node_modules/drizzle-kit/bin.cjs');
/** Bump when a generator changes in a way the hashed inputs below do not capture. */
const GENERATOR_VERSION = 1;

export type Log = (message: string) => void;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashOf(...parts: unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify([GENERATOR_VERSION, ...parts]))
    .digest('hex')
    .slice(0, 12);
}

/** Builds `final` through `fill(tmpDir)` unless it already exists. */
async function cached(
  final: string,
  log: Log,
  what: string,
  fill: (dir: string) => Promise<void> | void,
): Promise<string> {
  if (fs.existsSync(path.join(final, '.complete'))) return final;
  const tmp = `${final}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(`building ${what} in ${final} (cached for later runs)…`);
  await fill(tmp);
  fs.writeFileSync(path.join(tmp, '.complete'), new Date().toISOString());
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  // Older builds of the same thing (another hash) are dead weight: a stale 1 GiB database is not worth keeping.
  const prefix = path.basename(final).replace(/-[0-9a-f]{12}$/, '-');
  for (const entry of fs.readdirSync(path.dirname(final))) {
    if (
      entry.startsWith(prefix) &&
      /-[0-9a-f]{12}$/.test(entry) &&
      path.join(path.dirname(final), entry) !== final
    ) {
      fs.rmSync(path.join(path.dirname(final), entry), { recursive: true, force: true });
    }
  }
  log(`built ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return final;
}

/** A Drizzle project folder whose bare imports (drizzle-orm, drizzle-kit) resolve from this repo. */
function writeProject(dir: string, schemaSource: string, dbName: string): void {
  fs.writeFileSync(path.join(dir, 'schema.ts'), schemaSource);
  // No imports: drizzle-kit and our server both load the config as it is.
  fs.writeFileSync(
    path.join(dir, 'drizzle.config.ts'),
    `export default {\n  schema: './schema.ts',\n  out: './drizzle',\n  dialect: 'sqlite',\n  dbCredentials: { url: './${dbName}' },\n};\n`,
  );
  if (!fs.existsSync(path.join(dir, 'node_modules')))
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: path
        .basename(dir)
        .replace(/[^a-z0-9-]/gi, '-')
        .toLowerCase(),
      private: true,
      type: 'module',
    }),
  );
}

/** Runs the real drizzle-kit CLI in `dir`; returns its wall time in ms. */
export function drizzleKitGenerate(dir: string, extra: string[] = []): number {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [DRIZZLE_KIT_BIN, 'generate', '--config', 'drizzle.config.ts', ...extra],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    },
  );
  const ms = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`drizzle-kit generate failed in ${dir}:\n${result.stdout}\n${result.stderr}`);
  return ms;
}

function applyMigrations(dbFile: string, dir: string): void {
  const db = new Database(dbFile);
  migrate(drizzle(db), { migrationsFolder: path.join(dir, 'drizzle') });
  db.close();
}

// ---------------------------------------------------------------------------------------------------------
// The shop: users, products, orders, order_items (1M), a wide table. FKs with cascades, unique and composite
// indexes. Used by every query scenario, by every contender.

export interface ShopCounts {
  users: number;
  products: number;
  orders: number;
  orderItems: number;
  wideEvents: number;
  wideColumns: number;
}

export const SHOP_COUNTS: ShopCounts = {
  users: 100_000,
  products: 10_000,
  orders: 250_000,
  orderItems: 1_000_000,
  wideEvents: 50_000,
  wideColumns: 40,
};

function wideColumn(i: number): { prop: string; name: string; builder: string } {
  const n = String(i).padStart(2, '0');
  const kind = i % 4;
  const builder = kind === 0 ? 'integer' : kind === 1 ? 'text' : kind === 2 ? 'real' : 'text';
  return { prop: `c${n}`, name: `c${n}`, builder };
}

export function shopSchemaSource(counts: ShopCounts): string {
  const wide = Array.from({ length: counts.wideColumns }, (_, i) => wideColumn(i + 1))
    .map((c) => `  ${c.prop}: ${c.builder}('${c.name}'),`)
    .join('\n');
  return `import { sqliteTable, integer, text, real, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    name: text('name').notNull(),
    country: text('country').notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    credit: real('credit'),
    createdAt: text('created_at').notNull(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email), index('users_country_idx').on(t.country)],
);

export const products = sqliteTable(
  'products',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    category: text('category').notNull(),
    priceCents: integer('price_cents').notNull(),
    stock: integer('stock').notNull().default(0),
    description: text('description'),
  },
  (t) => [uniqueIndex('products_sku_unique').on(t.sku), index('products_category_idx').on(t.category)],
);

export const orders = sqliteTable(
  'orders',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['pending', 'paid', 'shipped', 'cancelled'] }).notNull(),
    totalCents: integer('total_cents').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('orders_user_idx').on(t.userId), index('orders_status_created_idx').on(t.status, t.createdAt)],
);

export const orderItems = sqliteTable(
  'order_items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    productId: integer('product_id').notNull().references(() => products.id),
    quantity: integer('quantity').notNull(),
    unitPriceCents: integer('unit_price_cents').notNull(),
  },
  (t) => [index('order_items_order_idx').on(t.orderId), index('order_items_product_idx').on(t.productId)],
);

export const wideEvents = sqliteTable(
  'wide_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
${wide}
  },
  (t) => [index('wide_events_user_idx').on(t.userId)],
);
`;
}

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Frances',
  'Edsger',
  'Radia',
  'Tim',
  'Hedy',
  'John',
  'Sophie',
  'Niklaus',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Allen',
  'Dijkstra',
  'Perlman',
  'Berners-Lee',
  'Lamarr',
  'Backus',
  'Wilson',
  'Wirth',
];
const COUNTRIES = [
  'DE',
  'FR',
  'US',
  'GB',
  'JP',
  'BR',
  'IN',
  'NG',
  'CA',
  'AU',
  'ES',
  'IT',
  'SE',
  'PL',
  'MX',
  'KR',
];
const CATEGORIES = [
  'books',
  'games',
  'garden',
  'kitchen',
  'music',
  'outdoor',
  'office',
  'toys',
  'tools',
  'sports',
];
const WORDS =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(
    ' ',
  );
const STATUSES = ['pending', 'paid', 'shipped', 'cancelled'];
const BASE_TIME = Date.UTC(2024, 0, 1);

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function sentence(rand: () => number, words: number): string {
  let out = '';
  for (let i = 0; i < words; i++) out += (i ? ' ' : '') + pick(rand, WORDS);
  return out;
}

function fillShop(dbFile: string, counts: ShopCounts, log: Log): void {
  const db = new Database(dbFile);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF'); // The generator keeps every reference valid; checking each one only costs time.
  const rand = mulberry32(20240101);
  const iso = (offsetSeconds: number) => new Date(BASE_TIME + offsetSeconds * 1000).toISOString();
  const insertUser = db.prepare(
    'INSERT INTO users (id, email, name, country, is_active, credit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertProduct = db.prepare(
    'INSERT INTO products (id, sku, name, category, price_cents, stock, description) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertOrder = db.prepare(
    'INSERT INTO orders (id, user_id, status, total_cents, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertItem = db.prepare(
    'INSERT INTO order_items (id, order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, ?, ?, ?)',
  );
  const wideCols = Array.from({ length: counts.wideColumns }, (_, i) => wideColumn(i + 1));
  const insertWide = db.prepare(
    `INSERT INTO wide_events (id, user_id, ${wideCols.map((c) => c.name).join(', ')}) VALUES (?, ?, ${wideCols.map(() => '?').join(', ')})`,
  );
  db.transaction(() => {
    for (let id = 1; id <= counts.users; id++) {
      const credit = rand() < 0.2 ? null : Math.round(rand() * 100_000) / 100;
      insertUser.run(
        id,
        `user${id}@example.com`,
        `${pick(rand, FIRST)} ${pick(rand, LAST)}`,
        pick(rand, COUNTRIES),
        rand() < 0.9 ? 1 : 0,
        credit,
        iso(Math.floor(rand() * 3e7)),
      );
    }
    const prices: number[] = [0];
    for (let id = 1; id <= counts.products; id++) {
      const price = 100 + Math.floor(rand() * 20_000);
      prices.push(price);
      insertProduct.run(
        id,
        `SKU-${String(id).padStart(6, '0')}`,
        sentence(rand, 3),
        pick(rand, CATEGORIES),
        price,
        Math.floor(rand() * 500),
        rand() < 0.3 ? null : sentence(rand, 12),
      );
    }
    let itemId = 1;
    for (let id = 1; id <= counts.orders; id++) {
      // Spread the items so the total is exact: the last order takes whatever is left.
      const remainingOrders = counts.orders - id + 1;
      const remainingItems = counts.orderItems - itemId + 1;
      const items =
        id === counts.orders
          ? remainingItems
          : Math.max(
              1,
              Math.min(
                remainingItems - (remainingOrders - 1),
                1 + Math.floor(rand() * (2 * (remainingItems / remainingOrders) - 1)),
              ),
            );
      let total = 0;
      for (let k = 0; k < items; k++) {
        const product = 1 + Math.floor(rand() * counts.products);
        const quantity = 1 + Math.floor(rand() * 4);
        total += prices[product]! * quantity;
        insertItem.run(itemId++, id, product, quantity, prices[product]!);
      }
      insertOrder.run(
        id,
        1 + Math.floor(rand() * counts.users),
        pick(rand, STATUSES),
        total,
        iso(Math.floor(rand() * 3e7)),
      );
    }
    for (let id = 1; id <= counts.wideEvents; id++) {
      const values = wideCols.map((c) =>
        c.builder === 'integer'
          ? Math.floor(rand() * 1e6)
          : c.builder === 'real'
            ? Math.round(rand() * 1e6) / 1e3
            : sentence(rand, 2),
      );
      insertWide.run(id, rand() < 0.1 ? null : 1 + Math.floor(rand() * counts.users), ...values);
    }
  })();
  db.pragma('journal_mode = DELETE');
  const check = db.prepare('SELECT count(*) FROM order_items').pluck().get() as number;
  if (check !== counts.orderItems)
    throw new Error(`generator bug: ${check} order items, expected ${counts.orderItems}`);
  db.close();
  log(
    `shop: ${counts.users} users, ${counts.products} products, ${counts.orders} orders, ${counts.orderItems} order items, ${counts.wideEvents} wide rows × ${counts.wideColumns + 2} columns`,
  );
}

export interface ShopDataset {
  dir: string;
  dbFile: string;
  counts: ShopCounts;
  sizeBytes: number;
}

export async function ensureShop(log: Log, counts: ShopCounts = SHOP_COUNTS): Promise<ShopDataset> {
  const source = shopSchemaSource(counts);
  const dir = path.join(BENCH_ROOT, `shop-${hashOf('shop', source, counts)}`);
  await cached(dir, log, 'the shop dataset', (tmp) => {
    writeProject(tmp, source, 'shop.db');
    drizzleKitGenerate(tmp, ['--name', 'init']);
    applyMigrations(path.join(tmp, 'shop.db'), tmp);
    fillShop(path.join(tmp, 'shop.db'), counts, log);
  });
  const dbFile = path.join(dir, 'shop.db');
  return { dir, dbFile, counts, sizeBytes: fs.statSync(dbFile).size };
}

// ---------------------------------------------------------------------------------------------------------
// The 100-table project for generate: a baseline migration written by the real CLI; step k adds a column
// `extra` to tables 1..k, so each generate diffs the full schema and finds exactly one new column.

export function genSchemaSource(tables: number, withExtra: number): string {
  const lines = [`import { sqliteTable, integer, text, real, index } from 'drizzle-orm/sqlite-core';`, ''];
  for (let t = 1; t <= tables; t++) {
    const name = `t${String(t).padStart(3, '0')}`;
    const ref =
      t > 1
        ? `\n    refId: integer('ref_id').references(() => t${String(t - 1).padStart(3, '0')}.id, { onDelete: 'cascade' }),`
        : '';
    const extra = t <= withExtra ? `\n    extra: text('extra'),` : '';
    lines.push(
      `export const ${name} = sqliteTable(
  '${name}',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    qty: integer('qty').notNull().default(0),
    price: real('price'),
    note: text('note'),
    flag: integer('flag', { mode: 'boolean' }).notNull().default(false),
    createdAt: text('created_at').notNull(),${ref}${extra}
  },
  (t) => [index('${name}_name_idx').on(t.name)],
);
`,
    );
  }
  return lines.join('\n');
}

export interface GenProject {
  /** Baseline folder: copy it before use, generate writes into it. */
  dir: string;
  tables: number;
}

export async function ensureGenProject(log: Log, tables = 100): Promise<GenProject> {
  const source = genSchemaSource(tables, 0);
  const dir = path.join(BENCH_ROOT, `gen${tables}-${hashOf('gen', source)}`);
  await cached(dir, log, `the ${tables}-table project`, (tmp) => {
    writeProject(tmp, source, 'gen.db');
    drizzleKitGenerate(tmp, ['--name', 'init']);
    applyMigrations(path.join(tmp, 'gen.db'), tmp);
  });
  return { dir, tables };
}

/** A working copy of a project folder (the node_modules link is recreated, not copied through). */
export function copyProject(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => path.basename(src) !== '.complete',
  });
}

// ---------------------------------------------------------------------------------------------------------
// The big database for apply_migrations: migration 0000 applied, 0001 (a nullable column and an index on a
// 100k-row table) pending. Payload rows are 16 KiB slices of a seeded random pool, up to the requested size.

export const BIG_SCHEMA_V1 = `import { sqliteTable, integer, text, blob } from 'drizzle-orm/sqlite-core';

export const blobs = sqliteTable('blobs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  payload: blob('payload', { mode: 'buffer' }).notNull(),
});

export const notes = sqliteTable('notes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  body: text('body').notNull(),
  createdAt: text('created_at').notNull(),
});
`;

export const BIG_SCHEMA_V2 = BIG_SCHEMA_V1.replace(
  "  createdAt: text('created_at').notNull(),\n});",
  "  createdAt: text('created_at').notNull(),\n  tag: text('tag'),\n}, (t) => [index('notes_tag_idx').on(t.tag)]);",
).replace('blob }', 'blob, index }');

export interface BigProject {
  dir: string;
  /** Never open this one for writing: copy it to a work folder first. */
  pristineDb: string;
  sizeBytes: number;
}

export async function ensureBigProject(log: Log, mib: number): Promise<BigProject> {
  const dir = path.join(BENCH_ROOT, `big${mib}-${hashOf('big', BIG_SCHEMA_V1, BIG_SCHEMA_V2, mib)}`);
  await cached(dir, log, `the ${mib} MiB database`, (tmp) => {
    writeProject(tmp, BIG_SCHEMA_V1, 'big.db');
    drizzleKitGenerate(tmp, ['--name', 'init']);
    const dbFile = path.join(tmp, 'big.db');
    applyMigrations(dbFile, tmp);
    const db = new Database(dbFile);
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    const rand = mulberry32(42);
    const pool = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE((rand() * 4294967296) >>> 0, i);
    const slice = 16 * 1024;
    const rows = Math.ceil((mib * 1024 * 1024) / slice);
    const insertBlob = db.prepare('INSERT INTO blobs (payload) VALUES (?)');
    const insertNote = db.prepare('INSERT INTO notes (body, created_at) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        const offset = Math.floor(rand() * (pool.length - slice));
        insertBlob.run(pool.subarray(offset, offset + slice));
      }
      for (let i = 0; i < 100_000; i++)
        insertNote.run(sentence(rand, 8), new Date(BASE_TIME + i * 60_000).toISOString());
    })();
    db.pragma('journal_mode = DELETE');
    db.close();
    fs.writeFileSync(path.join(tmp, 'schema.ts'), BIG_SCHEMA_V2);
    drizzleKitGenerate(tmp, ['--name', 'add_note_tag']);
  });
  const pristineDb = path.join(dir, 'big.db');
  return { dir, pristineDb, sizeBytes: fs.statSync(pristineDb).size };
}

// ---------------------------------------------------------------------------------------------------------
// An audit database with a valid chain of N rows, written by the server's own AuditLog class (so the hashing
// is exactly the server's), all appends in one transaction.

export async function ensureAuditDb(log: Log, rows: number): Promise<{ file: string; rows: number }> {
  const auditSource = fs.readFileSync(path.join(REPO_ROOT, 'src/audit/audit-log.ts'), 'utf8');
  const dir = path.join(BENCH_ROOT, `audit${rows}-${hashOf('audit', auditSource, rows)}`);
  await cached(dir, log, `an audit log of ${rows} rows`, async (tmp) => {
    const { AuditLog, ensureAuditTable } = await import('../src/audit/audit-log.js');
    const db = new Database(path.join(tmp, 'audit.db'));
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    ensureAuditTable(db, 'audit_log');
    const audit = new AuditLog(db, 'audit_log');
    const rand = mulberry32(7);
    const tools = [
      'run_query',
      'run_query',
      'run_query',
      'select_rows',
      'inspect_schema',
      'execute_sql',
      'write_rows',
      'migration_status',
    ];
    db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        const tool = pick(rand, tools);
        const outcome = rand() < 0.9 ? 'ok' : rand() < 0.5 ? 'error' : 'refused';
        audit.append({
          createdAt: new Date(BASE_TIME + i * 1000).toISOString(),
          tool,
          outcome,
          errorCode: outcome === 'ok' ? null : outcome === 'error' ? 'SQLITE_ERROR' : 'GUARD_REFUSED',
          durationMs: Math.floor(rand() * 40),
          client: 'bench/1.0.0',
          targetType: tool === 'run_query' ? null : 'table',
          targetId: tool === 'run_query' ? null : pick(rand, ['users', 'orders', 'order_items', 'products']),
          details: JSON.stringify({
            sql: `SELECT * FROM users WHERE id = ${1 + Math.floor(rand() * 100_000)}`,
          }),
          rowsAffected: tool === 'execute_sql' || tool === 'write_rows' ? Math.floor(rand() * 10) : null,
        });
      }
    })();
    db.pragma('journal_mode = DELETE');
    const check = audit.verify();
    if (!check.ok) throw new Error(`the generated audit chain does not verify: ${JSON.stringify(check)}`);
    db.close();
  });
  return { file: path.join(dir, 'audit.db'), rows };
}

// ---------------------------------------------------------------------------------------------------------

/** The floor server bundled the way ours is (one esbuild file, native modules external). */
export async function buildFloorServer(): Promise<string> {
  const outfile = path.join(REPO_ROOT, 'bench/.cache/floor-server.js');
  await build({
    entryPoints: [path.join(REPO_ROOT, 'bench/floor-server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['better-sqlite3'],
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return outfile;
}
