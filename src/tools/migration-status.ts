import { z } from 'zod';
import type { DriftReport } from '../migrations/drift.js';
import type { MigrationState as EntryState } from '../migrations/status.js';
import { chooseGenerator, describeBranches, describeDrizzle } from '../app/drizzle-line.js';
import { readDrift, readMigrationState } from '../app/migration-state.js';
import { capLines, listStatusEntries } from '../app/history-summary.js';
import { defineTool } from './types.js';

/** Problems, warnings and drift lines listed one by one; more are counted (a long history repeats them). */
const MAX_LINES = 15;

const InputSchema = z
  .object({
    drift: z
      .boolean()
      .default(true)
      .describe('Also compare the database and schema.ts with the last snapshot.'),
  })
  .strict();

const DriftSummarySchema = z.object({
  compared: z.string().describe('What was compared with what.'),
  inSync: z.boolean(),
  tables: z
    .array(z.string())
    .optional()
    .describe('One line per table that differs: "table (status): difference; difference".'),
  advice: z.string().optional().describe('What to do about the differences.'),
});

const OutputSchema = z.object({
  consistent: z.boolean().describe('False: apply_migrations refuses until every problem is fixed.'),
  counts: z
    .object({
      applied: z.number(),
      pending: z.number(),
      modified: z.number(),
      skipped: z.number(),
      missing: z.number(),
    })
    .describe('Migrations per state.'),
  migrations: z
    .array(
      z.object({
        tag: z.string().optional().describe('Absent for a missing one (the ledger stores no name).'),
        state: z
          .enum(['applied', 'pending', 'modified', 'skipped', 'missing'])
          .describe(
            'modified: edited after it was applied; skipped: older than the newest applied one yet never applied (drizzle migrate() would skip it forever); missing: applied but its file is gone.',
          ),
        hash: z.string().optional().describe('Ledger hash prefix, for a missing migration.'),
        note: z.string().optional().describe('What this state means here and what to do.'),
      }),
    )
    .describe(
      'Migrations in order (plus ledger rows without a file); in a long history only problems, the last applied and next pending.',
    ),
  ranges: z.array(z.string()).optional().describe('Runs of migrations not listed one by one.'),
  problems: z.array(z.string()).optional().describe('What blocks apply_migrations.'),
  warnings: z.array(z.string()).optional().describe('Folder findings that do not block applying.'),
  drift: z
    .object({
      inSync: z.boolean().describe('True when every comparison made found nothing.'),
      database: DriftSummarySchema.optional().describe('The live database vs the last migration snapshot.'),
      schema: DriftSummarySchema.optional().describe('The last migration snapshot vs schema.ts.'),
      schemaError: z.string().optional().describe('Why schema.ts was not compared.'),
    })
    .optional(),
  drizzle: z
    .object({
      kit: z.string().describe('The drizzle-kit version the project installed, or "none".'),
      orm: z.string().describe('The drizzle-orm version the project installed, or "none".'),
      generatesWith: z.string().describe('The drizzle-kit generate_migration runs for this project.'),
      layout: z.string().describe('The migrations folder: "0.x journal", "1.0 folders", "none yet".'),
      ledger: z
        .string()
        .describe('The migrations ledger table: "absent", "0.x", "1.0", "1.0 (upgraded from 0.x)".'),
      notes: z.array(z.string()).optional().describe('What does not fit together, and what to do.'),
    })
    .describe('Which Drizzle line the project is on.'),
  branches: z
    .object({
      leaves: z.array(z.string()).describe('The migration each branch ends in.'),
      conflicts: z
        .array(z.string())
        .optional()
        .describe('What the branches both change (drizzle-kit check).'),
      advice: z.string().describe('What the user must do.'),
    })
    .optional()
    .describe('A 1.0 folder whose migrations form several branches (e.g. merged from git branches).'),
  next: z.string().describe('The next step.'),
});
type Output = z.infer<typeof OutputSchema>;

function summarise(report: DriftReport): z.infer<typeof DriftSummarySchema> {
  const words: Record<string, string> = {
    missing_in_db: 'missing in the database',
    extra_in_db: 'only in the database',
    missing_in_migrations: 'in schema.ts, not in the migrations',
    extra_in_migrations: 'in the migrations, not in schema.ts',
    differs: 'differs',
  };
  const tables = report.tables.map((table) => {
    const head = `${table.kind === 'view' ? 'view ' : ''}${table.table} (${words[table.status] ?? table.status}): `;
    const sql = table.fromMigrationSql;
    if (sql === undefined) return head + table.differences.join('; ');
    const outside = table.differences.filter((difference) => !sql.differences.includes(difference));
    const source = sql.migrations.at(-1);
    return `${head}${[...outside, ...sql.differences.map((difference) => `${difference} [as the migrations' own SQL builds it${source ? ` (table last changed by ${source})` : ''}; their snapshot says otherwise: not an outside change]`)].join('; ')}`;
  });
  return {
    compared: report.compared,
    inSync: report.inSync,
    ...(tables.length ? { tables: capLines(tables, MAX_LINES) } : {}),
    ...(report.advice ? { advice: report.advice } : {}),
  };
}

export const migrationStatus = defineTool({
  name: 'migration_status',
  title: 'Migration status and drift',
  description:
    "Each migration's state (applied, pending, modified, skipped, missing), what blocks applying, and drift (database, migrations, schema.ts).",
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  effect: 'read',
  idempotent: true,
  async handler(input, { services }) {
    const { folder, status } = readMigrationState(services.read, services.project);
    const setup = services.drizzle();
    const branches = await describeBranches(folder, setup, services.kit);
    const warnings = status.findings
      // Several leaves are described under `branches`, with drizzle-kit's verdict on them.
      .filter(
        (finding) => !finding.blocks.includes('apply') && !(branches && finding.code === 'SEVERAL_LEAVES'),
      )
      .map((f) => `${f.code}: ${f.message} ${f.hint}`);
    const listing = listStatusEntries(status.entries);
    const output: Omit<Output, 'next'> = {
      consistent: status.consistent,
      counts: status.counts,
      migrations: listing.shown.map((entry) => ({
        ...(entry.tag !== undefined ? { tag: entry.tag } : { hash: entry.hash.slice(0, 12) }),
        state: entry.state as EntryState,
        ...(entry.note ? { note: entry.note } : {}),
      })),
      ...(listing.ranges.length ? { ranges: listing.ranges } : {}),
      ...(status.problems.length ? { problems: capLines(status.problems, MAX_LINES) } : {}),
      ...(warnings.length ? { warnings: capLines(warnings, MAX_LINES) } : {}),
      drizzle: describeDrizzle(setup, folder, services.read, services.project),
      ...(branches ? { branches } : {}),
    };
    const generator = chooseGenerator(setup, folder);

    let schemaDrift = false;
    if (input.drift) {
      const { drift, schemaError } = await readDrift(services, { folder, status });
      schemaDrift = drift.schema !== undefined && !drift.schema.inSync;
      output.drift = {
        inSync: drift.inSync && schemaError === undefined,
        ...(drift.database ? { database: summarise(drift.database) } : {}),
        ...(drift.schema ? { schema: summarise(drift.schema) } : {}),
        ...(schemaError ? { schemaError } : {}),
      };
    }
    const blocked = generator.kind === 'refused' ? `${generator.message} ${generator.hint}` : undefined;
    return { data: { ...output, next: nextStep(output, schemaDrift, blocked) } };
  },
});

function nextStep(output: Omit<Output, 'next'>, schemaDrift: boolean, generateBlocked?: string): string {
  if (!output.consistent)
    return 'Fix the problems listed (each migration note says how), then call migration_status again; apply_migrations refuses until then.';
  if (output.counts.pending > 0) {
    return `${output.counts.pending} migration(s) pending: call apply_migrations with dryRun: true to review what they do to the data, then apply_migrations.`;
  }
  if (schemaDrift && generateBlocked)
    return `schema.ts has changes no migration contains, but: ${generateBlocked}`;
  if (schemaDrift)
    return 'schema.ts has changes no migration contains: call generate_migration, review its SQL and findings, then apply_migrations.';
  if (output.drift?.schemaError)
    return "Fix what drift.schemaError names (schema.ts, or the project's drizzle setup), then call migration_status again.";
  if (output.drift?.database && !output.drift.database.inSync)
    return output.drift.database.advice ?? 'The database differs from the migrations: see drift.database.';
  return 'Everything is applied and in sync: edit schema.ts, then call generate_migration to change the schema.';
}
