import QRCode from 'qrcode';

/** Error correction M: survives a scuffed phone screen or a creased print-out; the code stays at version 6-7. */
const OPTIONS = { errorCorrectionLevel: 'M' as const, margin: 4 };

export function qrSvg(payload: string): Promise<string> {
  return QRCode.toString(payload, { ...OPTIONS, type: 'svg' });
}

export async function qrPngBase64(payload: string): Promise<string> {
  return (await QRCode.toBuffer(payload, { ...OPTIONS, type: 'png', scale: 6 })).toString('base64');
}

/** The QR version (size) the payload needs. */
export function qrVersion(payload: string): number {
  return QRCode.create(payload, { errorCorrectionLevel: OPTIONS.errorCorrectionLevel }).version;
}
