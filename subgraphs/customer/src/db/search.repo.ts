import { resultRows, type Executor } from '@cmp/platform';
import { and, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { accentedForms, type SearchCriteria, type SearchWord, type SortDirection, type SortKey } from '../domain/search.ts';
import { CUSTOMER_STATUSES, SEGMENTS, customers, type CustomerRow } from './schema.ts';

/** `%`, `_` and the escape character itself match literally in LIKE. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A regular expression matching the word literally, except that in names a plain letter also matches its accented
 * forms (`fernandez` becomes `f[eéèêë]r[nñ][aáàâäã][nñ]d[eéèêë]z`). ASCII punctuation is escaped; every regular
 * expression operator is ASCII punctuation, so user input can only ever match text.
 */
export function wordRegex(word: Pick<SearchWord, 'text' | 'literal'>): string {
  let regex = '';
  for (const char of word.text) {
    const accented = word.literal ? '' : accentedForms(char);
    if (accented) regex += `[${char}${accented}]`;
    else if (/[!-/:-@[-`{-~]/.test(char)) regex += `\\${char}`;
    else regex += char;
  }
  return regex;
}

/**
 * Words of three characters or more are found through the trigram index on `search_text` (LIKE for numbers and
 * e-mails, a regular expression for names; pg_trgm serves both); shorter ones only narrow those results down, as
 * the start of a word, in a form the planner cannot send to the index (it has no trigrams to look them up by).
 */
function wordCondition(word: SearchWord): SQL {
  if (word.wordStart) return sql`(' ' || ${customers.searchText}) ~ ${` ${wordRegex(word)}`}`;
  return word.literal ? sql`${customers.searchText} like ${`%${escapeLike(word.text)}%`}` : sql`${customers.searchText} ~ ${wordRegex(word)}`;
}

function conditions(criteria: SearchCriteria): SQL {
  const list: SQL[] = [sql`${customers.deactivatedAt} is null`];
  if (criteria.numberPrefix) {
    // Numbers are `CUS-` and digits, and ':' follows '9': the range holds exactly the numbers beginning with the prefix.
    list.push(sql`${customers.customerNumber} >= ${criteria.numberPrefix} and ${customers.customerNumber} < ${`${criteria.numberPrefix}:`}`);
  } else {
    list.push(...criteria.words.map(wordCondition));
  }
  if (criteria.types.length) list.push(inArray(customers.type, criteria.types));
  if (criteria.segments.length) list.push(inArray(customers.segment, criteria.segments));
  if (criteria.statuses.length) list.push(inArray(customers.status, criteria.statuses));
  return and(...list)!;
}

/** Enums sort in their declared order (STANDARD before PREMIUM before VIP), not alphabetically. */
const declaredOrder = (column: AnyPgColumn, values: readonly string[]) =>
  sql`case ${column} ${sql.join(values.map((v, i) => sql`when ${sql.raw(`'${v}'`)} then ${sql.raw(String(i))}`), sql` `)} end`;

/**
 * Relevance as a rank, lower first (so ASC, the default, puts the best matches first): 0 for the exact customer
 * number or e-mail, 1 when the query's words in order start a word (a family name, given name, e-mail or number
 * beginning with them), 2 for any other match. Cheap on purpose: it is computed for every match before the page
 * is cut, and trigram similarity over tens of thousands of matches would cost more than finding them.
 */
function relevance(criteria: SearchCriteria): SQL[] {
  if (criteria.exact === null) return [];
  const phrase = `(^| )${criteria.words.map(wordRegex).join(' +')}`;
  return [
    sql`case when lower(${customers.customerNumber}) = ${criteria.exact} or lower(${customers.primaryEmail}) = ${criteria.exact} then 0
             when ${customers.searchText} ~ ${phrase} then 1 else 2 end`,
  ];
}

function keyExpressions(key: SortKey, criteria: SearchCriteria): SQL[] {
  switch (key.field) {
    case 'RELEVANCE':
      return relevance(criteria);
    case 'NAME':
      return [sql`${customers.sortName}`];
    case 'CUSTOMER_NUMBER':
      // CUS-999999 comes before CUS-1000000: shorter numbers first, then by digits.
      return [sql`length(${customers.customerNumber})`, sql`${customers.customerNumber}`];
    case 'CREATED_AT':
      return [sql`${customers.createdAt}`];
    case 'LIFETIME_VALUE':
      return [sql`${customers.lifetimeValueMinor}`];
    case 'SEGMENT':
      return [declaredOrder(customers.segment, SEGMENTS)];
    case 'STATUS':
      return [declaredOrder(customers.status, CUSTOMER_STATUSES)];
  }
}

const dir = (direction: SortDirection) => sql.raw(direction === 'DESC' ? 'desc' : 'asc');

/** The sort keys in order, then the id (in the last key's direction, so a name index serves both ways). */
function ordering(criteria: SearchCriteria): { expression: SQL; direction: SortDirection }[] {
  const keys = criteria.sort.flatMap((key) => keyExpressions(key, criteria).map((expression) => ({ expression, direction: key.direction })));
  return [...keys, { expression: sql`${customers.id}`, direction: criteria.sort.at(-1)?.direction ?? 'ASC' }];
}

/**
 * One statement answering the exact count and the ids of the requested page.
 *
 * With a text query the matches are found once (GIN trigram index, then the heap to recheck) into a CTE holding
 * only the id and the sort keys, which both the count and the page read: the expensive part, fetching and
 * rechecking every match, happens once. Without one, count and page are separate subqueries so that each can use
 * its own index: the count an index-only scan of a filter's index, the page an ordered index such as
 * (sort_name, id) stopping after `offset + limit` rows.
 */
export function customerPageQuery(criteria: SearchCriteria): SQL {
  const where = conditions(criteria);
  const order = ordering(criteria);
  const offset = (criteria.page - 1) * criteria.pageSize;
  if (criteria.words.length > 0) {
    const keys = order.map((o, i) => sql`${o.expression} as ${sql.raw(`k${i}`)}`);
    const byKeys = order.map((o, i) => sql`${sql.raw(`k${i}`)} ${dir(o.direction)}`);
    return sql`
      with matches as materialized (select ${customers.id}, ${sql.join(keys, sql`, `)} from ${customers} where ${where})
      select (select count(*) from matches)::int as total,
             array_to_string(array(select id from matches order by ${sql.join(byKeys, sql`, `)}
                                   limit ${criteria.pageSize} offset ${offset}), ',') as ids`;
  }
  const byExpressions = order.map((o) => sql`${o.expression} ${dir(o.direction)}`);
  return sql`
    select (select count(*) from ${customers} where ${where})::int as total,
           array_to_string(array(select ${customers.id} from ${customers} where ${where}
                                 order by ${sql.join(byExpressions, sql`, `)}
                                 limit ${criteria.pageSize} offset ${offset}), ',') as ids`;
}

/** The exact number of live customers matching, and the requested page of them in order. */
export async function findCustomerPage(db: Executor, criteria: SearchCriteria): Promise<{ totalCount: number; items: CustomerRow[] }> {
  const [row] = resultRows<{ total: number | string; ids: string | null }>(await db.execute(customerPageQuery(criteria)));
  const ids = row?.ids ? row.ids.split(',') : [];
  if (ids.length === 0) return { totalCount: Number(row?.total ?? 0), items: [] };
  // A customer deactivated since the first statement is left out rather than shown.
  const rows = await db.select().from(customers).where(and(inArray(customers.id, ids), isNull(customers.deactivatedAt)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return { totalCount: Number(row!.total), items: ids.flatMap((id) => byId.get(id) ?? []) };
}
