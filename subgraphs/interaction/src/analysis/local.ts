import { createRequire } from 'node:module';
import { francAll } from 'franc-min';
import keywordExtractor from 'keyword-extractor';
import sentiment from 'multilang-sentiment';
import type { SentimentLabel, TextAnalysisProvider, TextAnalysisResult } from './types.ts';

/**
 * Local analysis, with no outside service:
 * - language: the hint when one is given (its primary subtag, `es-ES` -> `es`), else franc-min restricted to the
 *   languages below (to English and Spanish for texts under 120 characters, where trigrams mislead), else English
 *   (franc cannot tell for a text shorter than ten letters);
 * - sentiment: multilang-sentiment's AFINN dictionaries (-5..+5 a word; a negator such as "not", "don't", "no"
 *   flips the words up to five tokens after it), with the additions below. Its sum `s` gives the label: s >= 2 POSITIVE, s <= -2 NEGATIVE,
 *   otherwise NEUTRAL (one weakly weighted word, AFINN +-1, does not make a text positive or negative). The score
 *   is the confidence of that label: tanh(|s| / 4) for POSITIVE and NEGATIVE (s = 2 -> 0.462, s = 8 -> 0.964),
 *   1 - tanh(|s| / 4) for NEUTRAL (s = 0 -> 1), rounded to three decimals;
 * - key phrases: keyword-extractor with the language's stopwords, runs of words not broken by a stopword or
 *   punctuation kept together (at most four words), multi-word phrases first, single words already inside a
 *   phrase dropped, up to five.
 */
export const LOCAL_PROVIDER = 'LOCAL';

/** franc-min's ISO 639-3 codes for the languages both libraries can analyse, and their ISO 639-1 codes. */
const DETECTABLE: Record<string, string> = { eng: 'en', spa: 'es', fra: 'fr', deu: 'de', ita: 'it', por: 'pt', nld: 'nl' };
const SENTIMENT_LANGUAGES = new Set(['en', 'es', 'fr', 'de', 'it', 'pt', 'nl', 'ca', 'gl', 'da', 'sv', 'pl', 'ro', 'ru', 'tr']);
const KEYWORD_LANGUAGES = new Set(keywordExtractor.supported_language_codes);
const MAX_PHRASES = 5;
const MAX_PHRASE_WORDS = 4;
const NEUTRAL_BAND = 2;
const SHORT_TEXT = 120;

/**
 * Additions to the AFINN dictionaries, checked against real feedback sentences: the Spanish list is a translation
 * that holds mostly masculine singular forms ("malo" but not "mala", "pésimo" but not "pésima") and misreads a few
 * words ("caro", expensive, as dear). Weights on AFINN's -5..+5 scale.
 */
const LEXICON_ADDITIONS: Record<string, Record<string, number>> = {
  es: {
    mala: -3, malas: -3, malos: -3, buena: 3, buenas: 3, buenos: 3, pésima: -2, pésimas: -2, pésimos: -2,
    sucia: -2, perdieron: -2, perdí: -2, demora: -1, cancelaron: -1, maleducado: -2, maleducada: -2,
    encantador: 3, encantadora: 3, puntual: 2, limpio: 2, limpia: 2, caro: -1, cara: 0, enfadado: -3, enfadada: -3,
  },
  en: { overbooked: -2, understaffed: -2 },
};

export function detectLanguage(text: string, hint?: string | null): string {
  const fromHint = hint?.trim().toLowerCase().split(/[-_]/)[0];
  if (fromHint && /^[a-z]{2,3}$/.test(fromHint)) return DETECTABLE[fromHint] ?? fromHint;
  // Trigram statistics mislead on a sentence or two ("Excellent lounge in Madrid, lovely staff." reads as German):
  // below SHORT_TEXT characters only the airline's two languages are told apart; a hint covers the rest.
  const only = text.length < SHORT_TEXT ? ['eng', 'spa'] : Object.keys(DETECTABLE);
  const [best] = francAll(text, { only, minLength: 10 });
  return best && best[0] !== 'und' ? DETECTABLE[best[0]]! : 'en';
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** A token the library finds in the dictionary with weight 0, standing for every word it would not know. */
const UNKNOWN = '\u2400';
const require = createRequire(import.meta.url);
const tokenize = require('multilang-sentiment/lib/tokenize.js') as (text: string, lang: string) => { value: string; negate: boolean }[];
const lexicons = new Map<string, { words: Set<string>; byStem: Map<string, string> }>();

/**
 * The library looks every word it does not know up in its whole dictionary with Fuse.js (1-2 ms a word, so a
 * 60-word text took over 100 ms) and takes a match only when it has the same length, at least five letters, and differs
 * in the last letter alone ("buena" -> "bueno", "salió" -> "salir"). The same rule through an index costs nothing, so the words are
 * resolved here with the library's own tokenizer and negators and handed to it resolved; what stays unknown is
 * UNKNOWN, which keeps the negation distances the library counts in tokens.
 */
function wordsFor(text: string, dictionary: string): string[] {
  let lexicon = lexicons.get(dictionary);
  if (!lexicon) {
    const words = new Set([...Object.keys(require(`multilang-sentiment/build/output/build-${dictionary}.json`)), ...Object.keys(LEXICON_ADDITIONS[dictionary] ?? {})]);
    const byStem = new Map<string, string>();
    for (const word of words) if (!byStem.has(word.slice(0, -1))) byStem.set(word.slice(0, -1), word);
    lexicon = { words, byStem };
    lexicons.set(dictionary, lexicon);
  }
  const { words, byStem } = lexicon;
  return tokenize(text, dictionary).map(({ value, negate }) => {
    if (negate || words.has(value)) return value;
    // Fuse's threshold (0.2) lets one wrong letter through only from five letters on.
    const similar = value.length >= 5 ? byStem.get(value.slice(0, -1)) : undefined;
    return similar && similar.length === value.length ? similar : UNKNOWN;
  });
}

export function sentimentOf(text: string, language: string): { label: SentimentLabel; score: number; sum: number } {
  const dictionary = SENTIMENT_LANGUAGES.has(language) ? language : 'en';
  const sum = text.trim() ? sentiment('', dictionary, { words: { ...LEXICON_ADDITIONS[dictionary], [UNKNOWN]: 0 }, tokens: wordsFor(text, dictionary) }).score : 0;
  const strength = Math.tanh(Math.abs(sum) / 4);
  if (sum >= NEUTRAL_BAND) return { label: 'POSITIVE', score: round3(strength), sum };
  if (sum <= -NEUTRAL_BAND) return { label: 'NEGATIVE', score: round3(strength), sum };
  return { label: 'NEUTRAL', score: round3(1 - strength), sum };
}

export function keyPhrasesOf(text: string, language: string): string[] {
  // Punctuation ends a phrase: it becomes a lone "_" that the extractor drops, leaving a gap in the word positions.
  const prepared = text.replace(/[¡¿«»“”"()[\]{}…]/g, ' ').replace(/[.,;:!?]+(?=\s|$)|\s[-–—]+\s|\r?\n/g, ' _ ');
  const extracted = keywordExtractor.extract(prepared, {
    language: (KEYWORD_LANGUAGES.has(language) ? language : 'en') as 'en',
    remove_digits: true,
    return_changed_case: true,
    return_chained_words: true,
    remove_duplicates: false,
  });
  const counts = new Map<string, { count: number; first: number; words: number }>();
  extracted.forEach((raw, position) => {
    const words = raw.split(/\s+/).filter((w) => w.length > 1 && !/^\d+$/.test(w)).slice(0, MAX_PHRASE_WORDS);
    if (!words.length) return;
    const phrase = words.join(' ');
    const seen = counts.get(phrase);
    if (seen) seen.count++;
    else counts.set(phrase, { count: 1, first: position, words: words.length });
  });
  const ranked = [...counts.entries()].sort(
    ([, a], [, b]) => Number(b.words > 1) - Number(a.words > 1) || b.count - a.count || a.first - b.first,
  );
  const phrases: string[] = [];
  for (const [phrase, { words }] of ranked) {
    if (phrases.length === MAX_PHRASES) break;
    if (words === 1 && phrases.some((p) => p.split(' ').includes(phrase))) continue;
    phrases.push(phrase);
  }
  return phrases;
}

export function analyseTextLocally(text: string, languageHint?: string | null): TextAnalysisResult {
  const language = detectLanguage(text, languageHint);
  const { label, score } = sentimentOf(text, language);
  return { label, score, keyPhrases: keyPhrasesOf(text, language), language, provider: LOCAL_PROVIDER };
}

export const localTextAnalysis: TextAnalysisProvider = {
  name: LOCAL_PROVIDER,
  analyse: async (text, languageHint) => analyseTextLocally(text, languageHint),
};
