import { CensorType, Profanity } from '@2toad/profanity';

/** English and Spanish word lists, whole words only ("Scunthorpe" stays), Unicode-aware boundaries for accents. */
const filter = new Profanity({ languages: ['en', 'es'], wholeWord: true, grawlix: '****', unicodeWordBoundaries: true });

/** The text with each profane word masked as `****`, and whether anything was masked. */
export function maskProfanity(text: string): { text: string; filtered: boolean } {
  const masked = filter.censor(text, CensorType.Word);
  return { text: masked, filtered: masked !== text };
}

export function containsProfanity(text: string): boolean {
  return filter.exists(text);
}
