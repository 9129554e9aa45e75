// A local copy of a value that lives in the URL. A navigation commits in a React
// transition, so a control bound to the URL alone would spring back to its old value until
// the change commits (a checkbox "does not change" when clicked); the copy takes the new
// value at once and follows the URL whenever it changes.
import { useEffect, useState } from "react";

export function useDraft<T>(value: T): [T, (next: T) => void] {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return [draft, setDraft];
}
