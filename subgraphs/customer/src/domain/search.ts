import { BadUserInputError, type Database } from '@cmp/platform';
import { CUSTOMER_STATUSES, CUSTOMER_TYPES, SEGMENTS, type CustomerRow } from '../db/schema.ts';
import { countMatches, findCustomerPage } from '../db/search.repo.ts';
import { foldForSearch } from '../db/search-folding.ts';

export const SEARCH_PAGE_SIZE_DEFAULT = 20;
export const SEARCH_PAGE_SIZE_MAX = 100;
export const SEARCH_QUERY_MAX = 100;
/** Trigrams need three characters: a query needs one word that long to narrow a million customers through the index. */
export const SEARCH_WORD_MIN = 3;
export const SEARCH_WORDS_MAX = 10;
/**
 * Matches are counted exactly up to this many; beyond it the total says "at least" (`totalCountExact: false`).
 * Counting every one of 100,000 customers matching "garc" reads most of the table for a number nobody pages to
 * the end of; counting to the bound stops as soon as it is reached.
 */
export const SEARCH_COUNT_BOUND = 1000;

export const SORT_FIELDS = ['RELEVANCE', 'NAME', 'CUSTOMER_NUMBER', 'CREATED_AT', 'LIFETIME_VALUE', 'SEGMENT', 'STATUS'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortDirection = 'ASC' | 'DESC';

export interface SortKey {
  field: SortField;
  direction: SortDirection;
}

/** One word of the query, lower-cased, with the accents of the letters search treats alike removed. */
export interface SearchWord {
  text: string;
  /** Shorter than three characters: matches the start of a word only (there are no trigrams to look it up by). */
  wordStart: boolean;
}

export interface SearchCriteria {
  /** The trimmed query, lower-cased (for exact customer number and e-mail matches); null without a text filter. */
  exact: string | null;
  words: SearchWord[];
  /**
   * Set when the whole query is the beginning of a customer number (`CUS-0004`, `cus-000042`): the customers whose
   * number begins with it, upper-cased. Numbers are typed from the start, and a btree range answers this in a few
   * index pages where the trigram index reads hundreds.
   */
  numberPrefix: string | null;
  types: CustomerRow['type'][];
  segments: CustomerRow['segment'][];
  statuses: CustomerRow['status'][];
  page: number;
  pageSize: number;
  sort: SortKey[];
  /** The caller chose no sort: relevance (then name) while the matches are few enough to rank them all, else name. */
  defaultSort: boolean;
  /**
   * Set by `sortedFor` for a broad query in the default order: the customers whose name (family name first, or the
   * company name) begins with one of these words come first, then the other matches, each part by name. In order,
   * and none begins another, so their ranges of the name index follow each other.
   */
  namePrefixes: string[];
}

export interface SearchArgs {
  query?: string | null;
  type?: readonly string[] | null;
  segment?: readonly string[] | null;
  status?: readonly string[] | null;
  page?: number | null;
  pageSize?: number | null;
  sort?: readonly { field: string; direction?: string | null }[] | null;
}

export interface CustomerSearchPage {
  items: CustomerRow[];
  totalCount: number;
  totalCountExact: boolean;
  page: number;
  pageSize: number;
  totalPages: number;
}

function oneOf<T extends string>(field: string, values: readonly string[] | null | undefined, allowed: readonly T[]): T[] {
  const list = [...new Set(values ?? [])];
  for (const value of list) {
    if (!(allowed as readonly string[]).includes(value)) throw new BadUserInputError(field, `${value} is not one of ${allowed.join(', ')}`);
  }
  return list as T[];
}

const CUSTOMER_NUMBER_PREFIX = /^cus-\d{1,7}$/i;

function parseQuery(raw: string | null | undefined): Pick<SearchCriteria, 'exact' | 'words' | 'numberPrefix'> {
  const trimmed = (raw ?? '').trim();
  if (trimmed === '') return { exact: null, words: [], numberPrefix: null };
  if (trimmed.length > SEARCH_QUERY_MAX) throw new BadUserInputError('query', `must be at most ${SEARCH_QUERY_MAX} characters`);
  const words = [...new Set(trimmed.split(/\s+/).map(foldForSearch).filter((w) => w !== ''))];
  if (words.length > SEARCH_WORDS_MAX) throw new BadUserInputError('query', `must have at most ${SEARCH_WORDS_MAX} words`);
  if (!words.some((w) => w.length >= SEARCH_WORD_MIN)) {
    throw new BadUserInputError('query', `needs at least one word of ${SEARCH_WORD_MIN} or more characters`);
  }
  return {
    exact: trimmed.toLowerCase(),
    numberPrefix: CUSTOMER_NUMBER_PREFIX.test(trimmed) ? trimmed.toUpperCase() : null,
    words: words.map((text) => ({ text, wordStart: text.length < SEARCH_WORD_MIN })),
  };
}

function parseSort(sort: SearchArgs['sort'], hasQuery: boolean): SortKey[] {
  if (!sort || sort.length === 0) {
    return hasQuery
      ? [
          { field: 'RELEVANCE', direction: 'ASC' },
          { field: 'NAME', direction: 'ASC' },
        ]
      : [{ field: 'NAME', direction: 'ASC' }];
  }
  const keys: SortKey[] = [];
  for (const [i, key] of sort.entries()) {
    if (!(SORT_FIELDS as readonly string[]).includes(key.field)) throw new BadUserInputError(`sort[${i}].field`, `must be one of ${SORT_FIELDS.join(', ')}`);
    const direction = key.direction ?? 'ASC';
    if (direction !== 'ASC' && direction !== 'DESC') throw new BadUserInputError(`sort[${i}].direction`, 'must be ASC or DESC');
    if (keys.some((k) => k.field === key.field)) throw new BadUserInputError(`sort[${i}].field`, `${key.field} is already sorted on`);
    keys.push({ field: key.field as SortField, direction });
  }
  return keys;
}

/** Checks and normalises searchCustomers' arguments; every problem names its argument. */
export function searchCriteria(args: SearchArgs): SearchCriteria {
  const { exact, words, numberPrefix } = parseQuery(args.query);
  const pageSize = args.pageSize ?? SEARCH_PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > SEARCH_PAGE_SIZE_MAX) {
    throw new BadUserInputError('pageSize', `must be from 1 to ${SEARCH_PAGE_SIZE_MAX}`);
  }
  const page = args.page ?? 1;
  if (!Number.isInteger(page) || page < 1) throw new BadUserInputError('page', 'must be 1 or more');
  return {
    exact,
    words,
    numberPrefix,
    types: oneOf('type', args.type, CUSTOMER_TYPES),
    segments: oneOf('segment', args.segment, SEGMENTS),
    statuses: oneOf('status', args.status, CUSTOMER_STATUSES),
    page,
    pageSize,
    sort: parseSort(args.sort, words.length > 0),
    defaultSort: !args.sort?.length,
    namePrefixes: [],
  };
}

/**
 * The order a page is read in once the matches are counted. The default ranks by relevance what is within the bound
 * (ranking needs every match); a larger set puts the customers whose name begins with one of the query's words first,
 * which the name index answers without reading the rest, then the other matches, each part by name.
 */
export function sortedFor(criteria: SearchCriteria, counted: number): SearchCriteria {
  if (!criteria.defaultSort || counted <= SEARCH_COUNT_BOUND) return criteria;
  const words = criteria.words.filter((w) => !w.wordStart).map((w) => w.text).sort();
  const namePrefixes = words.filter((word, i) => !words.slice(0, i).some((before) => word.startsWith(before)));
  return { ...criteria, sort: [{ field: 'NAME', direction: 'ASC' }], namePrefixes };
}

/**
 * One page of live customers matching the criteria, with the number of matches: exact up to
 * SEARCH_COUNT_BOUND, a lower bound beyond it, in the order `sortedFor` gives.
 */
export async function searchCustomers(db: Database, args: SearchArgs): Promise<CustomerSearchPage> {
  const criteria = searchCriteria(args);
  const counted = await countMatches(db, criteria, SEARCH_COUNT_BOUND);
  const exact = counted <= SEARCH_COUNT_BOUND;
  const totalCount = Math.min(counted, SEARCH_COUNT_BOUND);
  const offset = (criteria.page - 1) * criteria.pageSize;
  const pastTheEnd = exact && counted <= offset;
  const items = pastTheEnd ? [] : await findCustomerPage(db, sortedFor(criteria, counted));
  return { items, totalCount, totalCountExact: exact, page: criteria.page, pageSize: criteria.pageSize, totalPages: Math.ceil(totalCount / criteria.pageSize) };
}
