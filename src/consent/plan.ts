// A plan is what a human approves: exactly what will run, what the rehearsal showed it would do, and what it is
// bound to (the migrations folder, the database, the call's arguments). Invariant: the hash covers every field a
// person is shown or the apply depends on, and nothing else — not the plan's id, not when it was made — so the
// apply can rebuild the plan from the folder, the database and the arguments as they are now, hash it, and find
// out whether the human approved *this*. Pure data: no I/O, no clock.
import { canonicalHash } from './canonical-json.js';

/** Bump when the meaning of a field changes: a plan hashed by an older server then never matches. */
export const PLAN_HASH_LABEL = 'drizzle-sqlite-mcp/plan/v1';

export type PlanKind = 'apply_migrations' | 'write' | 'restore' | 'schema_edit';

/** Why a human must look: one entry per reason, worded for that human. */
export interface PlanReason {
  code: 'data_loss' | 'data_change' | 'over_budget' | 'undo_changes' | 'schema_edit';
  message: string;
}

/** A statement that will run. `risk` marks the ones the review must make impossible to miss. */
export interface PlanStatement {
  sql: string;
  /** The values bound to its placeholders, as JSON text (whole: the values are what changes). */
  params?: string;
  risk?: 'data_loss' | 'data_change';
  /** One line on why it is risky ("drops column users.email holding 1,204 values"). */
  note?: string;
}

/** A group of statements that runs as one unit: a migration file, a write, a restore. */
export interface PlanStep {
  label: string;
  statements: PlanStatement[];
}

export interface PlanFinding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  fix?: string;
  /** Indexes into `steps` and that step's `statements`, when the finding is about one statement. */
  step?: number;
  statement?: number;
}

/** Rows in a table before and after (null: the table does not exist at that point). */
export interface RowDelta {
  table: string;
  before: number | null;
  after: number | null;
  /** Existing rows whose values change (UPDATE, REPLACE, upsert), when the rehearsal measured it. */
  changed?: number;
}

export interface SchemaChange {
  action: 'create' | 'drop' | 'alter' | 'rename';
  object: 'table' | 'column' | 'index' | 'view' | 'trigger' | 'foreign_key';
  name: string;
  detail?: string;
}

/** A cell as the review shows it: blobs and oversized values arrive already summarised as text. */
export type PlanCell = string | number | boolean | null;

/** A sample of the rows a write (or a restore) would change, for the person to see real values. */
export interface RowChangeSample {
  table: string;
  columns: string[];
  rows: Array<{ op: 'insert' | 'update' | 'delete'; before?: PlanCell[]; after?: PlanCell[] }>;
  /** How many rows change in all; more than `rows.length` when the sample was cut. */
  total: number;
}

export interface PlanEffects {
  rowDeltas: RowDelta[];
  findings: PlanFinding[];
  schemaChanges: SchemaChange[];
  rowChanges: RowChangeSample[];
}

/**
 * What the plan is only valid for. Plain data chosen per operation (see notes/consent-design.md): e.g. the
 * database file and its schema fingerprint, the pending migrations' hashes, the canonical arguments. Shown to the
 * person in a collapsed section; compared, through the hash, at apply time.
 */
export type PlanBinding = Record<string, unknown>;

/** Everything the hash covers. */
export interface PlanContent {
  kind: PlanKind;
  /** One line: "Apply 2 migrations to data/app.db". */
  title: string;
  reasons: PlanReason[];
  steps: PlanStep[];
  effects: PlanEffects;
  binding: PlanBinding;
}

export interface Plan extends PlanContent {
  /** Names the plan in follow-up calls; not a secret and not part of the hash. */
  id: string;
  /** sha256 hex of the content, see hashPlanContent. */
  hash: string;
  /** ISO-8601 UTC. */
  createdAt: string;
}

export function hashPlanContent(content: PlanContent): string {
  // Only the declared fields: a caller passing a richer object (a Plan, a report with extras) hashes the same.
  const { kind, title, reasons, steps, effects, binding } = content;
  return canonicalHash(PLAN_HASH_LABEL, { kind, title, reasons, steps, effects, binding });
}

export function createPlan(content: PlanContent, id: string, createdAt: Date): Plan {
  const { kind, title, reasons, steps, effects, binding } = content;
  return {
    id,
    hash: hashPlanContent(content),
    createdAt: createdAt.toISOString(),
    kind,
    title,
    reasons,
    steps,
    effects,
    binding,
  };
}

/** The first hex digits people compare by eye between the card, the page and the audit row. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** The statements in the order they will run, with their step, for views that number them. */
export function statementCount(plan: Pick<PlanContent, 'steps'>): number {
  return plan.steps.reduce((sum, step) => sum + step.statements.length, 0);
}
