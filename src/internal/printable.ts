/**
 * A name as it may appear in a log line: control characters, line and paragraph separators and the
 * invisible format characters (bidirectional overrides, zero-width marks) are written as `\u{…}` escapes,
 * so that a hostile name cannot forge or hide log lines. Every other character is kept.
 *
 * @internal
 */
export function printable(name: string): string {
  return name.replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}
