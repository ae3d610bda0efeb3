// drizzle-kit's snapshot file as text: the key order, the `_meta` block and the version the CLI writes. The kit
// worker serialises a new snapshot where it is made (so it crosses to the main thread as one string) and the
// migration writer writes that text; both sides of that exchange share this module.
import type { SqliteSnapshot } from './types.js';

/** drizzle-kit 0.x's SQLite snapshot version (the journal entries' `version`). */
export const SNAPSHOT_VERSION = '6';

/** A snapshot turned into the exact text its file gets, with what the checks and the journal read from it. */
export interface SerialisedSnapshot {
  kind: 'serialised';
  id: string;
  prevId: string;
  /** The journal entry's `version`. */
  version: string;
  text: string;
}

/**
 * The snapshot file's text as the CLI writes it (key order, `_meta`, 2-space JSON). The kit worker calls it where the
 * snapshot is made, so the snapshot crosses to this thread as one string instead of a cloned object graph.
 */
export function serialiseSnapshot(snapshot: SqliteSnapshot): SerialisedSnapshot {
  return {
    kind: 'serialised',
    id: snapshot.id,
    prevId: snapshot.prevId,
    version: String(snapshot.version ?? SNAPSHOT_VERSION),
    text: JSON.stringify(orderSnapshot(snapshot), null, 2),
  };
}

export function isSerialised(snapshot: SqliteSnapshot | SerialisedSnapshot): snapshot is SerialisedSnapshot {
  return (snapshot as Partial<SerialisedSnapshot>).kind === 'serialised';
}

/** The file text of a snapshot, serialised already or not. */
export function snapshotText(snapshot: SqliteSnapshot | SerialisedSnapshot): string {
  return isSerialised(snapshot) ? snapshot.text : serialiseSnapshot(snapshot).text;
}

/** The journal entry's `version` for a snapshot, serialised already or not. */
export function snapshotVersion(snapshot: SqliteSnapshot | SerialisedSnapshot): string {
  return isSerialised(snapshot) ? snapshot.version : String(snapshot.version ?? SNAPSHOT_VERSION);
}

/** drizzle-kit's key order (`version, dialect, id, prevId, …`) and an `_meta` block, as the CLI writes them. */
function orderSnapshot(snapshot: SqliteSnapshot): Record<string, unknown> {
  const { version, dialect, id, prevId, _meta, ...rest } = snapshot;
  return {
    version: version ?? SNAPSHOT_VERSION,
    dialect: dialect ?? 'sqlite',
    id,
    prevId,
    ...rest,
    _meta: _meta ?? { schemas: {}, tables: {}, columns: {} },
  };
}
