import { OutsideSystemError, Resilience, failureReason, type Logger, type ResilienceOptions } from '@cmp/platform';
import { z } from 'zod';
import { SENTIMENT_LABELS } from '../db/feedback.schema.ts';
import { analyseTextLocally } from './local.ts';
import type { TextAnalysisProvider, TextAnalysisResult } from './types.ts';

export const EXTERNAL_PROVIDER = 'EXTERNAL';

export interface ExternalTextAnalysisOptions extends ResilienceOptions {
  url: string;
  token?: string | null;
}

const answer = z.object({
  label: z.enum(SENTIMENT_LABELS),
  score: z.number().min(0).max(1),
  keyPhrases: z.array(z.string().min(1).max(200)).max(50),
  language: z.string().regex(/^[a-z]{2,3}$/).optional(),
});

/**
 * An AI text-analysis service over HTTP: `POST <url>` with `{ text, language }` (language null when unknown) and
 * `authorization: Bearer <token>` when a token is set; it answers `{ label, score, keyPhrases, language? }`. Each
 * attempt is bounded by the timeout, failures are retried with backoff, and a breaker stops calling a failing
 * service for a while.
 */
export class ExternalTextAnalysis implements TextAnalysisProvider {
  readonly name = EXTERNAL_PROVIDER;
  private readonly resilience: Resilience;

  constructor(private readonly options: ExternalTextAnalysisOptions) {
    this.resilience = new Resilience(options);
  }

  get circuit() {
    return this.resilience.circuit;
  }

  analyse(text: string, languageHint?: string | null): Promise<TextAnalysisResult> {
    return this.resilience.execute(async (signal) => {
      const response = await fetch(this.options.url, {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: JSON.stringify({ text, language: languageHint ?? null }),
      });
      if (!response.ok) throw new OutsideSystemError(`text analysis service answered HTTP ${response.status}`);
      const parsed = answer.safeParse(await response.json().catch(() => null));
      if (!parsed.success) throw new OutsideSystemError('text analysis service answered with an unexpected body');
      const { label, score, keyPhrases, language } = parsed.data;
      return {
        label,
        score: Math.round(score * 1000) / 1000,
        keyPhrases: [...new Set(keyPhrases.map((p) => p.trim().toLowerCase()))].slice(0, 5),
        language: language ?? analyseTextLocally(text, languageHint).language,
        provider: EXTERNAL_PROVIDER,
      };
    });
  }
}

/**
 * The external service first and the local analysis whenever it cannot answer (down, slow, breaker open, a
 * malformed answer): an analysis is always recorded, and `provider` says which one it is.
 */
export class FallbackTextAnalysis implements TextAnalysisProvider {
  readonly name: string;

  constructor(
    private readonly primary: TextAnalysisProvider,
    private readonly fallback: TextAnalysisProvider,
    private readonly logger?: Logger,
  ) {
    this.name = `${primary.name}+${fallback.name}`;
  }

  async analyse(text: string, languageHint?: string | null): Promise<TextAnalysisResult> {
    try {
      return await this.primary.analyse(text, languageHint);
    } catch (error) {
      this.logger?.warn({ reason: failureReason(error), provider: this.primary.name }, 'text analysis fell back to the local analysis');
      return this.fallback.analyse(text, languageHint);
    }
  }
}
