import { describe, expect, it } from 'vitest';
import { neutraliseFormula, readSheet, writeSheet } from '../src/transfer/codecs.ts';

describe('CSV export cells', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","click")', `'=HYPERLINK("http://evil.example","click")`],
    ['@SUM(A1:A2)', `'@SUM(A1:A2)`],
    ['+cmd|calc', `'+cmd|calc`],
    ['-2+3+cmd|calc', `'-2+3+cmd|calc`],
    ['\tTAB', `'\tTAB`],
    ['+34912345678', '+34912345678'],
    ['-12.50', '-12.50'],
    ['Lucía', 'Lucía'],
  ])('neutralises %j as %j', (input, output) => {
    expect(neutraliseFormula(input)).toBe(output);
  });

  it('writes a formula-looking name with the apostrophe, and a phone untouched', async () => {
    const file = await writeSheet('CSV', ['FIRST_NAME', 'PHONE'], [['=1+1', '+34912345678']]);
    expect(file.toString('utf8')).toContain(`'=1+1,+34912345678`);
    const sheet = await readSheet('CSV', file);
    expect(Object.values(sheet.rows[0]!)).toEqual([`'=1+1`, '+34912345678']);
  });
});
