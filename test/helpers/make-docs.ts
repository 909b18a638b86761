/** Builds real PDF and DOCX files in-test with the writer libraries. */
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';

export async function makePdf(pages: string[][], title?: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  if (title) pdf.setTitle(title);
  pdf.setCreationDate(new Date('2024-03-05T10:00:00Z'));
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([612, 792]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 740 - i * 16, size: 11, font }));
  }
  return pdf.save();
}

export async function makeDocx(blocks: Array<{ heading?: string; text?: string }>): Promise<Uint8Array> {
  const children = blocks.map((b) =>
    b.heading
      ? new Paragraph({ text: b.heading, heading: HeadingLevel.HEADING_1 })
      : new Paragraph({ text: b.text ?? '' }),
  );
  return new Uint8Array(await Packer.toBuffer(new Document({ sections: [{ children }] })));
}
