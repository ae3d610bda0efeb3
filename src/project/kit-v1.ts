// Drives the project's own drizzle-kit 1.x through its typed SDK (`drizzle-kit/cli`: generate, check, up), inside the
// kit worker only (it loads the user's schema and may call process.exit). Invariants: every path handed to the SDK is
// absolute (it resolves relative ones against process.cwd(), which a worker cannot change), the SDK runs in its JSON
// mode (it prints nothing and never prompts: hints answer its questions), and its envelopes come back in our
// vocabulary — the same statuses and hints as the 0.x path, so the tools cannot tell the lines apart.
import fs from 'node:fs';
import path from 'node:path';
import { loadKitPayload, loadKitSdk, type KitSdkMissingHint, type KitSdkResult } from './kit-api.js';
import type { KitRef } from './kit-resolve.js';
import type { GenerateV1Input, GenerateV1Result, KitV1Result } from './kit-protocol.js';
import { importSchema, type WorkerContext } from './load-project.js';
import { snapshotTables } from './snapshot-v7.js';
import type { ColumnEntity, MissingHint, SqliteSnapshotV7, TableEntity } from './types.js';

const MAX_DETAIL_CHARS = 2_000;

export async function generateV1(input: GenerateV1Input, context: WorkerContext): Promise<GenerateV1Result> {
  const sdk = await loadKitSdk(input.kit);
  const result = await sdk.generate({
    dialect: 'sqlite',
    schema: input.project.schemaFiles,
    out: input.out,
    breakpoints: input.project.breakpoints,
    ...(input.name ? { name: input.name } : {}),
    ...(input.hints?.length ? { hints: input.hints } : {}),
    ...(input.custom ? { custom: true } : {}),
  });
  switch (result.status) {
    case 'ok':
      if (!result.migration_path) return kitError(input.kit, 'generate', result);
      return { status: 'ok', folder: path.basename(path.dirname(result.migration_path)) };
    case 'no_changes':
      return { status: 'no_changes' };
    case 'missing_hints':
      return missingHints(input, result.unresolved, context);
    default:
      return kitError(input.kit, 'generate', result);
  }
}

export async function checkV1(kit: KitRef, out: string): Promise<KitV1Result> {
  const result = await (await loadKitSdk(kit)).check({ dialect: 'sqlite', out });
  return result.status === 'ok' ? { status: 'ok' } : kitError(kit, 'check', result);
}

export async function upV1(kit: KitRef, out: string): Promise<KitV1Result> {
  const result = await (await loadKitSdk(kit)).up({ dialect: 'sqlite', out });
  return result.status === 'ok'
    ? { status: 'ok', upgraded: result.upgraded ?? [] }
    : kitError(kit, 'up', result);
}

/**
 * drizzle-kit names only the new entity; we add the old ones it could be a rename of (as the 0.x path does), from
 * the folder's latest snapshot and the schema's own, so a caller need not guess `from`.
 */
async function missingHints(
  input: GenerateV1Input,
  unresolved: readonly KitSdkMissingHint[],
  context: WorkerContext,
): Promise<GenerateV1Result> {
  const unsupported = unresolved.filter(
    (hint) => hint.type !== 'rename_or_create' || (hint.kind !== 'table' && hint.kind !== 'column'),
  );
  if (unsupported.length > 0) {
    return {
      status: 'error',
      code: 'missing_hints',
      message: `drizzle-kit ${input.kit.version} asks about ${unsupported.map((hint) => `${hint.type} ${hint.kind} ${hint.entity.join('.')}`).join(', ')}, which generate_migration cannot answer (it answers table and column renames).`,
      hint: 'Run `drizzle-kit generate` in a terminal in the project to answer it, or change the schema in two steps.',
    };
  }
  const previous = latestSnapshot(input.out);
  const current = await (
    await loadKitPayload(input.kit)
  ).generateDrizzleJson(await importSchema(input.project, context));
  const before = snapshotTables(previous);
  const after = snapshotTables(current);
  const afterNames = new Set(after.map((table) => table.name));
  const missing: MissingHint[] = unresolved.map((hint): MissingHint => {
    const [schema = 'public', table = '', column] = hint.entity;
    if (hint.kind === 'table') {
      const candidates = before
        .filter((old) => !afterNames.has(old.name))
        .map((old): TableEntity => [schema, old.name]);
      return { type: 'rename_or_create', kind: 'table', entity: [schema, table], candidates };
    }
    const now = new Set(Object.keys(after.find((t) => t.name === table)?.columns ?? {}));
    const old = before.find((t) => t.name === table);
    const candidates = Object.keys(old?.columns ?? {})
      .filter((name) => !now.has(name))
      .map((name): ColumnEntity => [schema, table, name]);
    return { type: 'rename_or_create', kind: 'column', entity: [schema, table, column ?? ''], candidates };
  });
  return { status: 'missing_hints', missingHints: missing };
}

/** The snapshot drizzle-kit 1.x diffs from when there is one leaf: the last `<folder>/snapshot.json` in path order. */
function latestSnapshot(out: string): SqliteSnapshotV7 | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(out).filter((name) => fs.existsSync(path.join(out, name, 'snapshot.json')));
  } catch {
    return undefined;
  }
  const last = names
    .map((name) => path.join(out, name, 'snapshot.json'))
    .sort()
    .at(-1);
  if (!last) return undefined;
  try {
    return JSON.parse(fs.readFileSync(last, 'utf8')) as SqliteSnapshotV7;
  } catch {
    return undefined;
  }
}

/** An SDK error envelope as one sentence a model can act on (conflicting branches spelled out). */
function kitError(
  kit: KitRef,
  command: string,
  result: KitSdkResult,
): Extract<GenerateV1Result, { status: 'error' }> {
  const error = result.status === 'error' ? result.error : { code: 'unexpected_answer' };
  const { code, message, ...details } = error as { code: string; message?: string } & Record<string, unknown>;
  if (code === 'check_error' && details.kind === 'conflicts') return conflictError(kit, details);
  const detailText = Object.keys(details).length
    ? ` ${JSON.stringify(details).slice(0, MAX_DETAIL_CHARS)}`
    : '';
  return {
    status: 'error',
    code,
    message: `drizzle-kit ${kit.version} ${command} failed: ${code}${message ? `: ${message}` : ''}.${detailText}`,
    hint: ERROR_HINTS[code] ?? `Run \`drizzle-kit ${command}\` in the project for its own explanation.`,
    ...(Object.keys(details).length ? { details } : {}),
  };
}

const ERROR_HINTS: Record<string, string> = {
  schema_files_not_found_error:
    'Check that the `schema` path or glob in drizzle.config matches your schema files.',
  migration_snapshot_not_found_error:
    'Restore the missing meta/NNNN_snapshot.json files from version control; drizzle-kit up needs every one.',
};

interface ConflictBranch {
  leafPath?: string;
  statementDescription?: string;
}

function conflictError(
  kit: KitRef,
  details: Record<string, unknown>,
): Extract<GenerateV1Result, { status: 'error' }> {
  const groups = Array.isArray(details.details)
    ? (details.details as Array<{ branches?: ConflictBranch[] }>)
    : [];
  const lines = groups.map((group) =>
    (group.branches ?? [])
      .map((branch) => `${folderOf(branch.leafPath)} (${branch.statementDescription ?? 'a change'})`)
      .join(' vs '),
  );
  return {
    status: 'error',
    code: 'conflicts',
    message: `drizzle-kit ${kit.version} refuses to generate: migration branches change the same thing: ${lines.join('; ')}.`,
    hint: "Keep one branch: delete the other branch's migration folder (only if it was applied nowhere), then generate its change again on top of the first. drizzle-kit has no --fix-conflicts for SQLite.",
    details: { conflicts: lines },
  };
}

/** The migration folder a leaf path names (drizzle-kit gives the folder; a snapshot.json path is accepted too). */
function folderOf(leafPath: string | undefined): string {
  if (!leafPath) return '?';
  return path.basename(leafPath.endsWith('.json') ? path.dirname(leafPath) : leafPath);
}
