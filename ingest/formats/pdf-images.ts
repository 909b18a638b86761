/**
 * The images a PDF page paints, as PNM files OCR can read — no canvas: pdf.js decodes each image XObject
 * (JPEG, JBIG2, CCITT, Flate; JPEG 2000 needs pdf.js's wasm decoder, which is not configured, so such images
 * are skipped) while building the page's operator list, and its pixels are written behind a PNM header
 * (Netpbm: P4 bitmap, P5 grey, P6 RGB).
 */
import { checkPixels } from './image.js';

/** pdf.js's decoded image (ImageKind: 1 = 1 bit per pixel, 2 = RGB, 3 = RGBA). */
interface DecodedImage {
  width: number;
  height: number;
  kind?: number;
  data?: Uint8Array | Uint8ClampedArray;
}

interface PageLike {
  getOperatorList(): Promise<{ fnArray: number[]; argsArray: unknown[][] }>;
  objs: { get(id: string, callback: (data: unknown) => void): void };
  commonObjs: { get(id: string, callback: (data: unknown) => void): void };
}

/** Images smaller than this on either side are rules, bullets and logos, not scanned text. */
const MIN_SIDE = 64;
/** Images read per page: a scan is one or a few strips. */
const MAX_PER_PAGE = 16;

function toPnm({ width, height, kind, data }: DecodedImage): Uint8Array | undefined {
  if (!data) return undefined;
  const header = (magic: string) =>
    Buffer.from(`${magic}\n${width} ${height}\n${magic === 'P4' ? '' : '255\n'}`, 'latin1');
  if (kind === 1) {
    // pdf.js: a set bit is white; PBM: a set bit is black. Rows are padded to whole bytes in both.
    const bits = Buffer.alloc(((width + 7) >> 3) * height);
    for (let i = 0; i < bits.length; i++) bits[i] = ~(data[i] ?? 0) & 0xff;
    return Buffer.concat([header('P4'), bits]);
  }
  if (kind === 2) return Buffer.concat([header('P6'), Buffer.from(data.buffer, data.byteOffset, width * height * 3)]);
  if (kind === 3) {
    const rgb = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const alpha = (data[p * 4 + 3] ?? 255) / 255; // over white paper
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round((data[p * 4 + c] ?? 0) * alpha + 255 * (1 - alpha));
    }
    return Buffer.concat([header('P6'), rgb]);
  }
  return undefined;
}

/** The page's images large enough to hold text, as PNM bytes, in painting order. */
export async function pageImages(
  page: PageLike,
  ops: { paintImageXObject: number; paintInlineImageXObject: number },
): Promise<Uint8Array[]> {
  const { fnArray, argsArray } = await page.getOperatorList();
  const out: Uint8Array[] = [];
  for (let i = 0; i < fnArray.length && out.length < MAX_PER_PAGE; i++) {
    let image: DecodedImage | undefined;
    const arg = argsArray[i]?.[0];
    if (fnArray[i] === ops.paintImageXObject && typeof arg === 'string') {
      const store = arg.startsWith('g_') ? page.commonObjs : page.objs;
      image = await new Promise<DecodedImage | undefined>((resolve) =>
        store.get(arg, (d) => resolve(d as DecodedImage)),
      );
    } else if (fnArray[i] === ops.paintInlineImageXObject) image = arg as DecodedImage;
    if (!image || image.width < MIN_SIDE || image.height < MIN_SIDE) continue;
    checkPixels(image.width, image.height);
    const pnm = toPnm(image);
    if (pnm) out.push(pnm);
  }
  return out;
}
