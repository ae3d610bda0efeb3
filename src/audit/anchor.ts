// The audit chain's head kept outside the database: a small JSON file beside the backups holding the id and hash
// of the last row the server saw committed. The chain inside the database proves rows were not edited or removed
// from its middle; only something outside it can prove the tail was not cut off and replaced — with
// sqlite_sequence rewound, the server would otherwise append honest rows after the cut, and the chain would look
// whole. Invariant: the anchor only moves forward, and only when the row it names is still there with the same
// hash; when it is not, the anchor is frozen with what was found (evidence for verify) and never moves again until
// a person removes the file. Writes are atomic (temp file + rename).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface AnchorRecord {
  /** The audit table the anchor belongs to. */
  table: string;
  /** The last row the server saw committed. */
  id: number;
  hash: string;
  /** When it was recorded (ISO-8601). */
  at: string;
  /** Set once the anchored row was found missing or changed: the tail the server found instead, and when. */
  mismatch?: { foundId: number; foundHash: string; at: string };
}

export class AuditAnchor {
  constructor(
    /** The anchor file (created, with its folder, on the first write). */
    readonly file: string,
    /** Told when the file cannot be read or written (the chain in the database still stands on its own). */
    private readonly onProblem: (message: string) => void = () => undefined,
    /** Run on the anchor's folder before each write (the backup folder keeps itself out of version control). */
    private readonly prepareFolder: (folder: string) => void = () => undefined,
  ) {}

  /** The anchor, or undefined when there is none yet (or it cannot be read). */
  read(): AnchorRecord | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.onProblem(`the audit anchor ${this.file} cannot be read: ${(error as Error).message}`);
      return undefined;
    }
    try {
      const record = JSON.parse(text) as AnchorRecord;
      if (
        typeof record.id === 'number' &&
        typeof record.hash === 'string' &&
        typeof record.table === 'string'
      )
        return record;
    } catch {
      // fall through
    }
    this.onProblem(`the audit anchor ${this.file} is not an anchor file; it is ignored`);
    return undefined;
  }

  write(record: AnchorRecord): void {
    const temp = `${this.file}.${randomUUID()}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.prepareFolder(path.dirname(this.file));
      fs.writeFileSync(temp, `${JSON.stringify(record)}\n`);
      fs.renameSync(temp, this.file);
    } catch (error) {
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // The folder itself may be what failed.
      }
      this.onProblem(`the audit anchor ${this.file} cannot be written: ${(error as Error).message}`);
    }
  }
}
