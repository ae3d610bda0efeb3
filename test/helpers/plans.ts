// Plans for consent and view tests: a destructive migration a person must approve.
import type { PlanContent } from '../../src/consent/plan.js';

export function samplePlan(overrides: Partial<PlanContent> = {}): PlanContent {
  return {
    kind: 'apply_migrations',
    title: 'Apply 1 migration to data/app.db',
    reasons: [{ code: 'data_loss', message: 'Drops column users.legacy_email holding 3 values.' }],
    steps: [
      {
        label: '0002_drop_legacy_email',
        statements: [
          {
            sql: 'ALTER TABLE `users` DROP COLUMN `legacy_email`;',
            risk: 'data_loss',
            note: '3 values lost',
          },
        ],
      },
    ],
    effects: {
      rowDeltas: [{ table: 'users', before: 3, after: 3 }],
      findings: [
        { severity: 'warning', code: 'DS102', message: 'Drops a column with data.', step: 0, statement: 0 },
      ],
      schemaChanges: [{ action: 'drop', object: 'column', name: 'users.legacy_email' }],
      rowChanges: [],
    },
    binding: { database: { file: '/p/data/app.db', schema: 'abc' }, pending: ['h1'], arguments: {} },
    ...overrides,
  };
}
