import { displayName } from '../core/display.ts';

/**
 * Text into the report's markup. Names come from the partner's customers and may hold
 * anything: they are escaped for element content and quoted attributes, made visible where
 * they hold control or direction characters, isolated (<bdi>), and kept out of the page's
 * script by escaping the embedded JSON.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A customer name for the page: control and bidi characters made visible, then escaped, isolated. */
export function nameHtml(name: string, maxLength = 80): string {
  return `<bdi>${escapeHtml(displayName(name, maxLength))}</bdi>`;
}

/** JSON that can sit inside <script type="application/json"> whatever the strings hold. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}
