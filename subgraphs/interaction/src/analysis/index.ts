import { type Executor, type Logger } from '@cmp/platform';
import { findAnalysisBySubject, insertAnalysis, markInsightsStale } from '../db/analysis.repo.ts';
import type { TextAnalysisRow } from '../db/feedback.schema.ts';
import { ExternalTextAnalysis, FallbackTextAnalysis, type ExternalTextAnalysisOptions } from './external.ts';
import { localTextAnalysis } from './local.ts';
import type { TextAnalysisProvider, TextAnalysisResult } from './types.ts';

export type { SentimentLabel, TextAnalysisProvider, TextAnalysisResult } from './types.ts';

/** What the analysed texts are: `Interaction`, `Feedback`, `Case`, or another area's entity name. */
export type AnalysedSubject = string;

const MAX_ANALYSED_CHARS = 20_000;

let provider: TextAnalysisProvider = localTextAnalysis;

/**
 * The process's one provider (its breaker state is shared by every request): the external service with the local
 * analysis as its fallback when one is configured, else the local analysis alone.
 */
export function configureTextAnalysis(options: (Omit<ExternalTextAnalysisOptions, 'timeoutMs'> & { timeoutMs: number }) | null, logger?: Logger): TextAnalysisProvider {
  provider = options
    ? new FallbackTextAnalysis(
        new ExternalTextAnalysis({ maxAttempts: 2, breakAfter: 3, halfOpenAfterMs: 30_000, initialBackoffMs: 50, maxBackoffMs: 500, ...options }),
        localTextAnalysis,
        logger,
      )
    : localTextAnalysis;
  return provider;
}

export function textAnalysisProvider(): TextAnalysisProvider {
  return provider;
}

/** Sentiment, score, key phrases and language of a text, from the configured provider. */
export function analyseText(text: string, languageHint?: string | null): Promise<TextAnalysisResult> {
  return provider.analyse(text, languageHint);
}

export interface TextToAnalyse {
  subjectType: AnalysedSubject;
  subjectId: string;
  customerId: string;
  text: string;
  /** A language tag the text is known to be in (e.g. the case's language); detected when absent. */
  language?: string | null;
}

/**
 * Analyses a free text and stores the result for its subject inside the caller's transaction, and marks the
 * customer's insights (which count negative analyses) for recounting on their next read. One analysis per subject:
 * a subject already analysed (an event delivered again) keeps its first analysis and costs no second call to the
 * provider. It calls the provider where it runs: writers holding locks analyse first (`analyseForStorage`) and
 * store inside their transaction (`storeTextAnalysis`).
 */
export async function recordTextAnalysis(tx: Executor, input: TextToAnalyse, now = new Date()): Promise<TextAnalysisRow> {
  const existing = await findAnalysisBySubject(tx, input.subjectType, input.subjectId);
  if (existing) return existing;
  return storeTextAnalysis(tx, input, await analyseForStorage(input.text, input.language), now);
}

/** The analysis of a text about to be stored, for writers that analyse before opening their transaction. */
export function analyseForStorage(text: string, language?: string | null): Promise<TextAnalysisResult> {
  // Every text analysed here is bounded by its own field's rule; the cap only guards the provider.
  return provider.analyse(text.slice(0, MAX_ANALYSED_CHARS), language);
}

/**
 * Stores an analysis made beforehand (no call to a provider inside the caller's transaction) and marks the
 * customer's insights stale; a subject analysed already keeps its first analysis.
 */
export async function storeTextAnalysis(tx: Executor, input: TextToAnalyse, result: TextAnalysisResult, now = new Date()): Promise<TextAnalysisRow> {
  const stored =
    (await insertAnalysis(tx, { ...input, ...result, analysedAt: now })) ?? (await findAnalysisBySubject(tx, input.subjectType, input.subjectId))!;
  await markInsightsStale(tx, input.customerId);
  return stored;
}
