import { BadUserInputError } from '@cmp/platform';

const TAG = /^[A-Za-z0-9_-]{1,50}$/;

/**
 * Tags are compared case-insensitively, so they are kept lower-cased; a tag given twice (in any case) is kept once.
 * Every tag must match `[A-Za-z0-9_-]{1,50}`; the error names the field and the offending tag.
 */
export function normaliseTags(field: string, raw: readonly string[]): string[] {
  const tags: string[] = [];
  raw.forEach((value, index) => {
    const tag = value.trim();
    if (!TAG.test(tag)) {
      throw new BadUserInputError(field, `tag ${index + 1} ("${tag.slice(0, 60)}") must be 1-50 letters, digits, "_" or "-"`, { index });
    }
    const lower = tag.toLowerCase();
    if (!tags.includes(lower)) tags.push(lower);
  });
  return tags;
}
