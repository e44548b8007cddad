/** `{{ name }}` placeholders: letters, digits and underscores, starting with a letter or underscore. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function placeholdersIn(...texts: (string | null | undefined)[]): string[] {
  const names = new Set<string>();
  for (const text of texts) for (const match of (text ?? '').matchAll(PLACEHOLDER)) names.add(match[1]!);
  return [...names];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Fills the placeholders of one part of a template. In HTML every value is escaped, so a customer's name can
 * never add markup; a placeholder without a value (an optional variable) becomes empty.
 */
export function renderTemplate(template: string, variables: Record<string, string>, kind: 'text' | 'html'): string {
  return template.replace(PLACEHOLDER, (_all, name: string) => {
    const value = variables[name] ?? '';
    return kind === 'html' ? escapeHtml(value) : value;
  });
}
