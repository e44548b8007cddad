import { sql, type SQL } from 'drizzle-orm';

/**
 * The accented letters of Spanish, Catalan, Portuguese, French and German names, and the plain letter search treats
 * them as. The database keeps the search text folded this way (a stored generated column), and a query is folded
 * the same way before it is compared, so "fernandez" finds Fernández with a plain LIKE served by the trigram index.
 */
export const SEARCH_FOLDS: Readonly<Record<string, string>> = { a: 'áàâäã', e: 'éèêë', i: 'íìîï', o: 'óòôöõ', u: 'úùûü', n: 'ñ', c: 'ç' };

const pairs = Object.entries(SEARCH_FOLDS).flatMap(([plain, accented]) => [...accented].flatMap((char) => [[char, plain], [char.toUpperCase(), plain]] as const));

/**
 * `translate(text, 'áàâ…ÁÀÂ…', 'aaa…aaa…')`. Upper-case accented letters are listed too, so the result does not
 * depend on the database's locale (with the C locale `lower()` changes only ASCII letters).
 */
export function foldedSql(text: SQL): SQL {
  const from = pairs.map(([char]) => char).join('');
  const to = pairs.map(([, plain]) => plain).join('');
  return sql`translate(${text}, ${sql.raw(`'${from}'`)}, ${sql.raw(`'${to}'`)})`;
}

const FOLD = new Map(pairs);

/** Lower-cased, accented letters folded to their plain letter ("Fernández" becomes "fernandez"), as the database does. */
export function foldForSearch(text: string): string {
  let folded = '';
  for (const char of text.toLowerCase()) folded += FOLD.get(char) ?? char;
  return folded;
}
