/**
 * OFX 1.x (SGML, leaf tags left open) and 2.x (XML) bank, card and investment
 * statements, QFX included. SGML OFX is not XML, so a small tolerant tree
 * reader (below) stands in for an XML parser; the mapping to text follows it.
 */
import type { Section } from '../../schemas/document.js';
import { decodeText, isoDate } from '../decode.js';
import { ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';

interface OfxNode {
  tag: string;
  value?: string;
  children: OfxNode[];
}

/** A start or end tag, tried only at a `<` (sticky): it can scan no further than the next `<`. */
const TAG = /<(\/?)([A-Za-z0-9_.]+)\s*>/y;
const CDATA_OPEN = '<![CDATA[';
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const unentity = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_, e: string) => ENTITIES[e] ?? '');

type Token = { text: string } | { cdata: string } | { tag: string; close: boolean };

/**
 * The tokens from `start` on: text runs (up to the next `<`), CDATA sections and tags; a `<` that starts
 * neither is dropped. Linear: one alternation `<!\[CDATA\[([\s\S]*?)\]\]>|…` searched from every unterminated
 * `<![CDATA[` to the end of the input (quadratic); here, once a search finds no `]]>`, none is searched again.
 */
function* tokens(text: string, start: number): Generator<Token> {
  let cdataClosable = true;
  let at = start;
  while (at < text.length) {
    if (text.charCodeAt(at) !== 0x3c) {
      const next = text.indexOf('<', at);
      const end = next < 0 ? text.length : next;
      yield { text: text.slice(at, end) };
      at = end;
      continue;
    }
    if (cdataClosable && text.startsWith(CDATA_OPEN, at)) {
      const close = text.indexOf(']]>', at + CDATA_OPEN.length);
      if (close >= 0) {
        yield { cdata: text.slice(at + CDATA_OPEN.length, close) };
        at = close + 3;
        continue;
      }
      cdataClosable = false;
    }
    TAG.lastIndex = at;
    const m = TAG.exec(text);
    if (m) {
      yield { tag: (m[2] ?? '').toUpperCase(), close: m[1] === '/' };
      at = TAG.lastIndex;
    } else {
      at++;
    }
  }
}

/** Reads the body from `<OFX>` on into a tree; a leaf's value ends at the next tag (SGML) or its close tag (XML). */
function readOfx(text: string): OfxNode {
  const start = text.search(/<OFX>/i);
  if (start < 0) throw new ParseError('format_mismatch', 'no <OFX> element');
  const root: OfxNode = { tag: '#root', children: [] };
  const stack: OfxNode[] = [root];
  const top = () => stack.at(-1) ?? root; // the root is never popped
  for (const token of tokens(text, start)) {
    if (!('tag' in token)) {
      const v = 'cdata' in token ? token.cdata : unentity(token.text).trim();
      if (v && stack.length > 1) top().value = (top().value ?? '') + v;
      continue;
    }
    if (token.close) {
      const at = stack.map((n) => n.tag).lastIndexOf(token.tag);
      if (at > 0) stack.length = at;
      continue;
    }
    if (top().value !== undefined && stack.length > 1) stack.pop(); // implicit close of an SGML leaf
    if (stack.length > 64) throw new ParseError('too_deep', 'OFX nesting deeper than 64 levels');
    const node: OfxNode = { tag: token.tag, children: [] };
    top().children.push(node);
    stack.push(node);
  }
  const ofx = root.children.find((n) => n.tag === 'OFX');
  if (!ofx) throw new ParseError('corrupt', 'OFX element is empty');
  return ofx;
}

function find(node: OfxNode, tag: string): OfxNode | undefined {
  for (const c of node.children) {
    if (c.tag === tag) return c;
    const deep = find(c, tag);
    if (deep) return deep;
  }
  return undefined;
}
function findAll(node: OfxNode, tag: string, out: OfxNode[] = []): OfxNode[] {
  for (const c of node.children) {
    if (c.tag === tag) out.push(c);
    else findAll(c, tag, out);
  }
  return out;
}
const val = (node: OfxNode | undefined, tag: string) => (node ? find(node, tag)?.value : undefined);
/** Amounts as banks pad them (`+0000000000100.00000`) → `100`. */
const num = (node: OfxNode | undefined, tag: string) => {
  const v = val(node, tag);
  return v && /^[+-]?\d+(\.\d+)?$/.test(v) ? String(Number(v)) : v;
};

/** OFX datetime YYYYMMDD[HHMMSS[.XXX]][[±H[:TZ]]] → ISO 8601. */
function ofxDate(v: string | undefined): string | undefined {
  const m = v
    ? /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(?:\.\d+)?(?:\[([+-]?\d+(?:\.\d+)?)(?::[^\]]*)?\])?/.exec(v)
    : null;
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', off] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), +h, +mi, +s) - (off ? Number(off) * 3_600_000 : 0);
  return isoDate(ms);
}

/** Only the last four characters of an account number are shown. */
const mask = (acct: string | undefined) => (acct ? `••••${acct.slice(-4)}` : undefined);
const day = (iso: string | undefined) => iso?.slice(0, 10) ?? 'undated';

function bankLines(list: OfxNode, currency: string): string[] {
  return findAll(list, 'STMTTRN').map((t) => {
    const payee = val(t, 'NAME') ?? val(find(t, 'PAYEE') ?? t, 'NAME');
    const memo = val(t, 'MEMO');
    const parts = [
      `${day(ofxDate(val(t, 'DTPOSTED')))} — ${val(t, 'TRNTYPE') ?? 'TXN'} ${num(t, 'TRNAMT') ?? '?'} ${currency}`.trim(),
      memo && payee && memo.startsWith(payee) ? undefined : payee,
      memo,
      val(t, 'CHECKNUM') && Number(val(t, 'CHECKNUM')) !== 0 && `check ${val(t, 'CHECKNUM')}`,
    ];
    return parts.filter(Boolean).join(' — ');
  });
}

function investmentLines(ofx: OfxNode, rs: OfxNode, currency: string): { transactions: string[]; positions: string[] } {
  const names = new Map<string, string>();
  for (const info of findAll(ofx, 'SECINFO')) {
    const id = val(info, 'UNIQUEID');
    if (id)
      names.set(
        id,
        [val(info, 'SECNAME'), val(info, 'TICKER') && `(${val(info, 'TICKER')})`].filter(Boolean).join(' '),
      );
  }
  const security = (n: OfxNode) => {
    const id = val(n, 'UNIQUEID');
    return id ? (names.get(id) ?? id) : undefined;
  };
  const tranList = find(rs, 'INVTRANLIST');
  const transactions = (tranList?.children ?? [])
    .filter((n) => n.children.length)
    .map((n) =>
      [
        `${day(ofxDate(val(n, 'DTTRADE') ?? val(n, 'DTPOSTED')))} — ${n.tag}`,
        security(n),
        num(n, 'UNITS') && `${num(n, 'UNITS')} units`,
        num(n, 'UNITPRICE') && `at ${num(n, 'UNITPRICE')}`,
        (num(n, 'TOTAL') ?? num(n, 'TRNAMT')) && `total ${num(n, 'TOTAL') ?? num(n, 'TRNAMT')} ${currency}`,
        val(n, 'MEMO') ?? val(n, 'NAME'),
      ]
        .filter(Boolean)
        .join(' — '),
    );
  const positions = findAll(find(rs, 'INVPOSLIST') ?? { tag: '', children: [] }, 'INVPOS').map((p) =>
    [
      `Position: ${security(p) ?? 'security'}`,
      num(p, 'UNITS') && `${num(p, 'UNITS')} units`,
      num(p, 'UNITPRICE') && `price ${num(p, 'UNITPRICE')}`,
      num(p, 'MKTVAL') && `market value ${num(p, 'MKTVAL')} ${currency}`,
      val(p, 'DTPRICEASOF') && `as of ${day(ofxDate(val(p, 'DTPRICEASOF')))}`,
    ]
      .filter(Boolean)
      .join(' — '),
  );
  return { transactions, positions };
}

export const parseOfx: FormatParser = async ({ bytes, name }) => {
  const text = decodeText(
    bytes,
    /CHARSET:\s*1252/i.test(Buffer.from(bytes.subarray(0, 512)).toString('latin1')) ? 'windows-1252' : undefined,
  );
  const ofx = readOfx(text);
  const rs = find(ofx, 'STMTRS') ?? find(ofx, 'CCSTMTRS') ?? find(ofx, 'INVSTMTRS');
  if (!rs) throw new ParseError('no_text', 'OFX file holds no bank, card or investment statement');
  const kind = rs.tag === 'STMTRS' ? 'bank' : rs.tag === 'CCSTMTRS' ? 'credit card' : 'investment';
  const currency = val(rs, 'CURDEF') ?? '';
  const acctFrom = find(rs, 'BANKACCTFROM') ?? find(rs, 'CCACCTFROM') ?? find(rs, 'INVACCTFROM');
  const account = mask(val(acctFrom, 'ACCTID'));
  const accountType = val(acctFrom, 'ACCTTYPE') ?? kind;
  const list = find(rs, 'BANKTRANLIST') ?? find(rs, 'INVTRANLIST');
  const periodStart = ofxDate(val(list, 'DTSTART'));
  const periodEnd = ofxDate(val(list, 'DTEND')) ?? ofxDate(val(rs, 'DTASOF'));
  const ledger = find(rs, 'LEDGERBAL') ?? find(rs, 'INVBAL');
  const balance = num(ledger, 'BALAMT') ?? num(ledger, 'AVAILCASH');
  const org = val(ofx, 'ORG');
  const posted = [...findAll(list ?? rs, 'DTPOSTED'), ...findAll(list ?? rs, 'DTTRADE')]
    .map((n) => ofxDate(n.value))
    .filter((d): d is string => d !== undefined)
    .sort();
  const { transactions, positions } =
    kind === 'investment'
      ? investmentLines(ofx, rs, currency)
      : { transactions: list ? bankLines(list, currency) : [], positions: [] };
  const summary = [
    `${kind.charAt(0).toUpperCase()}${kind.slice(1)} statement${org ? ` from ${org}` : ''}`,
    account && `Account ${account} (${accountType})`,
    currency && `Currency ${currency}`,
    (periodStart || periodEnd) && `Period ${day(periodStart)} to ${day(periodEnd)}`,
    balance &&
      `Balance ${balance} ${currency}${val(ledger, 'DTASOF') ? ` as of ${day(ofxDate(val(ledger, 'DTASOF')))}` : ''}`,
    `${transactions.length} transactions`,
  ]
    .filter(Boolean)
    .join('\n');
  const sections: Section[] = [{ heading: 'Account summary', text: summary }];
  if (transactions.length) sections.push({ heading: 'Transactions', text: transactions.join('\n') });
  if (positions.length) sections.push({ heading: 'Positions', text: positions.join('\n') });
  return {
    title:
      `${org ? `${org} ` : ''}${kind} statement ${account ?? ''} ${periodEnd ? day(periodEnd) : ''}`
        .replace(/\s+/g, ' ')
        .trim() || name,
    mediaType: 'application/x-ofx',
    format: 'ofx',
    date: periodEnd,
    // The transactions' own dates: a download's declared period often runs from years before its first one.
    dateStart: posted[0] ?? periodStart,
    dateEnd: posted.at(-1) ?? periodEnd,
    meta: {
      kind: 'statement',
      account,
      accountType,
      currency: currency || undefined,
      periodStart,
      periodEnd,
      transactions: transactions.length,
      balance,
    },
    sections,
  };
};
