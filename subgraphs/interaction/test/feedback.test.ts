import { callerWith, customerEntities, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, eq, inArray } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerInsights, feedback, textAnalyses } from '../src/db/feedback.schema.ts';
import { outbox, timelineEntries } from '../src/db/schema.ts';
import { interactionSubgraph } from '../src/index.ts';
import { insightsOfCustomers } from '../src/domain/insights.ts';

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());

const agent = callerWith('SupportAgent');
const marketing = callerWith('MarketingManager');
const admin = callerWith('Admin');

const FIELDS = `id kind content originalContent profanityFiltered rating authorName consentToPublish consentWithdrawnAt status decidedAt decidedBy rejectionReason submittedAt customer { id }`;
const SUBMIT = `mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { ${FIELDS} } }`;
const APPROVE = `mutation($id: ID!) { approveTestimonial(id: $id) { ${FIELDS} } }`;
const REJECT = `mutation($id: ID!, $reason: String!) { rejectTestimonial(id: $id, reason: $reason) { ${FIELDS} } }`;
const WITHDRAW = `mutation($id: ID!) { withdrawTestimonialConsent(id: $id) { ${FIELDS} } }`;
const PUBLIC = `query($first: Int, $after: String) {
  publicTestimonials(first: $first, after: $after) { edges { cursor node { id content rating authorName publishedAt } } pageInfo { hasNextPage endCursor } }
}`;

const testimonial = (customerId: string, overrides: Record<string, unknown> = {}) => ({
  customerId,
  kind: 'TESTIMONIAL',
  content: 'The crew was wonderful and the lounge in Madrid was excellent, thank you!',
  rating: 5,
  authorName: 'Lucía G.',
  consentToPublish: true,
  ...overrides,
});

async function submitted(input: Record<string, unknown>, caller = agent) {
  const result = await h.run(caller, SUBMIT, { input });
  expect(result.errors).toBeUndefined();
  return result.data.submitFeedback as Record<string, any>;
}

const eventsOf = (aggregateId: string) => h.handle.db.select().from(outbox).where(eq(outbox.aggregateId, aggregateId)).orderBy(outbox.id);

describe('submitFeedback', () => {
  it('records a testimonial pending approval with its analysis, its timeline entry and a FeedbackSubmitted event', async () => {
    const customerId = randomUUID();
    const row = await submitted(testimonial(customerId));
    expect(row).toMatchObject({
      kind: 'TESTIMONIAL',
      content: 'The crew was wonderful and the lounge in Madrid was excellent, thank you!',
      originalContent: 'The crew was wonderful and the lounge in Madrid was excellent, thank you!',
      profanityFiltered: false,
      rating: 5,
      authorName: 'Lucía G.',
      consentToPublish: true,
      consentWithdrawnAt: null,
      status: 'PENDING_APPROVAL',
      decidedAt: null,
      customer: { id: customerId },
    });
    const [entry] = await h.handle.db.select().from(timelineEntries).where(eq(timelineEntries.sourceId, row.id));
    expect(entry).toMatchObject({
      customerId,
      type: 'FEEDBACK',
      sourceType: 'Feedback',
      actor: agent.subject,
      summary: 'Testimonial (5/5): The crew was wonderful and the lounge in Madrid was excellent, thank you!',
    });
    const events = await eventsOf(row.id);
    expect(events.map((e) => [e.type, e.aggregateType, e.customerId, e.data])).toEqual([
      [
        'cmp.interaction.FeedbackSubmitted',
        'Feedback',
        customerId,
        { feedbackId: row.id, customerId, kind: 'TESTIMONIAL', rating: 5, status: 'PENDING_APPROVAL', profanityFiltered: false },
      ],
    ]);
    const analysis = await h.run(agent, `query($id: ID!) { feedback(id: $id) { analysis { subjectType label score keyPhrases language provider } } }`, { id: row.id });
    expect(analysis.data.feedback.analysis).toEqual({
      subjectType: 'Feedback',
      label: 'POSITIVE',
      // wonderful +4, excellent +3, thank +2: tanh(9 / 4)
      score: 0.978,
      keyPhrases: ['crew', 'wonderful', 'lounge', 'madrid', 'excellent'],
      language: 'en',
      provider: 'LOCAL',
    });
  });

  it('keeps compliments and suggestions RECEIVED, with an optional rating and no consent', async () => {
    const customerId = randomUUID();
    const compliment = await submitted({ customerId, kind: 'COMPLIMENT', content: 'Gracias a la tripulación, fue muy amable.', authorName: 'Pedro' });
    expect(compliment).toMatchObject({ kind: 'COMPLIMENT', status: 'RECEIVED', rating: null, consentToPublish: false });
    const suggestion = await submitted({ customerId, kind: 'SUGGESTION', content: 'Please add more vegetarian meals on long flights.', authorName: 'Ana', rating: 4 });
    expect(suggestion).toMatchObject({ kind: 'SUGGESTION', status: 'RECEIVED', rating: 4 });
    const [entry] = await h.handle.db.select().from(timelineEntries).where(eq(timelineEntries.sourceId, suggestion.id));
    expect(entry!.summary).toBe('Suggestion (4/5): Please add more vegetarian meals on long flights.');
  });

  it('masks English and Spanish profanity in the public text and keeps the original for staff only', async () => {
    const customerId = randomUUID();
    const input = testimonial(customerId, { content: 'Shit, the first flight was late, pero la tripulación de mierda me ayudó al final. Great service!', rating: 4 });
    const row = await submitted(input, callerWith('Customer', { customerId }));
    expect(row).toMatchObject({
      content: '****, the first flight was late, pero la tripulación de **** me ayudó al final. Great service!',
      profanityFiltered: true,
      // a customer token never reads the unfiltered text
      originalContent: null,
    });
    const staff = await h.run(agent, `query($id: ID!) { feedback(id: $id) { content originalContent profanityFiltered } }`, { id: row.id });
    expect(staff.data.feedback).toEqual({
      content: '****, the first flight was late, pero la tripulación de **** me ayudó al final. Great service!',
      originalContent: 'Shit, the first flight was late, pero la tripulación de mierda me ayudó al final. Great service!',
      profanityFiltered: true,
    });
    const [entry] = await h.handle.db.select().from(timelineEntries).where(eq(timelineEntries.sourceId, row.id));
    expect(entry!.summary).toContain('****, the first flight');
    // whole words only: a place name containing a listed word is left alone
    const place = await submitted(testimonial(customerId, { content: 'Lovely flight to Scunthorpe via Essex, thank you.' }));
    expect(place).toMatchObject({ content: 'Lovely flight to Scunthorpe via Essex, thank you.', profanityFiltered: false });
  });

  it.each([
    ['content', { content: '   ' }, 'content: is required'],
    ['content', { content: 'x'.repeat(2001) }, 'content: must be at most 2000 characters'],
    ['rating', { rating: null }, 'rating: is required for a testimonial'],
    ['rating', { rating: 0 }, 'rating: must be a whole number from 1 to 5'],
    ['rating', { rating: 6 }, 'rating: must be a whole number from 1 to 5'],
    ['authorName', { authorName: '' }, 'authorName: is required'],
    ['authorName', { authorName: 'a'.repeat(101) }, 'authorName: must be at most 100 characters'],
    ['authorName', { authorName: 'Big Asshole' }, 'authorName: must not contain profanity'],
    ['consentToPublish', { kind: 'COMPLIMENT', rating: null }, 'consentToPublish: only testimonials are published: leave it unset for compliments and suggestions'],
    ['customerId', { customerId: 'not-a-uuid' }, undefined],
  ])('refuses a bad %s naming the field and the rule', async (field, overrides, message) => {
    const result = await h.run(agent, SUBMIT, { input: testimonial(randomUUID(), overrides) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    if (message) expect(result.errors?.[0]?.message).toBe(message);
    expect(result.data).toBeNull();
  });

  it('accepts exactly 2000 characters', async () => {
    const row = await submitted(testimonial(randomUUID(), { content: `${'Great flight. '.repeat(142)}Thanks!!!!!!` }));
    expect(row.content).toHaveLength(2000);
  });

  it('lets staff who log interactions and the customer itself submit; nobody else', async () => {
    const customerId = randomUUID();
    await submitted(testimonial(customerId), callerWith('Customer', { customerId }));
    await submitted(testimonial(customerId), callerWith('SalesRep'));
    for (const caller of [callerWith('Customer', { customerId: randomUUID() }), callerWith('MarketingManager'), callerWith('Viewer')]) {
      const result = await h.run(caller, SUBMIT, { input: testimonial(customerId) });
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const rows = await h.handle.db.select().from(feedback).where(eq(feedback.customerId, customerId));
    expect(rows).toHaveLength(2);
  });

  it('records 100 concurrent submissions for one customer, each with its entry and analysis, and current insights', async () => {
    const customerId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h.run(agent, SUBMIT, { input: { customerId, kind: 'COMPLIMENT', content: `Compliment number ${i}: the crew was wonderful`, authorName: 'Marta' } }),
      ),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    const ids = results.map((r) => r.data.submitFeedback.id as string);
    expect(new Set(ids).size).toBe(100);
    expect(await h.handle.db.$count(timelineEntries, and(eq(timelineEntries.customerId, customerId), eq(timelineEntries.type, 'FEEDBACK')))).toBe(100);
    expect(await h.handle.db.$count(textAnalyses, inArray(textAnalyses.subjectId, ids))).toBe(100);
    const [marked] = await h.handle.db.select().from(customerInsights).where(eq(customerInsights.customerId, customerId));
    expect(marked).toMatchObject({ stale: true });
    const [insights] = await insightsOfCustomers(h.handle.db, [customerId]);
    expect(insights).toMatchObject({ stale: false, facts: { engagements30: 100, analyses90: 100, positive90: 100 } });
  });
});

describe('testimonial approval', () => {
  it('lets marketing approve a pending testimonial once, announced for the customer rating', async () => {
    const customerId = randomUUID();
    const row = await submitted(testimonial(customerId));
    const approved = await h.run(marketing, APPROVE, { id: row.id });
    expect(approved.errors).toBeUndefined();
    expect(approved.data.approveTestimonial).toMatchObject({ status: 'APPROVED', decidedBy: marketing.subject, rejectionReason: null });
    expect(approved.data.approveTestimonial.decidedAt).toBeInstanceOf(Date);
    const events = await eventsOf(row.id);
    expect(events.map((e) => e.type)).toEqual(['cmp.interaction.FeedbackSubmitted', 'cmp.interaction.TestimonialApproved']);
    expect(events[1]).toMatchObject({ customerId, data: { feedbackId: row.id, customerId, rating: 5, decidedBy: marketing.subject } });

    const again = await h.run(marketing, APPROVE, { id: row.id });
    expect(again.errors?.[0]).toMatchObject({ message: `Testimonial ${row.id} was already approved: the decision is final`, extensions: { code: 'TEST-002', status: 'APPROVED' } });
    const reject = await h.run(admin, REJECT, { id: row.id, reason: 'changed our mind' });
    expect(reject.errors?.[0]?.extensions?.code).toBe('TEST-002');
    expect((await eventsOf(row.id)).map((e) => e.type)).toHaveLength(2);
  });

  it('rejects with a reason, finally', async () => {
    const row = await submitted(testimonial(randomUUID()));
    const missing = await h.run(admin, REJECT, { id: row.id, reason: '  ' });
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
    const rejected = await h.run(admin, REJECT, { id: row.id, reason: 'Mentions another passenger by name' });
    expect(rejected.data.rejectTestimonial).toMatchObject({ status: 'REJECTED', rejectionReason: 'Mentions another passenger by name', decidedBy: admin.subject });
    const events = await eventsOf(row.id);
    expect(events.at(-1)).toMatchObject({ type: 'cmp.interaction.TestimonialRejected', data: { feedbackId: row.id, reason: 'Mentions another passenger by name' } });
    const approve = await h.run(marketing, APPROVE, { id: row.id });
    expect(approve.errors?.[0]).toMatchObject({ message: `Testimonial ${row.id} was already rejected: the decision is final`, extensions: { code: 'TEST-002' } });
  });

  it('answers TEST-001 for an unknown id or feedback that is not a testimonial, and BAD_USER_INPUT for a malformed id', async () => {
    const unknown = randomUUID();
    const result = await h.run(marketing, APPROVE, { id: unknown });
    expect(result.errors?.[0]).toMatchObject({ message: `Testimonial ${unknown} was not found`, extensions: { code: 'TEST-001' } });
    const compliment = await submitted({ customerId: randomUUID(), kind: 'COMPLIMENT', content: 'Nice crew', authorName: 'Ann' });
    expect((await h.run(marketing, APPROVE, { id: compliment.id })).errors?.[0]?.extensions?.code).toBe('TEST-001');
    expect((await h.run(marketing, WITHDRAW, { id: compliment.id })).errors?.[0]?.extensions?.code).toBe('TEST-001');
    expect((await h.run(marketing, APPROVE, { id: 'abc' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('is for MarketingManager and Admin only: a SupportAgent or the customer may not decide', async () => {
    const customerId = randomUUID();
    const row = await submitted(testimonial(customerId));
    for (const caller of [agent, callerWith('CustomerManager'), callerWith('Customer', { customerId })]) {
      const result = await h.run(caller, APPROVE, { id: row.id });
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const [stored] = await h.handle.db.select().from(feedback).where(eq(feedback.id, row.id));
    expect(stored!.status).toBe('PENDING_APPROVAL');
  });

  it('lets exactly one of 20 concurrent approvals and rejections of one testimonial win', async () => {
    const row = await submitted(testimonial(randomUUID()));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? h.run(marketing, APPROVE, { id: row.id }) : h.run(admin, REJECT, { id: row.id, reason: `reason ${i}` }))),
    );
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'TEST-002')).toHaveLength(19);
    const decision = (winners[0]!.data.approveTestimonial ?? winners[0]!.data.rejectTestimonial) as { status: string };
    const [stored] = await h.handle.db.select().from(feedback).where(eq(feedback.id, row.id));
    expect(stored!.status).toBe(decision.status);
    const decisions = (await eventsOf(row.id)).filter((e) => e.type !== 'cmp.interaction.FeedbackSubmitted');
    expect(decisions).toHaveLength(1);
  });
});

describe('publicTestimonials and consent', () => {
  it('publishes only approved testimonials whose consent stands, with the filtered text and the display name only', async () => {
    const customerId = randomUUID();
    const published = await submitted(testimonial(customerId, { content: 'Damn good flight, the crew was wonderful.', authorName: 'Lucía G.' }));
    const withoutConsent = await submitted(testimonial(customerId, { consentToPublish: false }));
    const pending = await submitted(testimonial(customerId));
    const rejected = await submitted(testimonial(customerId));
    const later = await submitted(testimonial(customerId, { content: 'Excelente vuelo, gracias.', rating: 4, authorName: 'Jorge' }));
    for (const id of [published.id, withoutConsent.id, later.id]) expect((await h.run(marketing, APPROVE, { id })).errors).toBeUndefined();
    expect((await h.run(marketing, REJECT, { id: rejected.id, reason: 'off topic' })).errors).toBeUndefined();

    const read = await h.run(callerWith('Customer', { customerId: randomUUID() }), PUBLIC, { first: 50 });
    expect(read.errors).toBeUndefined();
    const mine = read.data.publicTestimonials.edges.map((e: any) => e.node).filter((n: any) => [published.id, withoutConsent.id, pending.id, rejected.id, later.id].includes(n.id));
    expect(mine).toEqual([
      { id: later.id, content: 'Excelente vuelo, gracias.', rating: 4, authorName: 'Jorge', publishedAt: expect.any(Date) },
      { id: published.id, content: '**** good flight, the crew was wonderful.', rating: 5, authorName: 'Lucía G.', publishedAt: expect.any(Date) },
    ]);

    // the customer withdraws consent: gone from the public list at once, and only once announced
    const withdrawn = await h.run(callerWith('Customer', { customerId }), WITHDRAW, { id: published.id });
    expect(withdrawn.errors).toBeUndefined();
    expect(withdrawn.data.withdrawTestimonialConsent).toMatchObject({ consentToPublish: false, status: 'APPROVED' });
    expect(withdrawn.data.withdrawTestimonialConsent.consentWithdrawnAt).toBeInstanceOf(Date);
    expect((await h.run(callerWith('Customer', { customerId }), WITHDRAW, { id: published.id })).errors).toBeUndefined();
    const consentEvents = (await eventsOf(published.id)).filter((e) => e.type === 'cmp.interaction.TestimonialConsentWithdrawn');
    expect(consentEvents).toHaveLength(1);
    const after = await h.run(agent, PUBLIC, { first: 50 });
    const ids = after.data.publicTestimonials.edges.map((e: any) => e.node.id);
    expect(ids).toContain(later.id);
    expect(ids).not.toContain(published.id);
  });

  it('pages newest approval first with cursors', async () => {
    const customerId = randomUUID();
    for (let i = 0; i < 3; i++) {
      const row = await submitted(testimonial(customerId, { authorName: `Author ${i}` }));
      await h.run(marketing, APPROVE, { id: row.id });
    }
    const first = await h.run(agent, PUBLIC, { first: 2 });
    expect(first.data.publicTestimonials.edges.map((e: any) => e.node.authorName)).toEqual(['Author 2', 'Author 1']);
    expect(first.data.publicTestimonials.pageInfo.hasNextPage).toBe(true);
    const next = await h.run(agent, PUBLIC, { first: 1, after: first.data.publicTestimonials.pageInfo.endCursor });
    expect(next.data.publicTestimonials.edges.map((e: any) => e.node.authorName)).toEqual(['Author 0']);
    expect((await h.run(agent, PUBLIC, { first: 51 })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await h.run(agent, PUBLIC, { after: 'nonsense' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('lets staff withdraw on the customer behalf, but not another customer', async () => {
    const customerId = randomUUID();
    const row = await submitted(testimonial(customerId));
    const stranger = await h.run(callerWith('Customer', { customerId: randomUUID() }), WITHDRAW, { id: row.id });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const staff = await h.run(agent, WITHDRAW, { id: row.id });
    expect(staff.data.withdrawTestimonialConsent.consentToPublish).toBe(false);
    // approval stays possible, but the testimonial is not published without consent
    await h.run(marketing, APPROVE, { id: row.id });
    const read = await h.run(agent, PUBLIC, { first: 50 });
    expect(read.data.publicTestimonials.edges.map((e: any) => e.node.id)).not.toContain(row.id);
  });
});

describe('Customer.feedback', () => {
  const LIST = customerEntities('feedback(first: $first, after: $after, kinds: $kinds) { edges { node { kind content } } pageInfo { hasNextPage endCursor } }').replace(
    'query Entities($representations: [_Any!]!)',
    'query Entities($representations: [_Any!]!, $first: Int, $after: String, $kinds: [FeedbackKind!])',
  );

  it('lists a customer feedback newest first by kind and page, for staff and the customer itself only', async () => {
    const customerId = randomUUID();
    await submitted({ customerId, kind: 'COMPLIMENT', content: 'first', authorName: 'A' });
    await submitted({ customerId, kind: 'SUGGESTION', content: 'second', authorName: 'A' });
    await submitted(testimonial(customerId, { content: 'third' }));
    const representations = [{ __typename: 'Customer', id: customerId }];
    const all = await h.run(callerWith('Customer', { customerId }), LIST, { representations, first: 2 });
    expect(all.errors).toBeUndefined();
    expect(all.data._entities[0].feedback.edges.map((e: any) => e.node.content)).toEqual(['third', 'second']);
    const rest = await h.run(marketing, LIST, { representations, first: 2, after: all.data._entities[0].feedback.pageInfo.endCursor });
    expect(rest.data._entities[0].feedback).toMatchObject({ edges: [{ node: { content: 'first' } }], pageInfo: { hasNextPage: false } });
    const kinds = await h.run(agent, LIST, { representations, kinds: ['COMPLIMENT', 'TESTIMONIAL'] });
    expect(kinds.data._entities[0].feedback.edges.map((e: any) => e.node.kind)).toEqual(['TESTIMONIAL', 'COMPLIMENT']);
    const stranger = await h.run(callerWith('Customer', { customerId: randomUUID() }), LIST, { representations });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('a merged customer', () => {
  it('brings its feedback and their analyses to the customer it was merged into', async () => {
    const source = randomUUID();
    const target = randomUUID();
    const row = await submitted(testimonial(source));
    const merge = interactionSubgraph.consumers!.find((c) => c.name === 'interaction.customer-merged')!;
    const event = {
      specversion: '1.0',
      id: randomUUID(),
      type: 'cmp.customer.CustomerMerged',
      source: 'cmp.customer',
      subject: `Customer/${source}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      customerid: source,
      data: { sourceCustomerId: source, targetCustomerId: target },
    } as const;
    await merge.handle(h.handle.db, event);
    await merge.handle(h.handle.db, event);
    const [moved] = await h.handle.db.select().from(feedback).where(eq(feedback.id, row.id));
    expect(moved!.customerId).toBe(target);
    const [analysis] = await h.handle.db.select().from(textAnalyses).where(eq(textAnalyses.subjectId, row.id));
    expect(analysis!.customerId).toBe(target);
  });
});
