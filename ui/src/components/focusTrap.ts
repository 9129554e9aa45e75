// Pure logic of the focus trap in ConfirmDialog: where Tab (or Shift-Tab) moves the focus
// among a dialog's focusable elements, wrapping at both ends.

/** What a modal can focus: the controls a keyboard user can reach with Tab. */
export const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * The index Tab moves the focus to among `count` elements from `current` (-1 when the focus
 * is outside them): the next one, the previous one with Shift, wrapping around; -1 when
 * there is nothing to focus.
 */
export function nextFocusIndex(current: number, count: number, backwards: boolean): number {
  if (count <= 0) return -1;
  if (current < 0 || current >= count) return backwards ? count - 1 : 0;
  return (current + (backwards ? count - 1 : 1)) % count;
}
