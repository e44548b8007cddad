import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitations, lounges, outbox } from '../src/db/schema.ts';
import { invitationSubgraph } from '../src/index.ts';

const ISSUE = /* GraphQL */ `
  mutation($input: IssueInvitationInput!) {
    issueInvitation(input: $input) {
      id status loungeCode guests entriesUsed validFrom validUntil flightNumber
      lounge { code terminal name capacity }
      customer { id }
    }
  }
`;

let h: SubgraphHarness;
const agent = callerWith('CheckInAgent');
const hours = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();
const invite = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  loungeCode: 'MAD-VELAZQUEZ',
  validFrom: hours(-1),
  validUntil: hours(6),
  guests: 1,
  flightNumber: 'ib 6253',
  ...overrides,
});

beforeAll(async () => {
  h = await startSubgraphHarness(invitationSubgraph);
});
afterAll(() => h?.close());

describe('lounges', () => {
  it('has the three Madrid T4 lounges after migration, and seeding again changes nothing', async () => {
    await invitationSubgraph.seedReferenceData!(h.handle.db);
    const rows = await h.handle.db.select().from(lounges);
    expect(rows.map((l) => [l.code, l.terminal]).sort()).toEqual([
      ['MAD-DALI', 'T4'],
      ['MAD-GOYA', 'T4S'],
      ['MAD-VELAZQUEZ', 'T4S'],
    ]);
    const listed = await h.run(callerWith('Viewer'), '{ lounges { code name } }');
    expect(listed.data.lounges).toContainEqual({ code: 'MAD-DALI', name: 'Sala VIP Dalí' });
  });
});

describe('issueInvitation', () => {
  it('issues an invitation with the normalised flight and an InvitationIssued event for the CRM', async () => {
    const customerId = randomUUID();
    const result = await h.run(agent, ISSUE, { input: invite(customerId) });
    expect(result.errors).toBeUndefined();
    const issued = result.data.issueInvitation;
    expect(issued).toMatchObject({
      status: 'ISSUED',
      loungeCode: 'MAD-VELAZQUEZ',
      guests: 1,
      entriesUsed: 0,
      flightNumber: 'IB6253',
      lounge: { code: 'MAD-VELAZQUEZ', terminal: 'T4S', name: 'Sala VIP Velázquez', capacity: 400 },
      customer: { id: customerId },
    });
    const [event] = (await h.handle.db.select().from(outbox)).filter((e) => e.aggregateId === issued.id);
    expect(event).toMatchObject({
      type: 'cmp.invitation.InvitationIssued',
      customerId,
      data: { invitationId: issued.id, loungeCode: 'MAD-VELAZQUEZ', guests: 1, flightNumber: 'IB6253', validUntil: new Date(issued.validUntil).toISOString() },
    });
  });

  it.each([
    ['loungeCode', { loungeCode: 'LHR-GALLERIES' }, /MAD-DALI/],
    ['validUntil', { validFrom: hours(2), validUntil: hours(1) }, /after validFrom/],
    ['validUntil', { validFrom: hours(-5), validUntil: hours(-1) }, /future/],
    ['validUntil', { validFrom: hours(0), validUntil: hours(49) }, /48 hours/],
    ['guests', { guests: 2 }, /0 to 1/],
    ['guests', { guests: -1 }, /0 to 1/],
    ['flightNumber', { flightNumber: 'Iberia 6253' }, /IATA/],
    ['customerId', { customerId: '42' }, /UUID/],
  ])('refuses a bad %s with BAD_USER_INPUT naming it, storing nothing', async (field, overrides, message) => {
    const before = (await h.handle.db.select().from(invitations)).length;
    const result = await h.run(agent, ISSUE, { input: invite(randomUUID(), overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect((await h.handle.db.select().from(invitations)).length).toBe(before);
  });

  it('lets contact-centre and check-in agents issue, and refuses roles without the privilege', async () => {
    for (const role of ['ContactCentreAgent', 'CheckInAgent', 'CustomerManager', 'Admin'] as const) {
      expect((await h.run(callerWith(role), ISSUE, { input: invite(randomUUID()) })).errors, role).toBeUndefined();
    }
    for (const role of ['SupportAgent', 'Viewer', 'SalesRep'] as const) {
      expect((await h.run(callerWith(role), ISSUE, { input: invite(randomUUID()) })).errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    const customer = randomUUID();
    const self = await h.run(callerWith('Customer', { customerId: customer }), ISSUE, { input: invite(customer) });
    expect(self.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('reading invitations', () => {
  it('lists two customers\' invitations in one _entities call, each its own, filtered by status', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const a1 = (await h.run(agent, ISSUE, { input: invite(a, { loungeCode: 'MAD-DALI' }) })).data.issueInvitation;
    const b1 = (await h.run(agent, ISSUE, { input: invite(b, { loungeCode: 'MAD-GOYA', guests: 0 }) })).data.issueInvitation;
    const result = await h.run(callerWith('Viewer'), customerEntities('invitations { id loungeCode } used: invitations(status: [USED]) { id }'), {
      representations: [a, b].map((id) => ({ __typename: 'Customer', id })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual([
      { id: a, invitations: [{ id: a1.id, loungeCode: 'MAD-DALI' }], used: [] },
      { id: b, invitations: [{ id: b1.id, loungeCode: 'MAD-GOYA' }], used: [] },
    ]);
  });

  it('shows an invitation to its customer and refuses another customer', async () => {
    const owner = randomUUID();
    const issued = (await h.run(agent, ISSUE, { input: invite(owner) })).data.issueInvitation;
    const query = 'query($id: ID!) { invitation(id: $id) { id status } }';
    expect((await h.run(callerWith('Customer', { customerId: owner }), query, { id: issued.id })).data.invitation).toEqual({ id: issued.id, status: 'ISSUED' });
    const stranger = await h.run(callerWith('Customer', { customerId: randomUUID() }), query, { id: issued.id });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
