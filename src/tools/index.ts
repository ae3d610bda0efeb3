// The tool surface, in the order tools/list presents it. The registry is the only consumer.
import { applyMigrationsTool } from './apply-migrations.js';
import { editSchemaTool } from './edit-schema.js';
import { generateMigration } from './generate-migration.js';
import { executeSql } from './execute-sql.js';
import { inspectSchema } from './inspect-schema.js';
import { migrationStatus } from './migration-status.js';
import { readAuditLog } from './read-audit-log.js';
import { runQuery } from './run-query.js';
import { selectRows } from './select-rows.js';
import { writeRows } from './write-rows.js';
import { createRestoreBackupTool } from './restore-backup.js';
import { serveView } from './serve-view.js';
import type { ToolDefinition } from './types.js';

// restore_backup asks which tools change the database; the list that answers contains restore_backup itself.
const restoreBackup = createRestoreBackupTool(() => changingToolNames);

export const ALL_TOOLS: readonly ToolDefinition[] = [
  inspectSchema,
  runQuery,
  selectRows,
  executeSql,
  writeRows,
  readAuditLog,
  migrationStatus,
  editSchemaTool,
  generateMigration,
  applyMigrationsTool,
  restoreBackup,
  serveView,
];

const changingToolNames: readonly string[] = ALL_TOOLS.filter(
  (tool) => tool.effect === 'write' || tool.effect === 'destructive',
).map((tool) => tool.name);
