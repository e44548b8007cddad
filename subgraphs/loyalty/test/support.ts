import { randomUUID } from 'node:crypto';
import { callerWith, type SubgraphHarness } from '@cmp/platform/testing';

export const manager = callerWith('LoyaltyManager');

export async function enrol(h: SubgraphHarness, tier = 'CLASICA', customerId = randomUUID()) {
  const result = await h.run(manager, 'mutation($i: EnrollLoyaltyMemberInput!) { enrollLoyaltyMember(input: $i) { id memberNumber } }', {
    i: { customerId, tier },
  });
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return { customerId, accountId: result.data.enrollLoyaltyMember.id as string, memberNumber: result.data.enrollLoyaltyMember.memberNumber as string };
}

export const POSTING = `entry { id kind avios elitePoints aviosBalanceAfter externalId } replayed account { aviosBalance elitePoints tier }`;
export const ACCRUE = `mutation($i: AccruePointsInput!) { accruePoints(input: $i) { ${POSTING} } }`;
export const REDEEM = `mutation($i: RedeemAviosInput!) { redeemAvios(input: $i) { ${POSTING} } }`;
