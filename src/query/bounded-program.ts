// Whether a compiled SQLite program provably ends at once, so it may run in the server process instead of the
// killable query host. Invariant: only straight-line programs pass — every opcode is on a list of constant-cost
// operations (seek to one key, read a column of the current row, compare, emit a row) and every jump goes
// forward, except the single jump back from the prologue that every program ends with. Such a program executes
// each instruction at most once: no scan, no sort, no subquery loop, no function call, no virtual table. Anything
// else — or any opcode this list does not know, e.g. from a newer SQLite — goes to the host.

/** Opcodes whose p2 is a jump target. */
const JUMPS = new Set([
  'Init',
  'Goto',
  'SeekRowid',
  'NotExists',
  'SeekGE',
  'SeekGT',
  'SeekLE',
  'SeekLT',
  'IdxGE',
  'IdxGT',
  'IdxLE',
  'IdxLT',
  'IsNull',
  'NotNull',
  'MustBeInt',
  'Once',
  'If',
  'IfNot',
  'Eq',
  'Ne',
  'Lt',
  'Le',
  'Gt',
  'Ge',
]);

/** Constant-cost opcodes that never jump. */
const STRAIGHT = new Set([
  'Transaction',
  'TableLock',
  'OpenRead',
  'Close',
  'Integer',
  'Int64',
  'Real',
  'String8',
  'String',
  'Null',
  'Blob',
  'Variable',
  'Affinity',
  'RealAffinity',
  'DeferredSeek',
  'IdxRowid',
  'Rowid',
  'Column',
  'Copy',
  'SCopy',
  'ResultRow',
  'Halt',
  'Noop',
  'Explain',
]);

/** `program`: the rows of EXPLAIN in raw form — [addr, opcode, p1, p2, p3, p4, p5, comment]. */
export function isBoundedProgram(program: readonly unknown[][]): boolean {
  if (program.length === 0) return false;
  const last = program.length - 1;
  for (let index = 0; index <= last; index += 1) {
    const [addr, opcode, , p2] = program[index]!;
    if (typeof addr !== 'number' || typeof opcode !== 'string') return false;
    if (STRAIGHT.has(opcode)) continue;
    if (!JUMPS.has(opcode)) return false;
    const target = Number(p2);
    // The epilogue's "Goto 1" back to the body after Init's jump to the Transaction opcodes runs once.
    if (opcode === 'Goto' && index === last && target <= addr) continue;
    // MustBeInt with p2 = 0 raises an error instead of jumping.
    if (opcode === 'MustBeInt' && target === 0) continue;
    if (!(target > addr)) return false;
  }
  return true;
}
