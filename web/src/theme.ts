/** Light, dark, or the system's choice (prefers-color-scheme), remembered; the stylesheet reads `data-theme`. */
export type Theme = 'system' | 'light' | 'dark';

const KEY = 'prag.theme';

export function savedTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(KEY, theme);
  }
}
