import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from '../../src/consent/canonical-json.js';
import { createPlan, hashPlanContent, type PlanContent } from '../../src/consent/plan.js';
import { samplePlan } from '../helpers/plans.js';

describe('canonical JSON', () => {
  it.each([
    [{ b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    [{ z: { y: 1, x: 2 } }, '{"z":{"x":2,"y":1}}'],
    [{ a: undefined, b: 0 }, '{"b":0}'],
    [-0, '0'],
    [1e21, '1e+21'],
    ['\ud800', '"\\ud800"'],
    [Object.assign(Object.create(null) as object, { k: 'v' }), '{"k":"v"}'],
    [{ é: 1, e: 2, E: 3 }, '{"E":3,"e":2,"é":1}'],
  ])('writes %j as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a function', () => 1],
    ['an undefined array slot', [1, undefined]],
    ['a hole', [1, , 3]],
    ['a nested class instance', { a: new (class Thing {})() }],
  ])('refuses %s instead of hashing it as something else', (_name, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('separates hash domains by label', () => {
    expect(canonicalHash('a', { x: 1 })).not.toBe(canonicalHash('b', { x: 1 }));
    expect(canonicalHash('a', { x: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('plan hash', () => {
  it('is stable: the same content in another key order hashes alike, and the value is pinned', () => {
    const plan = samplePlan();
    const reordered = JSON.parse(JSON.stringify(plan, Object.keys(plan).reverse())) as PlanContent;
    const shuffled: PlanContent = {
      binding: { arguments: {}, pending: ['h1'], database: { schema: 'abc', file: '/p/data/app.db' } },
      effects: { ...plan.effects },
      steps: plan.steps,
      reasons: plan.reasons,
      title: plan.title,
      kind: plan.kind,
    };
    expect(hashPlanContent(shuffled)).toBe(hashPlanContent(plan));
    expect(hashPlanContent({ ...reordered, ...plan })).toBe(hashPlanContent(plan));
    // Pinned, and computed independently: Python's json.dumps(plan, sort_keys=True, separators=(',', ':'),
    // ensure_ascii=False) after the label and a newline, through sha256. A change here means every plan hash
    // changed meaning: bump PLAN_HASH_LABEL with it.
    expect(hashPlanContent(plan)).toBe('effca02424f1ec8a85501e74601d0eed161a2dcba8e77d9693b141ac8f5dc96c');
  });

  it('ignores the id, the time and any extra field a caller passes along', () => {
    const content = samplePlan();
    const a = createPlan(content, 'plan_a', new Date(0));
    const b = createPlan(content, 'plan_b', new Date(1e12));
    expect(a.hash).toBe(b.hash);
    expect(hashPlanContent(a)).toBe(a.hash);
    expect(hashPlanContent({ ...content, extra: 'x' } as PlanContent)).toBe(a.hash);
  });

  it.each<[string, (plan: PlanContent) => PlanContent]>([
    [
      'a statement',
      (p) => ({ ...p, steps: [{ ...p.steps[0]!, statements: [{ sql: 'DROP TABLE users;' }] }] }),
    ],
    ['the order of steps', (p) => ({ ...p, steps: [p.steps[0]!, { label: 'x', statements: [] }] })],
    [
      'a row delta',
      (p) => ({ ...p, effects: { ...p.effects, rowDeltas: [{ table: 'users', before: 3, after: 2 }] } }),
    ],
    ['a finding', (p) => ({ ...p, effects: { ...p.effects, findings: [] } })],
    [
      'the database binding',
      (p) => ({ ...p, binding: { ...p.binding, database: { file: '/q.db', schema: 'abc' } } }),
    ],
    ['the arguments', (p) => ({ ...p, binding: { ...p.binding, arguments: { planId: 'x' } } })],
    ['the title a person reads', (p) => ({ ...p, title: p.title + '!' })],
    [
      'a risk marker',
      (p) => ({
        ...p,
        steps: [{ label: p.steps[0]!.label, statements: [{ sql: p.steps[0]!.statements[0]!.sql }] }],
      }),
    ],
  ])('changes when %s changes', (_what, change) => {
    const plan = samplePlan();
    expect(hashPlanContent(change(plan))).not.toBe(hashPlanContent(plan));
  });
});
