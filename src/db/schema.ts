// The example app's schema (a small wellness tracker): the embedded default project the server manages out of
// the box. Edit it, then ask the assistant to generate and apply a migration.
import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  username: text('username').notNull(),
  passwordHash: text('password_hash'),
  isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
  preferences: text('preferences', { mode: 'json' }).$type<{ theme?: 'light' | 'dark'; reminders?: boolean }>(),
  role: text('role', { enum: ['member', 'coach', 'admin'] }).notNull().default('member'),
  createdAt: text('created_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),
  updatedAt: text('updated_at'),
});

export const checkIns = sqliteTable(
  'check_ins',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    mood: integer('mood').notNull(),
    cravingLevel: integer('craving_level').notNull(),
    sleepHours: real('sleep_hours'),
    notes: text('notes'),
    createdAt: text('created_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),
  },
  (table) => [index('idx_check_ins_user_created').on(table.userId, table.createdAt)],
);

export const journalEntries = sqliteTable(
  'journal_entries',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title'),
    body: text('body').notNull(),
    tags: text('tags', { mode: 'json' }).$type<string[]>(),
    isPrivate: integer('is_private', { mode: 'boolean' }).notNull().default(true),
    createdAt: text('created_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),
  },
  (table) => [index('idx_journal_user').on(table.userId)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    token: text('token').notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp' }).notNull(),
    createdAt: text('created_at').notNull().default(sql`(CURRENT_TIMESTAMP)`),
  },
  (table) => [uniqueIndex('idx_sessions_token').on(table.token), index('idx_sessions_user_expires').on(table.userId, table.expiresAt)],
);

// The server's audit trail, declared here so the app's own migrations own it: the server writes into it once the
// first migration has created it (it never creates a table a project declares; elsewhere its table is
// mcp_audit_log). Written only by the server.
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    createdAt: text('created_at').notNull(),
    tool: text('tool').notNull(),
    outcome: text('outcome', { enum: ['ok', 'error', 'refused'] }).notNull(),
    errorCode: text('error_code'),
    durationMs: integer('duration_ms').notNull(),
    client: text('client'),
    targetType: text('target_type'),
    targetId: text('target_id'),
    details: text('details'),
    rowsAffected: integer('rows_affected'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [
    index('audit_log_created_at_idx').on(table.createdAt),
    index('audit_log_tool_idx').on(table.tool),
    index('audit_log_outcome_idx').on(table.outcome),
    index('audit_log_target_idx').on(table.targetType, table.targetId),
  ],
);
