/** GTIN-8/12/13/14 barcodes (EAN/UPC), validated by their mod-10 check digit. */
const GTIN_LENGTHS = new Set([8, 12, 13, 14]);

export function gtinCheckDigit(payload: string): number {
  // Weights alternate 3,1,3,… starting from the digit next to the check digit.
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    const digit = payload.charCodeAt(payload.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidGtin(code: string): boolean {
  if (!/^\d+$/.test(code) || !GTIN_LENGTHS.has(code.length)) return false;
  return gtinCheckDigit(code.slice(0, -1)) === Number(code.at(-1));
}

/** GTINs of different lengths name the same item when zero-padded to 14 digits. */
export function normalizeGtin(code: string): string {
  return code.padStart(14, '0');
}
