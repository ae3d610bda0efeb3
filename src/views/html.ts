// HTML built from untrusted text. Invariant: every interpolated value is escaped unless it is already `Html` — a
// value only this module's `html` template (or `trustedHtml`, for our own constant markup) can make. Table names,
// SQL, cell values and audit arguments come from the database and the model: any of them may hold `<script>`.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export class Html {
  private constructor(readonly text: string) {}
  static of(text: string): Html {
    return new Html(text);
  }
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** Tagged template: the literal parts are ours, every `${value}` is escaped (arrays are joined, false/null drop). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return Html.of(out);
}

/** Our own constant markup (CSS, scripts, SVG defs) — never anything derived from data. */
export function trustedHtml(text: string): Html {
  return Html.of(text);
}

/**
 * JSON for a `<script type="application/json">` block: `<` is escaped so no value can close the script element,
 * and U+2028/9 so the text is also valid JavaScript.
 */
export function scriptJson(value: unknown): Html {
  return Html.of(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
