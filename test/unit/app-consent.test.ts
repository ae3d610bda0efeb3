import { describe, expect, it } from 'vitest';
import { askHumanToApprove, type ApprovalRequest } from '../../src/app/consent.js';
import type { CallContext, ElicitRequest, ElicitResult } from '../../src/app/call-context.js';

const request: ApprovalRequest = {
  grantedAtLaunch: false,
  message: 'Apply?',
  checkbox: { name: 'confirm', title: 'Apply', description: 'Tick to apply.', default: false },
};

function contextAnswering(answer: ElicitResult | Error, asked: ElicitRequest[] = []): CallContext {
  const elicit = async (req: ElicitRequest) => {
    asked.push(req);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { elicit } as unknown as CallContext;
}

describe('askHumanToApprove', () => {
  it('does not ask when the human allowed it at launch', async () => {
    const asked: ElicitRequest[] = [];
    const approval = await askHumanToApprove(contextAnswering({ action: 'decline' }, asked), {
      ...request,
      grantedAtLaunch: true,
    });
    expect(approval).toStrictEqual({ outcome: 'approved_by_launch_option' });
    expect(asked).toStrictEqual([]);
  });

  it('reports a client that cannot ask, without building the message', async () => {
    let built = false;
    const approval = await askHumanToApprove({ elicit: undefined } as unknown as CallContext, {
      ...request,
      message: async () => {
        built = true;
        return 'costly';
      },
    });
    expect(approval).toStrictEqual({ outcome: 'unavailable' });
    expect(built).toBe(false);
  });

  it('asks with one boolean checkbox and counts only a literal true as approval', async () => {
    const asked: ElicitRequest[] = [];
    expect(
      await askHumanToApprove(
        contextAnswering({ action: 'accept', content: { confirm: true } }, asked),
        request,
      ),
    ).toStrictEqual({
      outcome: 'approved_by_human',
    });
    expect(asked[0]).toStrictEqual({
      message: 'Apply?',
      requestedSchema: {
        type: 'object',
        properties: {
          confirm: { type: 'boolean', title: 'Apply', description: 'Tick to apply.', default: false },
        },
        required: ['confirm'],
      },
    });
    for (const content of [{ confirm: 'true' }, { confirm: 1 }, {}, undefined]) {
      const answer: ElicitResult =
        content === undefined ? { action: 'accept' } : { action: 'accept', content };
      expect(await askHumanToApprove(contextAnswering(answer), request)).toStrictEqual({
        outcome: 'not_ticked',
      });
    }
  });

  it('tells declining, cancelling and a failed request apart', async () => {
    expect(await askHumanToApprove(contextAnswering({ action: 'decline' }), request)).toStrictEqual({
      outcome: 'declined',
    });
    expect(await askHumanToApprove(contextAnswering({ action: 'cancel' }), request)).toStrictEqual({
      outcome: 'cancelled',
    });
    const error = new Error('timed out');
    expect(await askHumanToApprove(contextAnswering(error), request)).toStrictEqual({
      outcome: 'failed',
      error,
    });
  });
});
