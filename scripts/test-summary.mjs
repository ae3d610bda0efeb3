// Prints the suite's totals as one plain line ("N passed, N failed, N skipped") from vitest's JSON report, so
// any CI reader can tell a run that tested something from one that ran nothing.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('.vitest-report.json', 'utf8'));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
process.stdout.write(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped\n`,
);
process.exitCode = report.numFailedTests > 0 || report.numTotalTests === 0 ? 1 : 0;
