/**
 * Go's encoding/json output for the small values json-file stores besides the
 * log text: strings (HTML-safe escaping, as json.Marshal does) and
 * `map[string]string` (keys sorted).
 */

/** `JSON.stringify` of a string, but escaped as Go's json.Marshal does. */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (c) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      case 0x3c: out += '\\u003c'; break;
      case 0x3e: out += '\\u003e'; break;
      case 0x26: out += '\\u0026'; break;
      case 0x2028: out += '\\u2028'; break;
      case 0x2029: out += '\\u2029'; break;
      default:
        if (c < 0x20) out += `\\u00${c.toString(16).padStart(2, '0')}`;
        else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'; // lone surrogate: invalid UTF-8 in Go
        else out += ch;
    }
  }
  return out + '"';
}

/** Go's json.Marshal of a map[string]string: keys in byte order. */
export function goJsonStringMap(m: Record<string, string>): string {
  const keys = Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${goJsonString(k)}:${goJsonString(m[k])}`).join(',')}}`;
}
