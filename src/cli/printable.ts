/**
 * Text from a document (anyone's who shared it), a title or an answer, made safe to print on a terminal: C0 and
 * C1 control characters but tab and line feed (escape sequences could set the window title, write the
 * clipboard or rewrite what was printed before) each become U+FFFD, one UTF-16 unit for one, so offsets into the
 * text stay valid.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export const printable = (text: string): string => text.replace(CONTROLS, '\ufffd');
