import type { SmsEncoding } from '../db/delivery.schema.ts';

// GSM 03.38 default alphabet (one septet each) and its extension table (escape + character: two septets).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

export interface SmsSegmentation {
  encoding: SmsEncoding;
  /** Parts the message is sent in (and billed as). */
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
}

/** Capacity of one message, and of each part once a concatenation header (UDH) takes its six bytes. */
const CAPACITY: Record<SmsEncoding, { single: number; part: number }> = {
  GSM_7: { single: 160, part: 153 },
  UCS_2: { single: 70, part: 67 },
};

function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM_BASIC.has(ch) && !GSM_EXTENSION.has(ch)) return false;
  return true;
}

/**
 * How a text goes over SMS: GSM-7 when every character is in the default alphabet or its extension (which costs
 * two septets), otherwise UCS-2. A long text is split into parts filled greedily, and a part never splits an
 * escape sequence (GSM-7) or a surrogate pair (UCS-2), as handsets and providers split them.
 */
export function segmentSms(text: string): SmsSegmentation {
  const encoding: SmsEncoding = isGsm7(text) ? 'GSM_7' : 'UCS_2';
  const sizes: number[] = [];
  for (const ch of text) sizes.push(encoding === 'GSM_7' ? (GSM_EXTENSION.has(ch) ? 2 : 1) : ch.length);
  const units = sizes.reduce((a, b) => a + b, 0);
  const { single, part } = CAPACITY[encoding];
  if (units <= single) return { encoding, segments: units === 0 ? 0 : 1, units };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > part) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { encoding, segments, units };
}
