import { resultRows, type Executor } from '@cmp/platform';
import { and, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { SearchCriteria, SearchWord, SortDirection, SortKey } from '../domain/search.ts';
import { CUSTOMER_STATUSES, SEGMENTS, customers, type CustomerRow } from './schema.ts';

/** `%`, `_` and the escape character itself match literally in LIKE. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** ASCII punctuation escaped: every regular expression operator is ASCII punctuation, so input only ever matches text. */
function escapeRegex(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/**
 * Words of three characters or more are found through the trigram index on `search_text` (a plain LIKE: the column
 * and the word are both folded, so no per-row work beyond comparing); shorter ones only narrow those results down,
 * as the start of a word, in a form the planner cannot send to the index (it has no trigrams to look them up by).
 */
function wordCondition(word: SearchWord): SQL {
  const text = escapeLike(word.text);
  return word.wordStart ? sql`(' ' || ${customers.searchText}) like ${`% ${text}%`}` : sql`${customers.searchText} like ${`%${text}%`}`;
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
  const phrase = `(^| )${criteria.words.map((w) => escapeRegex(w.text)).join(' +')}`;
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

/** How many live customers match, counting no further than `bound + 1` (so the count stops early on broad queries). */
export function countQuery(criteria: SearchCriteria, bound: number): SQL {
  return sql`select count(*)::int as n from (select 1 from ${customers} where ${conditions(criteria)} limit ${bound + 1}) matches`;
}

export async function countMatches(db: Executor, criteria: SearchCriteria, bound: number): Promise<number> {
  const [row] = resultRows<{ n: number | string }>(await db.execute(countQuery(criteria, bound)));
  return Number(row?.n ?? 0);
}

/** A part of the matches and a window of it: `offset` rows skipped, at most `limit` returned. */
export interface PageWindow {
  where?: SQL;
  offset: number;
  limit: number;
}

/**
 * Live customers whose name key (family name then given name, or the company name) begins with the prefix: a range of
 * the name index, with LIKE making it exact whatever the database's collation.
 */
export function nameBeginsWith(prefix: string): SQL {
  return sql`(${customers.sortName} >= ${prefix} and ${customers.sortName} < ${`${prefix}\u{10FFFF}`} and ${customers.sortName} like ${`${escapeLike(prefix)}%`})`;
}

/**
 * A window of the matches in order. The planner picks per query: a broad query walks the name index (which carries
 * the search text and the filter columns, so no table row is read until the page is known) and stops after
 * `offset + limit` matches; a narrow one finds its few matches through the trigram index and sorts them.
 */
export function pageQuery(criteria: SearchCriteria, window: PageWindow = { offset: (criteria.page - 1) * criteria.pageSize, limit: criteria.pageSize }): SQL {
  const order = ordering(criteria).map((o) => sql`${o.expression} ${dir(o.direction)}`);
  const where = window.where ? and(conditions(criteria), window.where)! : conditions(criteria);
  return sql`select ${customers.id} as id from ${customers} where ${where}
             order by ${sql.join(order, sql`, `)} limit ${window.limit} offset ${window.offset}`;
}

async function pageIds(db: Executor, criteria: SearchCriteria, window: PageWindow): Promise<string[]> {
  return resultRows<{ id: string }>(await db.execute(pageQuery(criteria, window))).map((r) => r.id);
}

/**
 * The ids of the requested page. With name prefixes (a broad query in the default order) the customers whose name
 * begins with one of them come first and the other matches after them, each part in name order: the first part is
 * read as one range of the name index per prefix (the prefixes are in order and none begins another, so the ranges
 * follow each other), and the rest only for a page that reaches past it. Walking the whole name index for
 * "patricia smith" would read every name before the S's before it found a Smith.
 */
export async function findPageIds(db: Executor, criteria: SearchCriteria): Promise<string[]> {
  const offset = (criteria.page - 1) * criteria.pageSize;
  if (criteria.namePrefixes.length === 0) return pageIds(db, criteria, { offset, limit: criteria.pageSize });
  const wanted = offset + criteria.pageSize;
  const leading: string[] = [];
  for (const prefix of criteria.namePrefixes) {
    if (leading.length >= wanted) break;
    leading.push(...(await pageIds(db, criteria, { where: nameBeginsWith(prefix), offset: 0, limit: wanted - leading.length })));
  }
  const ids = leading.slice(offset, wanted);
  if (ids.length === criteria.pageSize) return ids;
  const rest = await pageIds(db, criteria, {
    where: sql`not (${sql.join(criteria.namePrefixes.map(nameBeginsWith), sql` or `)})`,
    offset: Math.max(0, offset - leading.length),
    limit: criteria.pageSize - ids.length,
  });
  return [...ids, ...rest];
}

export async function findCustomerPage(db: Executor, criteria: SearchCriteria): Promise<CustomerRow[]> {
  const ids = await findPageIds(db, criteria);
  if (ids.length === 0) return [];
  // A customer deactivated since the first statement is left out rather than shown.
  const rows = await db.select().from(customers).where(and(inArray(customers.id, ids), isNull(customers.deactivatedAt)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
