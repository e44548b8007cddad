declare module 'multilang-sentiment' {
  interface SentimentToken {
    value: string;
    negate: boolean;
  }
  interface SentimentResult {
    /** Sum of the AFINN weights of the words found, each flipped when a negator precedes it within five tokens. */
    score: number;
    positiveScore: number;
    negativeScore: number;
    comparative: number;
    category: 'positive' | 'neutral' | 'negative';
    tokens: SentimentToken[];
    words: string[];
    positive: string[];
    negative: string[];
  }
  function sentiment(phrase: string, lang?: string, inject?: { words?: Record<string, number>; tokens?: string[] }): SentimentResult;
  export default sentiment;
}
