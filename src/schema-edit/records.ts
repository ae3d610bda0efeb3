// The record of each schema edit, kept on disk beside the database backups: what every file held before the edit
// (so it can be reverted, after a restart too), the operations (so generate_migration knows the renames), and where
// the edit stands. A record is written before any schema file changes ("pending"), becomes "committed" once the
// edit's audit row is in, and "reverted" when undone; a pending record found later is an edit that was interrupted.
// Every write replaces the record's file atomically. Not pure (reads and writes files), unlike the engine.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readTextIfExists, writeFileAtomic } from '../core/files.js';
import type { AppliedRename } from '../project/types.js';
import type { SchemaModel } from './model.js';
import type { Operation } from './operations.js';

export type EditState = 'pending' | 'committed' | 'reverted';

export interface EditedFile {
  /** Relative to the project root, with "/" separators. */
  path: string;
  /** The text before the edit; null for a file the edit created. */
  before: string | null;
  beforeSha256: string | null;
  afterSha256: string;
}

export interface EditRecord {
  version: 1;
  id: string;
  createdAt: string;
  /** The project root the paths are relative to. */
  root: string;
  state: EditState;
  /** The migrations folder's latest snapshot id when the edit was made (drizzle-kit's origin id for none). */
  baseSnapshotId: string;
  files: EditedFile[];
  /** Folders the edit created for new files (relative), removed again by a revert when empty. */
  createdDirs: string[];
  /** The operations as the engine resolved them. */
  operations: Operation[];
  renames: AppliedRename[];
  /** sha256 of the edit's unified diffs, as the dry run reported it. */
  diffHash: string;
  /** The schema as it loaded before the edit: what a revert must load again. */
  beforeModel: SchemaModel;
  /** False when the edit changed only TypeScript (a property name, a mode with the same SQL): no migration needed. */
  changesSnapshot: boolean;
}

const ID_PATTERN = /^[0-9]{8}-[0-9]{9}-[0-9a-f]{4}$/;

/** A relative path that stays inside the folder it is relative to. */
function isInside(relative: unknown): boolean {
  return (
    typeof relative === 'string' &&
    relative !== '' &&
    !path.isAbsolute(relative) &&
    !relative.split(/[\\/]/).includes('..')
  );
}

export class EditRecords {
  constructor(
    /** The folder the records live in (created on first write). */
    readonly dir: string,
    /** Only this project's records are listed (a backup folder may be shared). */
    readonly root: string,
  ) {}

  /** A new id that sorts by time: `yyyymmdd-hhmmssmmm-xxxx` (UTC). */
  newId(now: Date = new Date()): string {
    const stamp = now.toISOString().replace(/[-:T.Z]/g, '');
    return `${stamp.slice(0, 8)}-${stamp.slice(8, 17)}-${randomBytes(2).toString('hex')}`;
  }

  isId(id: string): boolean {
    return ID_PATTERN.test(id);
  }

  save(record: EditRecord): void {
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.file(record.id), JSON.stringify(record));
  }

  /** The record, or undefined when there is none of that id for this project. */
  get(id: string): EditRecord | undefined {
    if (!this.isId(id)) return undefined;
    const record = this.parse(readTextIfExists(this.file(id)));
    return record?.root === this.root ? record : undefined;
  }

  /** This project's records, oldest first. */
  list(): EditRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.endsWith('.json') && this.isId(name.slice(0, -'.json'.length)))
      .sort()
      .flatMap((name) => {
        const record = this.parse(readTextIfExists(path.join(this.dir, name)));
        return record?.root === this.root ? [record] : [];
      });
  }

  /**
   * Committed edits that change the schema and are in no migration yet, oldest first: those made on a snapshot of
   * the schema as the folder's latest migration leaves it (`latestSchemaIds`, see idsOfLatestSchema). Whoever
   * writes the next migration of a schema change (generate_migration, or drizzle-kit itself) moves that schema on
   * and the edits stop waiting; a custom migration does not; removing the migration makes them wait again.
   */
  waiting(latestSchemaIds: readonly string[]): EditRecord[] {
    return this.list().filter(
      (record) =>
        record.state === 'committed' &&
        record.changesSnapshot &&
        latestSchemaIds.includes(record.baseSnapshotId),
    );
  }

  remove(id: string): void {
    if (this.isId(id)) fs.rmSync(this.file(id), { force: true });
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private parse(text: string | undefined): EditRecord | undefined {
    if (text === undefined) return undefined;
    try {
      const record = JSON.parse(text) as EditRecord;
      // Security: a revert writes every path a record names; a record naming one outside the project is not ours.
      const paths = [...record.files.map((file) => file.path), ...record.createdDirs];
      return record.version === 1 && typeof record.id === 'string' && paths.every(isInside)
        ? record
        : undefined;
    } catch {
      return undefined;
    }
  }
}
