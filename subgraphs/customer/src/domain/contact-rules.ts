import { BadUserInputError, isTimeZone } from '@cmp/platform';
import disposableDomains from 'disposable-email-domains' with { type: 'json' };
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { postcodeValidator, postcodeValidatorExistsForCountry } from 'postcode-validator';
import { z } from 'zod';

const DISPOSABLE = new Set<string>(disposableDomains as string[]);
const emailShape = z.string().email();

/** RFC 5322 addresses (as browsers and zod accept them), at most 255 characters, no disposable domains. */
export function normaliseEmail(field: string, raw: string): string {
  const value = raw.trim();
  if (value.length === 0) throw new BadUserInputError(field, 'is required');
  if (value.length > 255) throw new BadUserInputError(field, 'must be at most 255 characters');
  if (!emailShape.safeParse(value).success) throw new BadUserInputError(field, 'is not a valid e-mail address');
  const domain = value.slice(value.lastIndexOf('@') + 1).toLowerCase();
  if (DISPOSABLE.has(domain)) throw new BadUserInputError(field, `disposable e-mail domains (${domain}) are not accepted`);
  return value;
}

/**
 * Phones are stored in E.164. Numbers must carry their country code: `555-1234` and `(555) 123-4567` are
 * refused, `+44 20 7946 0958` is accepted.
 */
export function normalisePhone(field: string, raw: string): string {
  const value = raw.trim();
  const phone = parsePhoneNumberFromString(value);
  if (!value.startsWith('+') || !phone) {
    throw new BadUserInputError(field, 'must be an international number with its country code, e.g. +44 20 7946 0958');
  }
  if (!phone.isValid()) throw new BadUserInputError(field, 'is not a valid phone number for its country');
  const e164 = phone.number;
  const digits = e164.length - 1;
  if (digits < 7 || digits > 15) throw new BadUserInputError(field, 'must have 7 to 15 digits');
  return e164;
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** ISO 3166-1 alpha-2 country codes, upper-cased. */
export function normaliseCountry(field: string, raw: string): string {
  const code = raw.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || !regionNames.of(code)) {
    throw new BadUserInputError(field, 'must be an ISO 3166-1 alpha-2 country code such as ES or GB');
  }
  return code;
}

/** BCP 47 language tags as clients send them (es, en-GB, zh-Hant-TW). */
export function normaliseLanguage(field: string, raw: string): string {
  const tag = raw.trim();
  try {
    if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag)) return Intl.getCanonicalLocales(tag)[0]!;
  } catch {
    // not a well-formed tag: reported below
  }
  throw new BadUserInputError(field, 'must be a BCP 47 language tag such as es or en-GB');
}

export function normaliseTimeZone(field: string, raw: string): string {
  const zone = raw.trim();
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone) || !isTimeZone(zone)) {
    throw new BadUserInputError(field, 'must be an IANA time zone such as Europe/Madrid');
  }
  return zone;
}

export function normaliseWebsite(field: string, raw: string): string {
  const value = raw.trim();
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname.includes('.')) {
    throw new BadUserInputError(field, 'must be an http or https address such as https://www.iberia.com');
  }
  if (value.length > 255) throw new BadUserInputError(field, 'must be at most 255 characters');
  return value;
}

export interface PostalAddress {
  zipCode: string;
  country: string;
}

/**
 * Address problems that never block a save (DOMAIN.md: "address problems warn"): the postal code does not fit
 * the country's format. Countries without a known format are not judged.
 */
export function addressWarnings(field: string, address: PostalAddress | null): { field: string; message: string }[] {
  if (!address || !postcodeValidatorExistsForCountry(address.country)) return [];
  if (postcodeValidator(address.zipCode, address.country)) return [];
  return [
    {
      field: `${field}.zipCode`,
      message: `"${address.zipCode}" does not look like a postal code of ${regionNames.of(address.country) ?? address.country}`,
    },
  ];
}
