import type { SENTIMENT_LABELS } from '../db/feedback.schema.ts';

export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

/**
 * What an analysis says about a text. `score` is the confidence of the label, from 0 to 1: for POSITIVE and
 * NEGATIVE how strongly the text leans that way, for NEUTRAL how close to no lean at all it is (see local.ts).
 */
export interface TextAnalysisResult {
  label: SentimentLabel;
  score: number;
  /** Up to five, multi-word phrases first, de-duplicated, lower case. */
  keyPhrases: string[];
  /** ISO 639-1 code, e.g. en or es. */
  language: string;
  /** Who answered: LOCAL, or EXTERNAL for the configured AI service. */
  provider: string;
}

/** Something that can analyse a text: the local libraries, or an outside AI service. */
export interface TextAnalysisProvider {
  readonly name: string;
  analyse(text: string, languageHint?: string | null): Promise<TextAnalysisResult>;
}
