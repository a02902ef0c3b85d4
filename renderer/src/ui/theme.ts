/** The colour theme: the user's choice, or the system's when the choice is to follow it. */
import type { Theme } from '../../../common/contract.js';

/** Each theme, in the order settings offers them, with its name there. */
export const THEME_LABELS: Record<Theme, string> = {
  system: 'Follow the system',
  light: 'Light',
  dark: 'Dark',
};

export const THEMES = Object.keys(THEME_LABELS) as Theme[];

const SYSTEM_DARK = '(prefers-color-scheme: dark)';

/** Sets the theme the stylesheets read (data-resolved-theme on the root element). */
export function applyTheme(theme: Theme): void {
  const dark = theme === 'dark' || (theme === 'system' && window.matchMedia(SYSTEM_DARK).matches);
  document.documentElement.dataset.resolvedTheme = dark ? 'dark' : 'light';
}

/** Calls back whenever the system switches between light and dark. */
export function onSystemThemeChange(cb: () => void): void {
  window.matchMedia(SYSTEM_DARK).addEventListener('change', cb);
}
